/** The database a benchmark runs on: NEO4J_URI when set, otherwise a throwaway embedded Neo4j. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, startEmbeddedNeo4j } from '../../src/neo4j/embedded.ts';
import { freePort } from './gateway.ts';

export interface BenchNeo4j {
  readonly uri: string;
  /** Stops the embedded Neo4j and removes its directory; leaves a NEO4J_URI database alone. */
  stop(): Promise<void>;
}

export async function benchNeo4j(options: {
  heap: string;
  pagecache: string;
  /** Neo4j plugins (bench/peers/apoc.ts) for the embedded database; a NEO4J_URI database brings its own. */
  plugins?: string | null;
  log?: (line: string) => void;
}): Promise<BenchNeo4j> {
  const given = process.env['NEO4J_URI'];
  if (given) return { uri: given, stop: async () => {} };
  ensureBuilt(options.log ?? ((line) => console.error(line)));
  const dataDir = await mkdtemp(join(tmpdir(), 'pedigree-bench-'));
  const embedded = await startEmbeddedNeo4j({
    port: await freePort(),
    dataDir,
    heap: options.heap,
    pagecache: options.pagecache,
    ...(options.plugins ? { plugins: options.plugins } : {}),
    tieToParent: true,
  });
  return {
    uri: embedded.uri,
    async stop() {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
