/**
 * Versioned schema migrations: neo4j/migrations/V###__name.cypher, applied in version order,
 * each once, recorded as (:PedigreeMigration {version}) in the database.
 *
 * Two gateways starting together: both create the bookkeeping constraints (IF NOT EXISTS,
 * retried if they race), then take a lease on (:PedigreeLock {name: 'migrations'}); the one
 * that holds it applies what is missing, the other waits and then finds nothing to do. A
 * holder that dies leaves a lease that expires. Migration statements are themselves
 * idempotent (IF NOT EXISTS), so a migration cut off half-way is safely applied again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Executor } from './executor.ts';

export const MIGRATIONS_DIR = join(import.meta.dirname, '..', '..', 'neo4j', 'migrations');

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly statements: readonly string[];
}

const FILE_PATTERN = /^V(\d{3,})__([a-z0-9_]+)\.cypher$/;
const LEASE_MS = 120_000;

const BOOTSTRAP = [
  'CREATE CONSTRAINT pedigree_migration_version IF NOT EXISTS FOR (m:PedigreeMigration) REQUIRE m.version IS UNIQUE',
  'CREATE CONSTRAINT pedigree_lock_name IF NOT EXISTS FOR (l:PedigreeLock) REQUIRE l.name IS UNIQUE',
];

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.cypher')).sort();
  const migrations: Migration[] = [];
  for (const file of names) {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new Error(`migration file name '${file}' does not match V###__name.cypher`);
    const text = await readFile(join(dir, file), 'utf8');
    migrations.push({
      version: Number(match[1]),
      name: match[2]!,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    });
  }
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error('two migration files share a version');
  return migrations.sort((a, b) => a.version - b.version);
}

/** Statements end with ';' at the end of a line; '//' line comments are dropped. */
export function splitStatements(text: string): string[] {
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

export interface MigrationReport {
  readonly applied: number[];
  readonly current: number;
}

export async function migrate(executor: Executor, logger: Logger, migrations?: readonly Migration[]): Promise<MigrationReport> {
  const all = migrations ?? (await loadMigrations());
  for (const statement of BOOTSTRAP) await runSchemaStatement(executor, statement);

  const holder = randomUUID();
  await acquireLease(executor, holder);
  try {
    const applied = await appliedVersions(executor);
    const done: number[] = [];
    for (const migration of all) {
      if (applied.has(migration.version)) continue;
      logger.info({ version: migration.version, name: migration.name }, 'applying migration');
      for (const statement of migration.statements) await runSchemaStatement(executor, statement);
      await executor.write('migrations.record', (tx) =>
        tx.run(
          `MERGE (m:PedigreeMigration {version: $version})
           ON CREATE SET m.name = $name, m.checksum = $checksum, m.appliedAt = datetime()`,
          { version: migration.version, name: migration.name, checksum: migration.checksum },
        ),
      );
      done.push(migration.version);
    }
    return { applied: done, current: Math.max(0, ...all.map((m) => m.version)) };
  } finally {
    await executor.write('migrations.release', (tx) =>
      tx.run(`MATCH (l:PedigreeLock {name: 'migrations', holder: $holder}) SET l.holder = null`, { holder }),
    );
  }
}

/** Highest applied version that matches a known file, for /health/ready. */
export async function migrationsApplied(executor: Executor, migrations: readonly Migration[]): Promise<boolean> {
  const applied = await appliedVersions(executor);
  return migrations.every((m) => applied.has(m.version));
}

async function appliedVersions(executor: Executor): Promise<Set<number>> {
  const records = await executor.read('migrations.applied', (tx) =>
    tx.run('MATCH (m:PedigreeMigration) RETURN m.version AS version'),
  );
  return new Set(records.map((r) => r.get('version') as number));
}

async function acquireLease(executor: Executor, holder: string): Promise<void> {
  const deadline = Date.now() + 2 * LEASE_MS;
  for (;;) {
    const acquired = await executor.write('migrations.lease', async (tx) => {
      // SET before reading `holder`: the write lock makes the read below see the latest commit.
      const records = await tx.run(
        `MERGE (l:PedigreeLock {name: 'migrations'})
         SET l.touchedAt = datetime()
         WITH l
         WHERE l.holder IS NULL OR l.holder = $holder OR l.expiresAt < datetime()
         SET l.holder = $holder, l.expiresAt = datetime() + duration({milliseconds: $lease})
         RETURN true AS acquired`,
        { holder, lease: LEASE_MS },
      );
      return records.length > 0;
    });
    if (acquired) return;
    if (Date.now() > deadline) throw new Error('timed out waiting for another gateway to finish migrations');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Schema statements cannot share a transaction with writes; two gateways may race on them. */
async function runSchemaStatement(executor: Executor, statement: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await executor.write('migrations.schema', (tx) => tx.run(statement));
      return;
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? '');
      const raced = code.includes('EquivalentSchemaRuleAlreadyExists') || code.includes('ConstraintAlreadyExists') || code.includes('IndexAlreadyExists');
      if (!raced || attempt >= 3) throw error;
    }
  }
}
