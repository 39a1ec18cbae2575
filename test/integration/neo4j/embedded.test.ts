/** The embedded Neo4j's launcher (src/neo4j/embedded.ts) refusing what it cannot run, in one line. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedNeo4jError, startEmbeddedNeo4j } from '../../../src/neo4j/embedded.ts';
import { freePort } from '../../support/ports.ts';

describe('startEmbeddedNeo4j', () => {
  let scratch: string | null = null;
  afterEach(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('refuses a plugins directory that does not exist, before creating the data directory', async () => {
    scratch = await mkdtemp(join(tmpdir(), 'pedigree-embedded-'));
    const dataDir = join(scratch, 'data');
    const plugins = join(scratch, 'no-such-plugins');
    const start = startEmbeddedNeo4j({ port: await freePort(), dataDir, plugins, heap: '256m', pagecache: '16m' });
    await expect(start).rejects.toThrow(EmbeddedNeo4jError);
    await expect(start).rejects.toThrow(`pedigree-neo4j: --plugins ${plugins} is not a directory`);
    expect(existsSync(dataDir)).toBe(false);
  });
});
