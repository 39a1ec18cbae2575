/**
 * The lineage explorer's other views and its failures, in a real headless Chromium against a
 * real gateway and Neo4j: detail panels, keyboard and list view, paged fan-outs, and the
 * messages for a foreign node, an expired token and a lost network.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { explorerUrl, freshPage, launchBrowser, screenshot, signIn } from '../support/browser.ts';
import { seedExplorerGraph, type ExplorerGraph } from '../support/explorer-graph.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { unique } from '../support/graph.ts';

let server: TestGateway;
let browser: Browser;
let graph: ExplorerGraph;
let page: Page | undefined;

beforeAll(async () => {
  server = await startTestGateway();
  [browser, graph] = await Promise.all([launchBrowser(), seedExplorerGraph(server)]);
});
beforeEach(({ onTestFailed, task }) => {
  onTestFailed(() => (page ? screenshot(page, `failed-${task.name.slice(0, 40)}`) : undefined));
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const node = (p: Page, id: string) => p.getByTestId(`node-${id}`);

async function open(search: string, token?: string): Promise<Page> {
  page = await freshPage(browser);
  await page.goto(explorerUrl(server, search));
  await signIn(page, token);
  return page;
}

async function tokenFor(project: string, expiresAt?: Date): Promise<string> {
  const created = await server.ok<any>('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', {
    input: { project, role: 'VIEWER', name: unique('explorer'), ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) },
  });
  return created.createApiToken.token as string;
}

describe('the lineage explorer', { timeout: 120_000 }, () => {
  it('details a run with params, code, environment and a chart of a metric history, and a checkpoint', async () => {
    const p = await open(`?node=${graph.training}`);
    const panel = p.getByRole('complementary', { name: /Details/ });
    await panel.getByRole('heading', { name: 'train-resnet' }).waitFor();
    const text = await panel.textContent();
    for (const expected of ['TRAINING', 'COMPLETED', 'resnet-sweep', '"lr": 0.001', 'a1b2c3d', 'pytorch:2.5']) expect(text).toContain(expected);
    const chart = panel.getByRole('img', { name: /^loss: 5 points from 0\.200 to 1\.00$/ });
    await chart.waitFor();
    expect(await chart.locator('path.series').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){4}$/);
    await screenshot(p, 'explorer-views-run-detail');
    await node(p, graph.checkpoint).click();
    await panel.getByRole('heading', { name: /step 3|ckp|train-resnet/ }).waitFor();
    expect(await panel.textContent()).toContain('s3://ckpt/3.pt');
    await p.context().close();
  });

  it('moves along lineage with the keyboard and lists the same neighbourhood for screen readers', async () => {
    const p = await open(`?node=${graph.mv2}`);
    await node(p, graph.training).waitFor();
    await p.locator(`.react-flow__node[data-id="${graph.mv2}"]`).focus();
    await p.keyboard.press('ArrowLeft');
    const panel = p.getByRole('complementary', { name: /Details/ });
    await panel.getByRole('heading', { name: 'train-resnet' }).waitFor();
    await p.keyboard.press('u');
    await node(p, graph.train1).waitFor();
    await p.keyboard.press('Enter');
    await p.waitForURL((url) => url.searchParams.get('node') === graph.training);
    await node(p, graph.checkpoint).waitFor(); // downstream of the run: its checkpoint and resnet@2
    await p.getByRole('button', { name: 'List view' }).click();
    const upstream = p.getByRole('region', { name: /^Upstream/ });
    await upstream.getByRole('row', { name: /clicks-train@1/ }).waitFor();
    await upstream.getByRole('button', { name: 'Expand upstream of clicks-train@1' }).click();
    await upstream.getByRole('row', { name: /preprocess/ }).waitFor();
    const downstream = await p.getByRole('region', { name: /^Downstream/ }).getByRole('rowheader').allTextContents();
    expect(downstream.sort()).toEqual(['resnet@2', 'train-resnet@3']);
    expect(new URL(p.url()).searchParams.get('list')).toBe('1');
    await screenshot(p, 'explorer-views-list');
    await p.context().close();
  });

  it('shows a large fan-out as "N more" and pages the rest in', async () => {
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        server.ok('mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { input: { project: graph.project, name: `probe-${i}`, type: 'OTHER', inputs: [{ id: graph.raw1 }] } }),
      ),
    );
    const p = await open(`?node=${graph.raw1}`);
    const more = p.getByRole('button', { name: /^Show more of the 6 further downstream nodes of clicks-raw@1$/ });
    await more.waitFor();
    expect(await p.locator('[data-testid^="node-"]').count()).toBe(26); // the focus and a page of 25
    await screenshot(p, 'explorer-views-fan-out');
    await more.click();
    await more.waitFor({ state: 'detached' });
    expect(await p.locator('[data-testid^="node-"]').count()).toBe(32);
    expect(new URL(p.url()).searchParams.get('more')).toBe(`down:${graph.raw1}:50`);
    await p.context().close();
  });

  it('says a node of another project was not found, instead of a blank page', async () => {
    const other = (await server.ok<any>('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: unique('elsewhere') })).createProject.id as string;
    const foreign = (await server.ok<any>('mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }', {
      input: { project: other, dataset: 'secret', uri: 's3://secret/1', digest: `sha256:${'e'.repeat(64)}` },
    })).registerDatasetVersion.id as string;
    const p = await open(`?node=${foreign}`, await tokenFor(graph.project));
    await p.getByRole('alert').filter({ hasText: /was not found|does not exist/ }).waitFor();
    expect(await p.locator('[data-testid^="node-"]').count()).toBe(0);
    const projects = await p.getByRole('combobox', { name: 'Project' }).locator('option').allTextContents();
    expect(projects.filter((name) => name !== 'Choose a project')).toEqual([graph.projectName]); // the token's only project
    await screenshot(p, 'explorer-views-foreign-node');
    await p.context().close();
  });

  it('returns to sign-in with a message when the token expires', async () => {
    const expiresAt = new Date(Date.now() + 4_000);
    const p = await open(`?node=${graph.mv2}`, await tokenFor(graph.project, expiresAt));
    await node(p, graph.training).waitFor();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now() + 500)));
    await p.getByRole('button', { name: 'Expand upstream of train-resnet' }).click({ timeout: 5_000 }).catch(() => {}); // the socket may have signed out already
    await p.getByRole('alert').filter({ hasText: 'Your token was refused' }).waitFor();
    await p.getByLabel('Token').waitFor();
    expect(await p.evaluate(() => sessionStorage.getItem('pedigree.token'))).toBeNull();
    await screenshot(p, 'explorer-views-expired');
    await p.context().close();
  });

  it('shows a lost network as a message over the last view, and recovers on retry', async () => {
    const p = await open(`?node=${graph.mv2}`);
    await node(p, graph.training).waitFor();
    await p.context().setOffline(true);
    await p.getByRole('combobox', { name: 'Depth' }).selectOption('2');
    const banner = p.getByRole('alert').filter({ hasText: 'Cannot reach the Pedigree gateway' });
    await banner.waitFor();
    expect(await node(p, graph.training).isVisible()).toBe(true);
    await screenshot(p, 'explorer-views-offline');
    await p.context().setOffline(false);
    await banner.getByRole('button', { name: 'Retry' }).click();
    await node(p, graph.train1).waitFor(); // depth 2
    await banner.waitFor({ state: 'detached' });
    await p.context().close();
  });
});
