import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createExecutor } from '../../../src/neo4j/executor.ts';
import { loadMigrations, migrate } from '../../../src/neo4j/migrations.ts';
import { testDriver } from '../../support/graph.ts';
import { useScratchDirs } from '../../support/scratch.ts';

const driver = testDriver();
const logger = pino({ level: 'silent' });
const executor = createExecutor({ driver, database: 'neo4j', logger });

afterAll(() => driver.close());

/** Temporary directories for migration files, removed after each test. */
const scratch = useScratchDirs('pedigree-migrations-');

describe('migrations on a real Neo4j', () => {
  it('apply each version once, even when two gateways migrate at the same moment', async () => {
    const dir = await scratch();
    const version = 900 + Math.floor(Math.random() * 90);
    const index = `test_index_${version}`;
    await writeFile(join(dir, `V${version}__test_index.cypher`), `CREATE INDEX ${index} IF NOT EXISTS FOR (n:MigrationProbe) ON (n.v);\n`);
    const migrations = await loadMigrations(dir);

    const [a, b] = await Promise.all([migrate(executor, logger, migrations), migrate(executor, logger, migrations)]);
    expect([...a.applied, ...b.applied]).toEqual([version]);

    const again = await migrate(executor, logger, migrations);
    expect(again.applied).toEqual([]);

    const { records } = await driver.executeQuery('MATCH (m:PedigreeMigration {version: $version}) RETURN count(m) AS n', { version });
    expect(records[0]!.get('n')).toBe(1);
    const indexes = await driver.executeQuery('SHOW INDEXES YIELD name WHERE name = $index RETURN name', { index });
    expect(indexes.records).toHaveLength(1);

    await driver.executeQuery(`DROP INDEX ${index} IF EXISTS`);
    await driver.executeQuery('MATCH (m:PedigreeMigration {version: $version}) DELETE m', { version });
  });

  it('leave the shipped constraints in place', async () => {
    await migrate(executor, logger, await loadMigrations());
    const { records } = await driver.executeQuery('SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names');
    const names = records[0]!.get('names') as string[];
    expect(names).toEqual(expect.arrayContaining(['lineage_node_id', 'dataset_version_digest', 'checkpoint_step', 'event_seq']));
  });
});
