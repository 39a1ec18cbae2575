/**
 * The lineage explorer in a real headless Chromium against a real gateway and Neo4j: the walk
 * an auditor takes from a model to its raw data, back in time, along a path, live, and again
 * from a link.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { explorerUrl, freshPage, launchBrowser, nodesInPane, screenshot, signIn } from '../support/browser.ts';
import { seedExplorerGraph, type ExplorerGraph } from '../support/explorer-graph.ts';
import { useGateway } from '../support/gateway.ts';

let browser: Browser;
let graph: ExplorerGraph;
let page: Page;

const server = useGateway();
beforeAll(async () => {
  [browser, graph] = await Promise.all([launchBrowser(), seedExplorerGraph(server)]);
  page = await freshPage(browser);
});
beforeEach(({ onTestFailed, task }) => {
  onTestFailed(() => screenshot(page, `failed-${task.name.slice(0, 40)}`));
});
afterAll(async () => {
  await browser?.close();
});

const node = (p: Page, id: string) => p.getByTestId(`node-${id}`);
const params = (p: Page) => new URL(p.url()).searchParams;

/** The ids drawn on the page, sorted. */
async function drawnIds(p: Page): Promise<string[]> {
  const ids = await p.locator('[data-testid^="node-"]').evaluateAll((elements) => elements.map((e) => e.getAttribute('data-testid')!.slice('node-'.length)));
  return ids.sort();
}

describe('the lineage explorer', { timeout: 120_000 }, () => {
  it('serves the page on / beside an unchanged /graphql', async () => {
    const response = await fetch(explorerUrl(server));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(explorerUrl(server, script!.slice(1)));
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(explorerUrl(server, 'assets/missing.js'))).status).toBe(404);
    expect((await server.gql('{ projects { id } }')).data?.['projects']).toEqual(expect.arrayContaining([{ id: graph.project }]));
  });

  it('signs in, finds a model by search and opens its newest version with one hop up and down', async () => {
    await page.goto(explorerUrl(server));
    await signIn(page);
    await page.getByRole('combobox', { name: 'Project' }).selectOption(graph.project);
    await page.getByRole('combobox', { name: /Search/ }).fill('resnet');
    const hits = page.getByRole('listbox', { name: 'Search results' }).getByRole('option');
    await hits.filter({ hasText: 'resnet@1' }).waitFor(); // versions come by name, after the runs
    // Newest first: resnet@2 is the first hit of the model.
    expect(await hits.allTextContents()).toEqual([expect.stringContaining('resnet@2'), expect.stringContaining('resnet@1'), expect.stringContaining('train-resnet')]);
    await hits.first().click();
    await node(page, graph.mv2).waitFor();
    await node(page, graph.training).waitFor(); // upstream, one hop
    await node(page, graph.evaluation).waitFor(); // downstream, one hop
    expect(await drawnIds(page)).toEqual([graph.mv2, graph.training, graph.evaluation].sort());
    expect(params(page).get('node')).toBe(graph.mv2);
    await page.getByRole('complementary', { name: /Details/ }).getByRole('heading', { name: 'resnet@2' }).waitFor();
    await page.getByText('champion → resnet@2').waitFor();
    await screenshot(page, 'explorer-1-search-open');
  });

  it('expands upstream node by node down to the raw dataset version', async () => {
    await page.getByRole('button', { name: 'Expand upstream of train-resnet' }).click();
    await node(page, graph.train1).waitFor();
    await page.getByRole('button', { name: 'Expand upstream of clicks-train@1' }).click();
    await node(page, graph.prep).waitFor();
    await page.getByRole('button', { name: 'Expand upstream of preprocess' }).click();
    await node(page, graph.raw1).waitFor();
    await page.getByRole('button', { name: 'Expand upstream of evaluate' }).click();
    await node(page, graph.raw2).waitFor();
    expect(params(page).get('up')).toBe([graph.training, graph.train1, graph.prep, graph.evaluation].join(','));
    expect(await drawnIds(page)).toEqual([graph.mv2, graph.training, graph.train1, graph.prep, graph.raw1, graph.evaluation, graph.raw2].sort());
    await screenshot(page, 'explorer-2-expanded');
  });

  it('redraws the graph as of an instant before the second dataset version: it and what used it vanish', async () => {
    await page.getByLabel('As of (UTC)').fill(graph.beforeSecond.toISOString().slice(0, 19));
    await node(page, graph.raw2).waitFor({ state: 'detached' });
    await node(page, graph.evaluation).waitFor({ state: 'detached' });
    expect(await drawnIds(page)).toEqual([graph.mv2, graph.training, graph.train1, graph.prep, graph.raw1].sort());
    expect(params(page).get('asOf')).toBe(graph.beforeSecond.toISOString());
    await screenshot(page, 'explorer-3-as-of');
    // Back returns to the present view.
    await page.goBack();
    await node(page, graph.raw2).waitFor();
    expect(params(page).get('asOf')).toBeNull();
  });

  it('highlights the shortest derivation path between two picked nodes', async () => {
    await page.getByRole('button', { name: 'Path…' }).click();
    // The view may be zoomed on its focus; fit it so both ends are on screen to be picked. The
    // drawing of the previous step may still be settling (its layout is asynchronous), so wait for
    // the fitted viewport to hold both ends before picking them.
    await page.getByRole('button', { name: 'Fit View' }).click();
    await expect.poll(() => nodesInPane(page, [graph.raw1, graph.mv2])).toBe(true);
    await node(page, graph.raw1).click();
    await node(page, graph.mv2).click();
    const bar = page.getByRole('navigation', { name: 'Highlighted path' });
    await bar.waitFor();
    expect((await bar.textContent())?.replace(/\s+/g, ' ')).toBe('Path: resnet@2 ← train-resnet ← clicks-train@1 ← preprocess ← clicks-raw@1');
    // React Flow copies nodes and edges into its store in an effect, so their classes may land a render after the bar.
    const onPath = () => page.locator('.lineage-node.on-path').evaluateAll((elements) => elements.map((e) => e.getAttribute('data-id')).sort());
    await expect.poll(onPath).toEqual([graph.mv2, graph.training, graph.train1, graph.prep, graph.raw1].sort());
    await expect.poll(() => page.locator('.react-flow__edge.on-path').count()).toBe(4);
    expect(params(page).get('path')).toBe(`${graph.raw1},${graph.mv2}`);
    await screenshot(page, 'explorer-4-path');
  });

  it('shows a deployment recorded through GraphQL live, marked new, without a reload', async () => {
    await page.getByText('● live').waitFor();
    const marker = await page.evaluate(() => ((window as unknown as { marker: number }).marker = Math.random()));
    const deployment = (await server.ok<any>('mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }', {
      input: { version: graph.mv2, environment: 'production', endpoint: 'https://serve.example.com/resnet' },
    })).deployModelVersion.id as string;
    await node(page, deployment).waitFor();
    await page.locator(`.lineage-node.new[data-id="${deployment}"]`).waitFor();
    expect(await node(page, deployment).textContent()).toContain('NEW');
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(marker); // same document: no reload
    expect(await page.locator('.lineage-node.new').count()).toBe(1);
    await screenshot(page, 'explorer-5-live');
  });

  it('opens a permalink in a fresh page and draws the same view', async () => {
    const link = page.url();
    const expected = await drawnIds(page);
    const other = await freshPage(browser);
    await other.goto(link);
    await signIn(other); // the token is kept per tab
    await node(other, graph.raw1).waitFor();
    await other.getByRole('navigation', { name: 'Highlighted path' }).waitFor();
    expect(await drawnIds(other)).toEqual(expected);
    expect(other.url()).toBe(link);
    await expect.poll(() => other.locator('.lineage-node.on-path').count()).toBe(5);
    await screenshot(other, 'explorer-6-permalink');
    await other.context().close();
  });
});
