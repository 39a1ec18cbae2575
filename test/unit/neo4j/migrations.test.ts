import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations, splitStatements } from '../../../src/neo4j/migrations.ts';
import { useScratchDirs } from '../../support/scratch.ts';

/** Temporary directories for migration files, removed after each test. */
const scratch = useScratchDirs('pedigree-migrations-');

describe('migration files', () => {
  it('splits statements at semicolons that end a line and drops line comments', () => {
    const text = '// header\nCREATE INDEX a IF NOT EXISTS FOR (n:A) ON (n.x);\n\n// next\nCREATE INDEX b IF NOT EXISTS\n  FOR (n:B) ON (n.y);\n';
    expect(splitStatements(text)).toEqual([
      'CREATE INDEX a IF NOT EXISTS FOR (n:A) ON (n.x)',
      'CREATE INDEX b IF NOT EXISTS\n  FOR (n:B) ON (n.y)',
    ]);
  });

  it('orders the shipped migrations by version, starting with the constraints', async () => {
    const migrations = await loadMigrations();
    expect(migrations[0]).toMatchObject({ version: 1, name: 'constraints' });
    expect(migrations[0]!.statements.length).toBeGreaterThan(20);
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
  });

  it('refuses a file whose name is not V###__name.cypher', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'constraints.cypher'), 'RETURN 1;');
    await expect(loadMigrations(dir)).rejects.toThrow(/does not match V###__name.cypher/);
  });
});
