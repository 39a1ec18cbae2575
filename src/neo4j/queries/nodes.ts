/** Generic reads by id for every label. Labels come from the allow-list below, never from input. */
import type { Tx } from '../executor.ts';
import { toPlain } from '../values.ts';
import { labelOf } from '../../domain/ids.ts';
import { LINEAGE_LABELS } from '../../domain/rows.ts';

export const READABLE_LABELS = [
  'Project',
  'Dataset',
  'DatasetVersion',
  'Experiment',
  'Run',
  'Checkpoint',
  'Artifact',
  'Model',
  'ModelVersion',
  'Deployment',
] as const;
export type ReadableLabel = (typeof READABLE_LABELS)[number];

/**
 * The datetime properties of each label (src/domain/rows.ts). Reads return them as epoch
 * milliseconds, converted to Dates here: decoding a Neo4j DateTime in the driver costs more
 * than everything else in a row (measured: 10,000 runs read 2x faster). A datetime this list
 * misses still reads correctly, through the generic conversion.
 */
const DATETIME_PROPERTIES: Record<ReadableLabel, readonly string[]> = {
  Project: ['createdAt'],
  Dataset: ['createdAt'],
  DatasetVersion: ['createdAt'],
  Experiment: ['createdAt'],
  Run: ['createdAt', 'startedAt', 'endedAt'],
  Checkpoint: ['createdAt', 'deletedAt'],
  Artifact: ['createdAt'],
  Model: ['createdAt'],
  ModelVersion: ['createdAt'],
  Deployment: ['createdAt', 'deployedAt', 'endedAt'],
};

/**
 * A map projection of node `v` of `label` for `rowOf`: every property, or only `properties`,
 * datetimes as epoch milliseconds. `label` must come from READABLE_LABELS and `properties` be
 * plain names (both are formatted into the query).
 */
export function rowProjection(label: ReadableLabel, v: string, properties: readonly string[] | null = null): string {
  const datetimes = DATETIME_PROPERTIES[label];
  if (!datetimes) throw new Error(`label ${label} is not readable`);
  if (properties === null) return `${v} {.*, ${datetimes.map((key) => `${key}: ${v}.${key}.epochMillis`).join(', ')}}`;
  for (const key of properties) if (!PROPERTY_NAME.test(key)) throw new Error(`${key} is not a property name`);
  return `${v} {${properties.map((key) => (datetimes.includes(key) ? `${key}: ${v}.${key}.epochMillis` : `.${key}`)).join(', ')}}`;
}

const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * For lineage node `v` (or null): `{label, row}`, its label and its whole `rowProjection`, for
 * `rowOf`; null when `v` is null. For reads that find nodes of any lineage label at once.
 */
export function lineageRowProjection(v: string): string {
  return `CASE WHEN ${v} IS NULL THEN null ${LINEAGE_LABELS.map((label) => `WHEN ${v}:${label} THEN {label: '${label}', row: ${rowProjection(label, v)}}`).join(' ')} END`;
}

/**
 * The row of a `rowProjection` map, in place: datetimes become Dates, absent ones null;
 * anything else that is not a primitive or a list goes through the generic conversion.
 */
export function rowOf<T>(label: ReadableLabel, map: Record<string, unknown>): T {
  for (const key in map) {
    const value = map[key];
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) map[key] = toPlain(value);
  }
  for (const key of DATETIME_PROPERTIES[label]) {
    const millis = map[key];
    map[key] = typeof millis === 'number' ? new Date(millis) : null;
  }
  return map as T;
}

/** Nodes of `label` with these ids (any order; missing ids are simply absent). */
export async function nodesByIds<T>(tx: Tx, label: ReadableLabel, ids: readonly string[]): Promise<T[]> {
  return (await nodesByLabelledIds(tx, [{ label, ids, properties: null }]))[0] as T[];
}

/** Rows of `label` with these ids: every property, or (a partial row) only `properties`. */
export interface NodesRequest {
  readonly label: ReadableLabel;
  readonly ids: readonly string[];
  readonly properties: readonly string[] | null;
}

/**
 * Nodes of several requests in one statement (one UNION ALL branch per request, each an index
 * seek per id): for each request, its rows (any order; missing ids are absent).
 */
export async function nodesByLabelledIds(tx: Tx, requests: readonly NodesRequest[]): Promise<unknown[][]> {
  const rows = requests.map((): unknown[] => []);
  if (requests.length === 0) return rows;
  const branches = requests.map(({ label, properties }, i) => {
    if (!READABLE_LABELS.includes(label)) throw new Error(`label ${label} is not readable`);
    return `UNWIND $ids[${i}] AS id MATCH (n:${label} {id: id}) RETURN ${i} AS request, ${rowProjection(label, 'n', properties)} AS n`;
  });
  const records = await tx.run(branches.join(' UNION ALL '), { ids: requests.map((request) => request.ids) });
  for (const r of records) {
    const i = r.get('request') as number;
    rows[i]!.push(rowOf(requests[i]!.label, r.get('n') as Record<string, unknown>));
  }
  return rows;
}

export type NodeHeaders = Map<string, { label: ReadableLabel; projectId: string }>;

/**
 * The label and project of each id that exists, for reference checks inside a write. The id's
 * prefix names its label (src/domain/ids.ts), so each lookup uses that label's unique index; ids
 * with an unknown prefix are simply absent from the result.
 */
export async function nodeHeaders(tx: Tx, ids: readonly string[]): Promise<NodeHeaders> {
  const lookup = headerLookup(ids);
  if (!lookup) return new Map();
  return headerMap((await tx.run(lookup.branches, lookup.params)).map((r) => r.toObject()));
}

/**
 * nodeHeaders as part of a write's own statement: a subquery that binds `headers` on exactly
 * one row (place it where the statement has one); read them back with headersFrom. The write
 * and the checks on what it referenced then cost one statement: a failed check throws, and the
 * transaction rolls the write back.
 */
export function headersCypher(ids: readonly string[]): { cypher: string; params: { headerIds: Record<string, string[]> } } {
  const lookup = headerLookup(ids, '$headerIds');
  return {
    cypher: lookup
      ? `CALL () {
       CALL () { ${lookup.branches} }
       RETURN collect({id: id, label: label, projectId: projectId}) AS headers
     }`
      : 'WITH *, [] AS headers',
    params: { headerIds: lookup?.params.ids ?? {} },
  };
}

/**
 * The checks of src/recording/refs.ts (`projectAndRefChecks`) as a Cypher condition on the
 * `headers` of headersCypher, for a write that commits on its own: an auto-commit statement has
 * no rollback, so it must write nothing unless the checks pass. `$gate` is a HeaderGate.
 */
export const ADMITTED = `any(h IN headers WHERE h.id = $gate.project AND h.label = 'Project')
       AND all(ref IN $gate.refs WHERE any(h IN headers WHERE h.id = ref.id AND h.projectId = $gate.project AND h.label IN ref.labels))`;

/** What ADMITTED checks: the project exists, and each ref exists in it with one of its labels. */
export interface HeaderGate {
  readonly project: string;
  readonly refs: ReadonlyArray<{ readonly id: string; readonly labels: readonly ReadableLabel[] }>;
}

export function headersFrom(record: { get(key: string): unknown }): NodeHeaders {
  return headerMap(record.get('headers') as Array<Record<string, unknown>>);
}

function headerLookup(ids: readonly string[], param = '$ids'): { branches: string; params: { ids: Record<string, string[]> } } | null {
  const byLabel = new Map<ReadableLabel, string[]>();
  for (const id of ids) {
    const label = labelOf(id);
    if (label && (READABLE_LABELS as readonly string[]).includes(label)) {
      byLabel.set(label as ReadableLabel, [...(byLabel.get(label as ReadableLabel) ?? []), id]);
    }
  }
  if (byLabel.size === 0) return null;
  const branches = [...byLabel.keys()].map(
    (label) => `UNWIND ${param}.${label} AS id MATCH (n:${label} {id: id}) RETURN n.id AS id, '${label}' AS label, coalesce(n.projectId, n.id) AS projectId`,
  );
  return { branches: branches.join(' UNION ALL '), params: { ids: Object.fromEntries(byLabel) } };
}

function headerMap(rows: readonly Record<string, unknown>[]): NodeHeaders {
  return new Map(rows.map((r) => [r['id'] as string, { label: r['label'] as ReadableLabel, projectId: r['projectId'] as string }]));
}
