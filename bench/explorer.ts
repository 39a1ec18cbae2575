/**
 * Lineage explorer benchmark, in the headless Chromium the browser tests use: the time from
 * navigation to a drawn 1,000-node neighbourhood (a dataset version used by 999 runs, opened
 * with a page size of 1,000: fetch, dagre layout and React Flow render included, up to the
 * page's `explorer:drawn` mark), and the page's JavaScript size gzipped. Goals: under 2 s and
 * under 300 KB. Not a test.
 *
 *   node bench/explorer.ts [navigations=5]
 *
 * Uses NEO4J_URI when set, otherwise starts its own embedded Neo4j in a temp directory.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { loadConfig } from '../src/config.ts';
import { startGateway } from '../src/server.ts';
import { ensureWebBuilt, WEB_DIST_DIR } from '../src/transport/web-app.ts';
import { chromiumPath } from '../test/support/browser.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { fmtMs, summarize } from './lib/stats.ts';

const [navigations = 5] = process.argv.slice(2).map(Number);
const TOKEN = 'bench-admin-token-0123456789';
const FAN_OUT = 999;

ensureWebBuilt((line) => console.error(line));
const assets = join(WEB_DIST_DIR, 'assets');
const scripts = readdirSync(assets).filter((name) => name.endsWith('.js'));
const jsBytes = scripts.reduce((sum, name) => sum + readFileSync(join(assets, name)).length, 0);
const jsGzip = scripts.reduce((sum, name) => sum + gzipSync(readFileSync(join(assets, name))).length, 0);

const database = await benchNeo4j({ heap: '1g', pagecache: '512m' });
const config = loadConfig({ NEO4J_URI: database.uri, PEDIGREE_ADMIN_TOKEN: TOKEN, PEDIGREE_RATE_LIMIT_PER_SECOND: '0' }, { port: 0, host: '127.0.0.1', logLevel: 'warn' });
const gateway = await startGateway({ config, neo4jUri: database.uri });
await gateway.ready;

async function gql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const project = (await gql<{ createProject: { id: string } }>('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: `explorer-bench-${Date.now()}` })).createProject.id;
const hub = (await gql<{ registerDatasetVersion: { id: string } }>('mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }', {
  input: { project, dataset: 'hub', uri: 's3://bench/hub', digest: `sha256:${'a'.repeat(64)}` },
})).registerDatasetVersion.id;
await gql('mutation($input: LineageBatchInput!) { recordLineage(input: $input) { created } }', {
  input: {
    project,
    nodes: Array.from({ length: FAN_OUT }, (_, i) => ({ key: `r${i}`, kind: 'RUN', fields: { name: `consumer-${i}`, type: 'OTHER' } })),
    edges: Array.from({ length: FAN_OUT }, (_, i) => ({ from: `r${i}`, to: hub, kind: 'USED', role: 'input' })),
  },
});

const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
const url = `${gateway.url.replace(/graphql$/, '')}?project=${project}&node=${hub}&page=1000`;
const samples: number[] = [];
const layouts: number[] = [];
const requests: number[] = [];
for (let i = 0; i < navigations + 1; i++) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  await context.addInitScript((token) => sessionStorage.setItem('pedigree.token', token), TOKEN);
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction((count) => document.querySelector<HTMLElement>('.graph')?.dataset['drawn'] === String(count), FAN_OUT + 1, { timeout: 60_000 });
  const drawnAt = await page.evaluate(() => performance.getEntriesByName('explorer:drawn').at(-1)!.startTime);
  const parts = await page.evaluate(() => ({
    layout: performance.getEntriesByName('explorer:layout').at(-1)?.duration ?? Number.NaN,
    // The neighbourhood request: the largest /graphql response of the navigation.
    request: Math.max(...performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/graphql')).map((e) => e.duration)),
  }));
  if (i > 0) {
    // The first navigation warms the gateway and Neo4j's caches.
    samples.push(drawnAt);
    layouts.push(parts.layout);
    requests.push(parts.request);
  }
  await context.close();
}
await browser.close();
await gateway.stop();
await database.stop();

const s = summarize(samples);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`
| measure | value | goal |
|---|---|---|
| navigation to a drawn ${FAN_OUT + 1}-node neighbourhood, median of ${samples.length} (min, max) | ${fmtMs(s.median)} ms (${fmtMs(Math.min(...samples))}, ${fmtMs(Math.max(...samples))}) | < 2000 ms |
| of which: the neighbourhood's GraphQL request, median | ${fmtMs(summarize(requests).median)} ms | |
| of which: dagre layout, median | ${fmtMs(summarize(layouts).median)} ms | |
| page JavaScript, gzipped (raw) | ${kb(jsGzip)} (${kb(jsBytes)}) in ${scripts.length} file(s) | < 300 KB |
`);
