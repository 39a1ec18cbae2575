/**
 * Run search (`runs(filter, orderBy)`): keyset pagination over indexes. The WHERE clauses are
 * built from the *shape* of a validated search (which filters are present, how many
 * predicates), never from input strings; every value is a parameter.
 */
import neo4j, { type Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { nodeRow } from '../values.ts';
import type { RunRow } from '../../domain/rows.ts';

export interface RunSearch {
  readonly projectId: string;
  readonly experimentId: string | null;
  readonly types: readonly string[] | null;
  readonly statuses: readonly string[] | null;
  /** Each: the run property (`p.<dotted key>`) and the accepted canonical JSON values. */
  readonly params: readonly { readonly property: string; readonly values: readonly string[] }[];
  readonly metrics: readonly { readonly key: string; readonly gt: number | null; readonly gte: number | null; readonly lt: number | null; readonly lte: number | null }[];
  readonly usedId: string | null;
  /** ISO instants: startedAfter <= startedAt < startedBefore. */
  readonly startedAfter: string | null;
  readonly startedBefore: string | null;
}

/** A run with its sort key as read (`startedAt` as Neo4j's own string, lossless for the cursor). */
export interface RunHit {
  readonly run: RunRow;
  readonly startedAt: string;
  readonly last: number | null;
}

function filters(s: RunSearch): string[] {
  const metric = (i: number) => {
    const p = `$s.metrics[${i}]`;
    return `EXISTS { MATCH (r)-[:HAS_METRIC]->(m${i}:MetricSeries) WHERE m${i}.key = ${p}.key
      AND (${p}.gt IS NULL OR m${i}.last > ${p}.gt) AND (${p}.gte IS NULL OR m${i}.last >= ${p}.gte)
      AND (${p}.lt IS NULL OR m${i}.last < ${p}.lt) AND (${p}.lte IS NULL OR m${i}.last <= ${p}.lte) }`;
  };
  return [
    'r.projectId = $s.projectId',
    ...(s.experimentId !== null ? ['r.experimentId = $s.experimentId'] : []),
    ...(s.types !== null ? ['r.type IN $s.types'] : []),
    ...(s.statuses !== null ? ['r.status IN $s.statuses'] : []),
    ...(s.startedAfter !== null ? ['r.startedAt >= datetime($s.startedAfter)'] : []),
    ...(s.startedBefore !== null ? ['r.startedAt < datetime($s.startedBefore)'] : []),
    ...s.params.map((_, i) => `r[$s.params[${i}].property] IN $s.params[${i}].values`),
    ...s.metrics.map((_, i) => metric(i)),
    ...(s.usedId !== null ? ['EXISTS { MATCH (r)-[:USED]->(u:LineageNode) WHERE u.id = $s.usedId }'] : []),
  ];
}

function hits(records: readonly { get(key: string): unknown }[]): RunHit[] {
  return records.map((rec) => ({
    run: nodeRow<RunRow>(rec.get('r') as Node),
    startedAt: rec.get('startedAt') as string,
    last: (rec.get('last') as number | null) ?? null,
  }));
}

/**
 * Up to `limit` matching runs, newest first (startedAt, then id, descending), after the
 * cursor; with `withoutMetric`, only runs that have no series of that key (the tail of a
 * metric order). Served in order by run_project_started_id (or run_experiment_started_id).
 */
export async function runsByStart(
  tx: Tx,
  s: RunSearch,
  page: { after: { startedAt: string; id: string } | null; limit: number; withoutMetric: string | null },
): Promise<RunHit[]> {
  const where = [
    // Every property of the composite index needs a predicate, or the planner scans the label.
    'r.startedAt IS NOT NULL AND r.id IS NOT NULL',
    ...filters(s),
    ...(page.after ? ['r.startedAt <= datetime($after.startedAt) AND (r.startedAt < datetime($after.startedAt) OR r.id < $after.id)'] : []),
    ...(page.withoutMetric !== null ? ['NOT EXISTS { MATCH (r)-[:HAS_METRIC]->(x:MetricSeries) WHERE x.key = $withoutMetric }'] : []),
  ];
  const records = await tx.run(
    `MATCH (r:Run)
     WHERE ${where.join('\n       AND ')}
     RETURN r, toString(r.startedAt) AS startedAt, null AS last
     ORDER BY r.projectId DESC, r.startedAt DESC, r.id DESC
     LIMIT $limit`,
    { s, after: page.after, withoutMetric: page.withoutMetric, limit: neo4j.int(page.limit) },
  );
  return hits(records);
}

/**
 * Up to `limit` matching runs that have the metric, by its latest value (ties by run id, same
 * direction), after the cursor. Served in order by metric_series_order: the ORDER BY names all
 * of its properties, so the plan has no Sort and stops after `limit` rows (checked with PROFILE).
 */
export async function runsByMetric(
  tx: Tx,
  s: RunSearch,
  page: { metric: string; descending: boolean; after: { last: number; id: string } | null; limit: number },
): Promise<RunHit[]> {
  const [cmp, dir] = page.descending ? ['<', 'DESC'] : ['>', 'ASC'];
  const seek = page.after ? `AND m.last ${cmp}= $after.last AND (m.last ${cmp} $after.last OR m.runId ${cmp} $after.id)` : '';
  const records = await tx.run(
    `MATCH (m:MetricSeries)
     WHERE m.projectId = $s.projectId AND m.key = $metric AND m.last IS NOT NULL AND m.runId IS NOT NULL ${seek}
     MATCH (r:Run {id: m.runId})
     WHERE ${filters(s).join('\n       AND ')}
     RETURN r, toString(r.startedAt) AS startedAt, m.last AS last
     ORDER BY m.projectId ${dir}, m.key ${dir}, m.last ${dir}, m.runId ${dir}
     LIMIT $limit`,
    { s, metric: page.metric, after: page.after, limit: neo4j.int(page.limit) },
  );
  return hits(records);
}

// ---------------------------------------------------------------- backfill

/** Up to `limit` runs whose params are not stored flattened yet (written before V005). */
export async function runsWithoutSearchProps(tx: Tx, version: number, limit: number): Promise<{ id: string; paramsJson: string }[]> {
  const records = await tx.run(
    'MATCH (r:Run) WHERE r.searchVersion IS NULL OR r.searchVersion < $version RETURN r.id AS id, r.paramsJson AS paramsJson LIMIT $limit',
    { version: neo4j.int(version), limit: neo4j.int(limit) },
  );
  return records.map((rec) => ({ id: rec.get('id') as string, paramsJson: rec.get('paramsJson') as string }));
}

export async function setSearchProps(tx: Tx, rows: readonly { id: string; props: Record<string, string | number> }[]): Promise<void> {
  await tx.run('UNWIND $rows AS row MATCH (r:Run {id: row.id}) SET r += row.props', { rows });
}

/** The version a named start-up backfill last completed, or null when it never did. */
export async function backfillVersion(tx: Tx, name: string): Promise<number | null> {
  const [record] = await tx.run('MATCH (b:PedigreeBackfill {name: $name}) RETURN b.version AS version', { name });
  return (record?.get('version') as number | undefined) ?? null;
}

export async function recordBackfill(tx: Tx, name: string, version: number): Promise<void> {
  await tx.run(
    'MERGE (b:PedigreeBackfill {name: $name}) SET b.version = $version, b.completedAt = datetime()',
    { name, version: neo4j.int(version) },
  );
}
