/**
 * Headless Chromium from the operating system's packages (Debian's `chromium`, which .ci/run
 * installs when missing), driven by playwright-core through its executablePath: no browser
 * download. Pages open the explorer served by a test gateway; screenshots go to the git-ignored
 * test/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureWebBuilt } from '../../src/transport/web-app.ts';
import { ADMIN_TOKEN, type TestGateway } from './gateway.ts';

export const SCREENSHOTS = join(import.meta.dirname, '..', 'screenshots');
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found) throw new Error(`no Chromium at ${CANDIDATES.join(', ')}: apt-get install -y chromium (.ci/run does)`);
  return found;
}

/** Builds web/ when needed and launches the browser. */
export async function launchBrowser(): Promise<Browser> {
  ensureWebBuilt();
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export function explorerUrl(server: TestGateway, search = ''): string {
  return server.url.replace(/\/graphql$/, '/') + search;
}

/** A page of a fresh context (its own sessionStorage), 1400x860, signed out. */
export async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, timezoneId: 'UTC' });
  // Every wait is for something the page does within a second or two; shared CI machines are slow.
  context.setDefaultTimeout(30_000);
  return context.newPage();
}

export async function signIn(page: Page, token: string = ADMIN_TOKEN): Promise<void> {
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('combobox', { name: 'Project' }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** Whether each node (by id) is drawn wholly inside the graph's pane, not clipped by it. */
export async function nodesInPane(page: Page, ids: readonly string[]): Promise<boolean> {
  const pane = await page.locator('.react-flow').boundingBox();
  const boxes = await Promise.all(ids.map((id) => page.getByTestId(`node-${id}`).boundingBox()));
  return !!pane && boxes.every((box) => !!box && box.x >= pane.x && box.x + box.width <= pane.x + pane.width && box.y >= pane.y && box.y + box.height <= pane.y + pane.height);
}
