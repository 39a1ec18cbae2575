/**
 * The lineage explorer's other views and its failures, in a real headless Chromium against a
 * real gateway and Neo4j: detail panels, keyboard and list view, paged fan-outs, quarantine
 * marks, approvals, release checks and serving skew, and the messages for a foreign node, an
 * expired token and a lost network.
 */
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { explorerUrl, freshPage, launchBrowser, nodesInPane, screenshot, signIn } from '../support/browser.ts';
import { seedExplorerGraph, type ExplorerGraph } from '../support/explorer-graph.ts';
import { useGateway } from '../support/gateway.ts';
import { unique } from '../support/graph.ts';

let browser: Browser;
let graph: ExplorerGraph;
let page: Page | undefined;

const JWT_SECRET = 'a-jwt-secret-for-the-explorer-views-suite-01';

const server = useGateway({ env: { PEDIGREE_JWT_SECRET: JWT_SECRET } });
beforeAll(async () => {
  [browser, graph] = await Promise.all([launchBrowser(), seedExplorerGraph(server)]);
});
beforeEach(({ onTestFailed, task }) => {
  onTestFailed(() => (page ? screenshot(page, `failed-${task.name.slice(0, 40)}`) : undefined));
});
afterAll(async () => {
  await browser?.close();
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

/** Request headers of a JWT user with one role on one project (a reviewer other than the admin who records). */
async function bearer(sub: string, roles: Record<string, string>): Promise<Record<string, string>> {
  const token = await new SignJWT({ sub, pedigree_roles: roles }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET));
  return { authorization: `Bearer ${token}` };
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

  it('fits every node back on screen after panning away and selecting one', async () => {
    const p = await open(`?node=${graph.mv2}`);
    await node(p, graph.evaluation).waitFor();
    const onScreen = () => nodesInPane(p, [graph.mv2, graph.training, graph.evaluation]);
    await expect.poll(onScreen).toBe(true); // the first drawing is fitted
    // Selecting a node gives React Flow new node objects; the fit must not wait for a resize that never comes.
    await node(p, graph.training).click();
    await p.getByRole('complementary', { name: /Details/ }).getByRole('heading', { name: 'train-resnet' }).waitFor();
    const pane = (await p.locator('.react-flow').boundingBox())!;
    await p.mouse.move(pane.x + pane.width / 2, pane.y + 20);
    await p.mouse.down();
    await p.mouse.move(pane.x + pane.width - 10, pane.y + pane.height - 10, { steps: 5 });
    await p.mouse.up();
    await expect.poll(onScreen).toBe(false);
    await p.getByRole('button', { name: 'Fit View' }).click();
    await expect.poll(onScreen).toBe(true);
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
    // React Flow copies nodes into its store in an effect: they may land a render after the button.
    await expect.poll(() => p.locator('[data-testid^="node-"]').count()).toBe(26); // the focus and a page of 25
    await screenshot(p, 'explorer-views-fan-out');
    await more.click();
    await more.waitFor({ state: 'detached' });
    await expect.poll(() => p.locator('[data-testid^="node-"]').count()).toBe(32);
    expect(new URL(p.url()).searchParams.get('more')).toBe(`down:${graph.raw1}:50`);
    await p.context().close();
  });

  it('marks a quarantined node and everything downstream, and details approvals, a release check, serving skew and a profile', async () => {
    const g = await seedExplorerGraph(server);
    await server.ok('mutation($input: SetDatasetProfileInput!) { setDatasetProfile(input: $input) { id } }', {
      input: { datasetVersion: g.train1, features: [{ name: 'age', histogram: { edges: [0, 20, 40, 60, 80], counts: [10, 40, 30, 20] } }, { name: 'country', categories: [{ value: 'de', count: 50 }, { value: 'fr', count: 50 }] }] },
    });
    const deployment = (await server.ok<any>('mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }', { input: { version: g.mv2, environment: 'staging' } })).deployModelVersion.id as string;
    const window = (await server.ok<any>('mutation($input: RecordServingWindowInput!) { recordServingWindow(input: $input) { skew { exceeded } } }', {
      input: {
        deployment,
        start: '2026-11-01T10:00:00Z',
        end: '2026-11-01T11:00:00Z',
        features: [{ name: 'age', histogram: { edges: [0, 20, 40, 60, 80], counts: [11, 39, 31, 19] } }, { name: 'country', categories: [{ value: 'de', count: 5 }, { value: 'fr', count: 95 }] }],
      },
    })).recordServingWindow;
    expect(window.skew.exceeded).toBe(true); // country moved from 50/50 to 5/95
    const reviewer = `reviewer-${g.project}`;
    const approved = await server.gql('mutation($input: ApproveModelVersionInput!) { approveModelVersion(input: $input) { target } }', { input: { version: g.mv2, targetKind: 'ENVIRONMENT', target: 'prod', comment: 'eval looks fine' } }, await bearer(reviewer, { [g.project]: 'WRITER' }));
    expect(approved.errors).toBeUndefined();
    await server.ok('mutation($input: SetReleasePolicyInput!) { setReleasePolicy(input: $input) { id } }', { input: { project: g.project, targetKind: 'ENVIRONMENT', target: 'prod', requireCleanLineage: true } });
    await server.ok('mutation($input: QuarantineInput!) { quarantine(input: $input) { node { id } } }', { input: { node: g.raw1, reason: 'corrupt October export' } });

    // Four hops up reach the raw data; the evaluation expanded upstream brings in clicks-raw@2, which is clean.
    const p = await open(`?node=${g.mv2}&depth=4&up=${g.evaluation}`);
    await node(p, g.raw2).waitFor();
    await p.locator(`[data-testid="node-${g.raw1}"][data-quarantine="quarantined"]`).waitFor();
    const marks = async (ids: string[]) => Promise.all(ids.map((id) => node(p, id).getAttribute('data-quarantine')));
    expect(await marks([g.raw1, g.prep, g.train1, g.training, g.mv2, g.evaluation, deployment, g.raw2])).toEqual(['quarantined', 'downstream', 'downstream', 'downstream', 'downstream', 'downstream', 'downstream', null]);
    expect(await node(p, g.raw1).getAttribute('class')).toContain('quarantine-quarantined');
    expect(await p.locator(`.react-flow__node[data-id="${g.mv2}"]`).getAttribute('aria-label')).toContain('downstream of a quarantined node');

    const panel = p.getByRole('complementary', { name: /Details/ });
    const approvals = panel.getByRole('region', { name: 'Approvals' });
    await approvals.getByText(`by ${reviewer}`).waitFor();
    expect(await approvals.textContent()).toContain('prod (environment)');
    expect(await approvals.textContent()).toContain('eval looks fine');
    const check = panel.getByRole('region', { name: 'Release check' });
    await check.getByLabel('Target', { exact: true }).fill('prod');
    await check.getByRole('button', { name: 'Check' }).click();
    const verdict = check.getByRole('status');
    await verdict.getByText('Not allowed into environment prod').waitFor();
    expect(await verdict.textContent()).toContain('clean-lineage');
    expect(await verdict.textContent()).toContain('clicks-raw@1');
    await screenshot(p, 'explorer-views-quarantine');

    await node(p, deployment).click();
    const skew = panel.getByRole('region', { name: 'Serving skew' });
    await skew.getByRole('table').waitFor();
    expect(await skew.textContent()).toContain('Exceeded against baseline clicks-train@1');
    const rows = await skew.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent)));
    expect(rows.map(([feature, method, , threshold, exceeded]) => [feature, method, threshold, exceeded])).toEqual([
      ['age', 'Jensen-Shannon', '0.100', 'no'],
      ['country', 'L∞', '0.100', 'yes'],
    ]);
    expect(Number(rows[1]![2])).toBeCloseTo(0.45, 2); // the share of 'de' fell from 0.50 to 0.05
    await screenshot(p, 'explorer-views-skew');

    await node(p, g.train1).click();
    await panel.getByRole('region', { name: 'Profile' }).getByRole('img', { name: 'age: 4 bins from 0 to 80' }).waitFor();
    expect(await panel.getByRole('region', { name: 'Profile' }).textContent()).toContain('de: 50, fr: 50');
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
