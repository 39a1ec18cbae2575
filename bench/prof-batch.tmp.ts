import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEmbeddedNeo4j } from '../src/neo4j/embedded.ts';
import { startBenchGateway, freePort } from '../bench/lib/gateway.ts';
import { loadShape, createProject } from '../bench/lib/pedigree.ts';
import { pipelines } from '../bench/lib/shapes.ts';
import { rawPeer } from '../bench/lib/raw.ts';
import neo4j from 'neo4j-driver';
const dataDir = await mkdtemp(join(tmpdir(), 'prof-'));
const emb = await startEmbeddedNeo4j({ port: await freePort(), dataDir, heap: '2g', pagecache: '1g', tieToParent: true });
const gw = await startBenchGateway(emb.uri, { PEDIGREE_LOG_LEVEL: 'warn', NODE_OPTIONS: process.env.GWOPTS ?? '', PEDIGREE_SLOW_QUERY_MS: '30' });
const driver = neo4j.driver(emb.uri, neo4j.auth.basic('neo4j', 'neo4j'));
const shape = pipelines(Number(process.env.P ?? 500));
for (let i = 0; i < 2; i++) {
  const p = await createProject(gw, 'p' + i);
  const t = performance.now(); await loadShape(gw, p, shape); console.log('pedigree', (performance.now() - t).toFixed(0), 'ms');
  const r = await rawPeer(driver, () => { throw new Error(); }).ingestBatched(shape); console.log('raw', r);
}
await gw.stop(); await driver.close(); await emb.stop();
