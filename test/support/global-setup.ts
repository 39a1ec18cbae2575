/**
 * Starts one throwaway Neo4j for the test run (free port, temp directory removed afterwards),
 * unless NEO4J_TEST_URI points at one. Tests read it with inject('neo4jUri').
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureBuilt, startEmbeddedNeo4j } from '../../src/neo4j/embedded.ts';
import { freePort } from './ports.ts';
import { ensurePython } from './python.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    neo4jUri: string;
    /** The data directory of the suite's own Neo4j; empty with NEO4J_TEST_URI. */
    neo4jDataDir: string;
    /** The python of the suite's virtual environment (test/python/requirements.txt). */
    python: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  project.provide('python', await ensurePython((line) => console.log(line)));
  const external = process.env['NEO4J_TEST_URI'];
  if (external) {
    project.provide('neo4jUri', external);
    project.provide('neo4jDataDir', '');
    return async () => {};
  }
  ensureBuilt((line) => console.log(`test setup: ${line}`));
  const dataDir = await mkdtemp(join(tmpdir(), 'pedigree-test-neo4j-'));
  const neo4j = await startEmbeddedNeo4j({ port: await freePort(), dataDir, heap: '2g', pagecache: '512m', tieToParent: true });
  project.provide('neo4jUri', neo4j.uri);
  project.provide('neo4jDataDir', dataDir);
  return async () => {
    await neo4j.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
