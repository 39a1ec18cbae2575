/** Runs, experiments and metric series. */
import neo4j, { type Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { pinned } from '../plans.ts';
import { nodeRow, toPlain } from '../values.ts';
import { composeEvents, type NewEvent } from './event-append.ts';
import { ADMITTED, headersCypher, headersFrom, type HeaderGate, type NodeHeaders } from './nodes.ts';
import type { ExperimentRow, RunRow, RunStatus, RunType } from '../../domain/rows.ts';

export interface NewRun {
  readonly id: string;
  readonly projectId: string;
  readonly createdBy: string | null;
  readonly name: string;
  readonly type: RunType;
  readonly paramsJson: string;
  readonly codeJson: string | null;
  readonly environmentJson: string | null;
  readonly fingerprint: string;
  readonly idempotencyKey: string | null;
  readonly parentId: string | null;
  /** Flattened params (`p.<dotted key>` -> canonical JSON) and the search version: see src/domain/search-params.ts. */
  readonly searchProps: Record<string, string | number>;
}

const RUN_PROPS = `r.id = $run.id, r.projectId = $run.projectId, r.createdBy = $run.createdBy, r.externalId = null,
  r.name = $run.name, r.type = $run.type, r.status = 'RUNNING', r.paramsJson = $run.paramsJson,
  r.codeJson = $run.codeJson, r.environmentJson = $run.environmentJson, r.summaryMetricsJson = '{}',
  r.fingerprint = $run.fingerprint, r.idempotencyKey = $run.idempotencyKey, r.parentId = $run.parentId,
  r.experimentId = null, r.createdAt = datetime(), r.startedAt = datetime(), r.endedAt = null, r += $run.searchProps`;

/** What a new run is linked to: its experiment (created on first use), parent and inputs. */
export interface RunLinks {
  readonly experiment: { readonly id: string; readonly name: string } | null;
  readonly inputs: readonly { readonly id: string; readonly role: string | null }[];
}

/**
 * Creates the run with its links (experiment, parent, inputs) and `events` in one statement
 * (composeEvents: the unit's last) and returns it, with the headers of `headerIds` for the
 * caller's reference checks (headersCypher); with an idempotency key, returns instead the run
 * that already has it, linking nothing and appending no event (MERGE on the constrained
 * (projectId, idempotencyKey) pair: concurrent calls get one run). With a `gate`, the statement
 * writes only when the checks pass (ADMITTED), and otherwise returns null having written nothing.
 */
export async function createRun(
  tx: Tx,
  run: NewRun,
  links: RunLinks,
  events: readonly NewEvent[],
  headerIds: readonly string[],
  gate: HeaderGate | null,
): Promise<{ run: RunRow; headers: NodeHeaders } | null> {
  const composed = composeEvents(tx, events, { when: 'created' });
  const headers = headersCypher(headerIds);
  const create =
    run.idempotencyKey === null
      ? `CREATE (r:Run:LineageNode) SET ${RUN_PROPS} WITH r, headers, true AS created`
      : `MERGE (r:Run:LineageNode {projectId: $run.projectId, idempotencyKey: $run.idempotencyKey})
         ON CREATE SET ${RUN_PROPS}
         WITH r, headers, r.id = $run.id AS created`;
  const [record] = await tx.run(
    pinned(`${headers.cypher}
     ${gate ? `WITH * WHERE ${ADMITTED}` : ''}
     ${create}
     CALL (r, created) {
       WITH r WHERE created
       UNWIND $inputs AS i
       MATCH (n:LineageNode {id: i.id})
       CREATE (r)-[:USED {role: i.role, createdAt: datetime()}]->(n)
     }
     CALL (r, created) {
       WITH r WHERE created AND $run.parentId IS NOT NULL
       MATCH (p:Run {id: $run.parentId})
       CREATE (r)-[:CHILD_OF]->(p)
     }
     CALL (r, created) {
       WITH r WHERE created AND $experiment IS NOT NULL
       MERGE (e:Experiment {projectId: $run.projectId, name: $experiment.name})
       ON CREATE SET e.id = $experiment.id, e.createdAt = datetime(), e.createdBy = $run.createdBy
       CREATE (r)-[:PART_OF]->(e)
       SET r.experimentId = e.id
     }
     ${composed.cypher}
     RETURN r, headers, ${composed.columns}`),
    { run, inputs: links.inputs, experiment: links.experiment, gate, ...composed.params, ...headers.params },
  );
  // Gated: no record when a check failed, and nothing was written.
  if (!record) return null;
  composed.answered(record);
  return { run: nodeRow<RunRow>(record.get('r') as Node), headers: headersFrom(record) };
}

/** The run, write-locked until the transaction ends (serializes writers of one run); null if missing. */
export async function lockRun(tx: Tx, runId: string): Promise<RunRow | null> {
  const [record] = await tx.run('MATCH (r:Run {id: $runId}) SET r.__lock = true REMOVE r.__lock RETURN r', { runId });
  return record ? nodeRow<RunRow>(record.get('r') as Node) : null;
}

export interface SeriesAppend {
  readonly key: string;
  /** -1 where a point has no step. */
  readonly steps: readonly number[];
  readonly values: readonly number[];
  /** ISO instants; null means "now". */
  readonly timestamps: readonly (string | null)[];
}

/**
 * Points a series keeps in its own lists; beyond that they move, a thousand at a time, to
 * sealed chunks (`(:MetricSeries)-[:HAS_CHUNK]->(:MetricChunk {index, steps, values,
 * timestamps})`). Neo4j rewrites a list property whole on every change, so with every point in
 * the series' own lists an append's cost grew with the series: a one-point `logMetrics` took 18 ms
 * on a new series and 123 ms on one of 100,000 points. With chunks it rewrites at most this many
 * points plus the appended ones.
 */
export const METRIC_CHUNK_POINTS = 1_000;

/** The points of `$series` appended to the series of run `r`, which the statement has locked. */
const SERIES_APPEND = `UNWIND $series AS s
  MERGE (m:MetricSeries {runId: $runId, key: s.key})
  ON CREATE SET m.projectId = r.projectId, m.steps = [], m.values = [], m.timestamps = [], m.sealed = 0, m.created = true
  WITH r, m, s, m.created AS created
  REMOVE m.created
  SET m.steps = m.steps + [x IN s.steps | toInteger(x)],
      m.values = m.values + [x IN s.values | toFloat(x)],
      m.timestamps = m.timestamps + [t IN s.timestamps | CASE WHEN t IS NULL THEN datetime() ELSE datetime(t) END],
      m.last = toFloat(s.values[-1])
  FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END | CREATE (r)-[:HAS_METRIC]->(m))
  WITH m, size(m.steps) / ${METRIC_CHUNK_POINTS} AS full, coalesce(m.sealed, 0) AS sealed
  FOREACH (i IN range(0, full - 1) |
    CREATE (m)-[:HAS_CHUNK]->(:MetricChunk {
      index: sealed + i,
      steps: m.steps[i * ${METRIC_CHUNK_POINTS}..(i + 1) * ${METRIC_CHUNK_POINTS}],
      values: m.values[i * ${METRIC_CHUNK_POINTS}..(i + 1) * ${METRIC_CHUNK_POINTS}],
      timestamps: m.timestamps[i * ${METRIC_CHUNK_POINTS}..(i + 1) * ${METRIC_CHUNK_POINTS}]
    }))
  FOREACH (_ IN CASE WHEN full > 0 THEN [1] ELSE [] END |
    SET m.steps = m.steps[full * ${METRIC_CHUNK_POINTS}..],
        m.values = m.values[full * ${METRIC_CHUNK_POINTS}..],
        m.timestamps = m.timestamps[full * ${METRIC_CHUNK_POINTS}..],
        m.sealed = sealed + full)`;

/**
 * Run `r`'s summary rebuilt from its series' latest values, which is what the summary holds:
 * every append sets a series' `last` from the key's last point. The numbers are formatted by
 * Cypher (`1.0`, `1.0E-7`), valid JSON that parses to the values appended.
 */
const SUMMARY_FROM_SERIES = `WITH r, COLLECT { MATCH (r)-[:HAS_METRIC]->(m:MetricSeries) WHERE m.last IS NOT NULL RETURN m ORDER BY m.key } AS series
  SET r.summaryMetricsJson = '{' + reduce(json = '', m IN series |
    json + CASE json WHEN '' THEN '' ELSE ',' END
    + '"' + replace(replace(m.key, '\\\\', '\\\\\\\\'), '"', '\\\\"') + '":' + toString(m.last)) + '}'`;

/**
 * The statement of appendMetrics: appends each key's points to its series' lists, moves every
 * full thousand of them to new sealed chunks (written once, never changed), and rebuilds the
 * run's summary. A series stored before chunks existed keeps all its points in its lists until
 * its next append seals them.
 */
export const APPEND_METRICS = `MATCH (r:Run {id: $runId})
  CALL (r) {
    ${SERIES_APPEND}
  }
  ${SUMMARY_FROM_SERIES}
  RETURN r.summaryMetricsJson AS summaryMetricsJson`;

/** Appends points to each key's series (one statement) and rebuilds the run's summary, which it answers. */
export async function appendMetrics(tx: Tx, runId: string, series: readonly SeriesAppend[]): Promise<string> {
  const [record] = await tx.run(APPEND_METRICS, { runId, series });
  return record!.get('summaryMetricsJson') as string;
}

/**
 * logMetrics as one statement, for an auto-commit transaction: when the run exists, is RUNNING
 * and is in one of `writable`'s projects, it is locked, its series appended to and its summary
 * rebuilt, as appendMetrics does. Otherwise no row, and nothing written.
 */
export async function appendMetricsChecked(
  tx: Tx,
  runId: string,
  series: readonly SeriesAppend[],
  writable: { all: boolean; projects: readonly string[] },
): Promise<RunRow | null> {
  const [record] = await tx.run(
    pinned(`MATCH (r:Run {id: $runId})
     WHERE $writable.all OR r.projectId IN $writable.projects
     SET r.__lock = true REMOVE r.__lock
     // The status as it is once the lock is held: a finishRun that held it has committed.
     WITH r WHERE r.status = 'RUNNING'
     CALL (r) {
       ${SERIES_APPEND}
     }
     ${SUMMARY_FROM_SERIES}
     RETURN r`),
    { runId, series, writable },
  );
  return record ? nodeRow<RunRow>(record.get('r') as Node) : null;
}

/** A series' sealed chunks in order, as a Cypher expression of `s` (the series node); see seriesPoints. */
export const SERIES_CHUNKS = 'COLLECT { MATCH (s)-[:HAS_CHUNK]->(c:MetricChunk) RETURN c ORDER BY c.index }';

/** A series' points, from its sealed chunks (in index order) and then its own lists. */
export function seriesPoints<T extends { steps: number[]; values: number[]; timestamps: Date[] }>(series: Node, chunks: readonly Node[]): T {
  const row = nodeRow<T>(series);
  if (chunks.length === 0) return row;
  const parts = chunks.map((chunk) => nodeRow<{ steps: number[]; values: number[]; timestamps: Date[] }>(chunk));
  return {
    ...row,
    steps: [...parts.flatMap((part) => part.steps), ...row.steps],
    values: [...parts.flatMap((part) => part.values), ...row.values],
    timestamps: [...parts.flatMap((part) => part.timestamps), ...row.timestamps],
  };
}

export async function finishRunNode(tx: Tx, runId: string, status: RunStatus, outputs: readonly { id: string; role: string | null }[]): Promise<RunRow> {
  if (outputs.length > 0) {
    await tx.run(
      `MATCH (r:Run {id: $runId})
       UNWIND $outputs AS o
       MATCH (n:LineageNode {id: o.id})
       CREATE (n)-[:GENERATED_BY {role: o.role, createdAt: datetime()}]->(r)`,
      { runId, outputs },
    );
  }
  const [record] = await tx.run('MATCH (r:Run {id: $runId}) SET r.status = $status, r.endedAt = datetime() RETURN r', { runId, status });
  return nodeRow<RunRow>(record!.get('r') as Node);
}

/**
 * The id of the project's experiment with this name, when the project is among `projectIds`
 * (every project when null); null otherwise, in the same one statement either way.
 */
export async function experimentIdByName(tx: Tx, projectId: string, name: string, projectIds: readonly string[] | null): Promise<string | null> {
  const [record] = await tx.run(
    'MATCH (e:Experiment {projectId: $projectId, name: $name}) WHERE $projectIds IS NULL OR e.projectId IN $projectIds RETURN e.id AS id',
    { projectId, name, projectIds },
  );
  return (record?.get('id') as string | undefined) ?? null;
}

// ---------------------------------------------------------------- batched reads (loaders)

export interface MetricSeriesRow {
  readonly runId: string;
  readonly key: string;
  readonly last: number | null;
  readonly steps: number[];
  readonly values: number[];
  readonly timestamps: Date[];
}

export interface EdgeRow {
  readonly nodeId: string;
  readonly role: string | null;
}

export async function metricSeriesOfRuns(tx: Tx, runIds: readonly string[]): Promise<Array<[string, MetricSeriesRow]>> {
  const records = await tx.run(`MATCH (r:Run)-[:HAS_METRIC]->(s:MetricSeries) WHERE r.id IN $runIds RETURN r.id AS runId, s, ${SERIES_CHUNKS} AS chunks ORDER BY s.key`, { runIds });
  return records.map((rec) => [rec.get('runId') as string, seriesPoints<MetricSeriesRow>(rec.get('s') as Node, rec.get('chunks') as Node[])]);
}

export async function childrenOfRuns(tx: Tx, runIds: readonly string[]): Promise<Array<[string, RunRow]>> {
  const records = await tx.run('MATCH (c:Run)-[:CHILD_OF]->(p:Run) WHERE p.id IN $runIds RETURN p.id AS parentId, c ORDER BY c.id', { runIds });
  return records.map((rec) => [rec.get('parentId') as string, nodeRow<RunRow>(rec.get('c') as Node)]);
}

export async function inputsOfRuns(tx: Tx, runIds: readonly string[]): Promise<Array<[string, EdgeRow]>> {
  const records = await tx.run(
    'MATCH (r:Run)-[u:USED]->(n:LineageNode) WHERE r.id IN $runIds RETURN r.id AS runId, n.id AS nodeId, u.role AS role ORDER BY u.createdAt, n.id',
    { runIds },
  );
  return records.map((rec) => [rec.get('runId') as string, { nodeId: rec.get('nodeId') as string, role: rec.get('role') as string | null }]);
}

export async function outputsOfRuns(tx: Tx, runIds: readonly string[]): Promise<Array<[string, EdgeRow]>> {
  const records = await tx.run(
    'MATCH (r:Run)<-[g:GENERATED_BY]-(n:LineageNode) WHERE r.id IN $runIds RETURN r.id AS runId, n.id AS nodeId, g.role AS role ORDER BY g.createdAt, n.id',
    { runIds },
  );
  return records.map((rec) => [rec.get('runId') as string, { nodeId: rec.get('nodeId') as string, role: rec.get('role') as string | null }]);
}

export interface PageKey {
  /** The experiment (runs) or project (experiments) id. */
  readonly parentId: string;
  readonly first: number;
  /** Only rows with a smaller id (ids are time-ordered: newest first). */
  readonly after: string | null;
}

/** first + 1 runs per key, newest first (the extra one tells whether there is a next page). */
export function runPagesOfExperiments(tx: Tx, keys: readonly PageKey[]): Promise<RunRow[][]> {
  return byPageSize(keys, (group) => runPages(tx, group));
}

/** LIMIT takes no per-row value: one query per distinct page size (in practice one). */
async function byPageSize<T>(keys: readonly PageKey[], fetch: (keys: readonly PageKey[]) => Promise<T[][]>): Promise<T[][]> {
  const groups = new Map<number, number[]>();
  keys.forEach((key, i) => groups.set(key.first, [...(groups.get(key.first) ?? []), i]));
  const result: T[][] = keys.map(() => []);
  for (const indexes of groups.values()) {
    const pages = await fetch(indexes.map((i) => keys[i]!));
    indexes.forEach((keyIndex, j) => (result[keyIndex] = pages[j]!));
  }
  return result;
}

async function runPages(tx: Tx, keys: readonly PageKey[]): Promise<RunRow[][]> {
  const records = await tx.run(
    `UNWIND range(0, size($keys) - 1) AS i
     WITH i, $keys[i] AS k
     CALL (k) {
       MATCH (e:Experiment {id: k.parentId})<-[:PART_OF]-(r:Run)
       WHERE k.after IS NULL OR r.id < k.after
       WITH r ORDER BY r.id DESC LIMIT $limit
       RETURN collect(r) AS rows
     }
     RETURN i, rows`,
    { keys, limit: neo4j.int(keys[0]!.first + 1) },
  );
  const pages: RunRow[][] = keys.map(() => []);
  for (const rec of records) pages[rec.get('i') as number] = (rec.get('rows') as Node[]).map((n) => nodeRow<RunRow>(n));
  return pages;
}

export function experimentPagesOfProjects(tx: Tx, keys: readonly PageKey[]): Promise<ExperimentRow[][]> {
  return byPageSize(keys, (group) => experimentPages(tx, group));
}

async function experimentPages(tx: Tx, keys: readonly PageKey[]): Promise<ExperimentRow[][]> {
  const records = await tx.run(
    `UNWIND range(0, size($keys) - 1) AS i
     WITH i, $keys[i] AS k
     CALL (k) {
       MATCH (e:Experiment) WHERE e.projectId = k.parentId AND (k.after IS NULL OR e.id < k.after)
       WITH e ORDER BY e.id DESC LIMIT $limit
       RETURN collect(e) AS rows
     }
     RETURN i, rows`,
    { keys, limit: neo4j.int(keys[0]!.first + 1) },
  );
  const pages: ExperimentRow[][] = keys.map(() => []);
  for (const rec of records) pages[rec.get('i') as number] = (rec.get('rows') as Node[]).map((n) => toPlain(n.properties) as ExperimentRow);
  return pages;
}

/** The newest COMPLETED run of the project with this fingerprint (through the fingerprint index). */
export async function completedRunByFingerprint(tx: Tx, projectId: string, fingerprint: string): Promise<RunRow | null> {
  const [record] = await tx.run(
    `MATCH (r:Run {fingerprint: $fingerprint})
     WHERE r.projectId = $projectId AND r.status = 'COMPLETED'
     RETURN r ORDER BY r.startedAt DESC, r.id DESC LIMIT 1`,
    { projectId, fingerprint },
  );
  return record ? nodeRow<RunRow>(record.get('r') as Node) : null;
}

/** The run without locking it (for read transactions); null if missing. */
export async function findRun(tx: Tx, runId: string): Promise<RunRow | null> {
  const [record] = await tx.run('MATCH (r:Run {id: $runId}) RETURN r', { runId });
  return record ? nodeRow<RunRow>(record.get('r') as Node) : null;
}

/** Creates the experiment, or returns the one of that name (MERGE on the constrained (projectId, name) pair). */
export async function mergeExperiment(
  tx: Tx,
  input: { id: string; projectId: string; name: string; createdBy: string | null },
): Promise<{ experiment: ExperimentRow; created: boolean }> {
  const [record] = await tx.run(
    `MERGE (e:Experiment {projectId: $projectId, name: $name})
     ON CREATE SET e.id = $id, e.createdAt = datetime(), e.createdBy = $createdBy
     RETURN e, e.id = $id AS created`,
    input,
  );
  return { experiment: nodeRow<ExperimentRow>(record!.get('e') as Node), created: record!.get('created') as boolean };
}

/** Sets the run's params (with their search properties), tags, name, code and fingerprint, as given. */
export async function updateRunDetails(
  tx: Tx,
  runId: string,
  input: { paramsJson: string; searchProps: Record<string, string | number>; tagsJson: string; name: string; codeJson: string | null; fingerprint: string },
): Promise<RunRow> {
  const [record] = await tx.run(
    `MATCH (r:Run {id: $runId})
     SET r.paramsJson = $paramsJson, r.tagsJson = $tagsJson, r.name = $name, r.codeJson = $codeJson, r.fingerprint = $fingerprint,
         r += $searchProps
     RETURN r`,
    { runId, ...input },
  );
  return nodeRow<RunRow>(record!.get('r') as Node);
}

/** Ids of the nodes the run USED. */
export async function runInputIds(tx: Tx, runId: string): Promise<string[]> {
  const records = await tx.run('MATCH (:Run {id: $runId})-[:USED]->(n:LineageNode) RETURN DISTINCT n.id AS id', { runId });
  return records.map((r) => r.get('id') as string);
}
