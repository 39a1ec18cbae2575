/**
 * Lineage traversals (docs/querying-lineage.md). A hop is one lineage relationship
 * (USED | GENERATED_BY | DERIVED_FROM | DEPLOYS): upstream follows it from the derived node to
 * its source, downstream the other way. Structural relationships are never followed.
 *
 * The reachable set is a variable-length pattern aggregated per end node with
 * `min(length(p))`: Neo4j 5 plans it as `VarLengthExpand(Pruning,BFS,All)`, a breadth-first
 * expansion that visits every node once and carries its depth, so diamonds cost nothing extra.
 * The asOf predicates are `all(...)` over the pattern's relationships and nodes, which the
 * planner inlines into that operator (checked with PROFILE; test/integration/traversal). Keep
 * it that way: returning the path itself or a predicate relating neighbouring hops stops the
 * planner from pruning, and `ANY SHORTEST` with an open end (StatefulShortestPath) measured
 * exponential time on diamond ladders despite flat db hits.
 *
 * Every node lookup by id carries `USING INDEX SEEK`: on a young database with few nodes the
 * planner otherwise scanned the whole id index (then filtered), per row, which also cost the
 * reach query its streaming plan (an eager aggregation instead of a partial sort).
 *
 * Variable-length bounds cannot be parameters: callers pass integers validated to
 * 1..MAX_DEPTH and `hopBound` re-checks them before they are formatted into the query.
 */
import neo4j, { type Record as Neo4jRecord } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { LINEAGE_LABELS, type LineageLabel, type LineageNodeRow } from '../../domain/rows.ts';
import { labelOf } from '../../domain/ids.ts';
import { rowOf, rowProjection } from './nodes.ts';

export const LINEAGE_REL_TYPES = ['USED', 'GENERATED_BY', 'DERIVED_FROM', 'DEPLOYS'] as const;
export type LineageRelType = (typeof LINEAGE_REL_TYPES)[number];
const REL_PATTERN = LINEAGE_REL_TYPES.join('|');

export const MAX_DEPTH = 1000;

export type TraversalDirection = 'UPSTREAM' | 'DOWNSTREAM';

/**
 * What a reader may see. `asOf` hides nodes and relationships created after the instant.
 * Every traversal, edge and path query takes its visibility from `visibleNode`/`visibleRel`
 * below, so a per-project read filter is one more predicate there.
 */
export interface ReadScope {
  /** ISO-8601 instant, or null for the graph as it is now. */
  readonly asOf: string | null;
}

function visibleNode(scope: ReadScope, v: string): string {
  return scope.asOf === null ? 'true' : `${v}.createdAt <= datetime($asOf)`;
}

function visibleRel(scope: ReadScope, v: string): string {
  return scope.asOf === null ? 'true' : `${v}.createdAt <= datetime($asOf)`;
}

/**
 * The conditions a reached node `v` must meet to be returned, only those that apply: written
 * as `$labels IS NULL OR ...`, an absent filter was still evaluated for every reached node
 * (measured: a tenth of the time of counting 20,000 nodes), so it is left out of the statement.
 * With asOf, a checkpoint deleted at or before it is not returned as a hit (gone by then), but the
 * traversal still passes through it: its lineage node is kept for audits, and the run behind
 * it stays reachable.
 */
function hitConditions(labels: readonly LineageLabel[] | null, scope: ReadScope, v: string, projectIds: readonly string[] | null = null): string[] {
  const conditions: string[] = [];
  if (labels !== null) conditions.push(`any(l IN labels(${v}) WHERE l IN $labels)`);
  if (scope.asOf !== null) conditions.push(`NOT (${v}:Checkpoint AND ${v}.deletedAt IS NOT NULL AND ${v}.deletedAt <= datetime($asOf))`);
  if (projectIds !== null) conditions.push(`${v}.projectId IN $projectIds`);
  return conditions;
}

function hopBound(depth: number): number {
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_DEPTH + 1) throw new Error(`hop bound ${depth} out of range`);
  return depth;
}

/** The variable-length pattern from `root` to `n`, up to `maxHops`, with the scope's predicates inlined. */
function reachPattern(direction: TraversalDirection, maxHops: number, scope: ReadScope): string {
  const hops = `[rs:${REL_PATTERN}*1..${hopBound(maxHops)}]`;
  switch (direction) {
    case 'UPSTREAM':
      return `MATCH p = (root)-${hops}->(n)${pathFilter(scope)}`;
    case 'DOWNSTREAM':
      return `MATCH p = (root)<-${hops}-(n)${pathFilter(scope)}`;
    default: {
      const never: never = direction;
      throw new Error(`unknown direction ${String(never)}`);
    }
  }
}

/** The scope's predicates over every relationship and node of path `p` (relationships `rs`). */
function pathFilter(scope: ReadScope): string {
  if (scope.asOf === null) return '';
  return ` WHERE all(r IN rs WHERE ${visibleRel(scope, 'r')}) AND all(m IN nodes(p) WHERE ${visibleNode(scope, 'm')})`;
}

export interface ReachOptions {
  readonly rootId: string;
  readonly direction: TraversalDirection;
  readonly maxDepth: number;
  /** Only nodes with one of these labels are returned; null returns every label. */
  readonly labels: readonly LineageLabel[] | null;
  readonly limit: number;
  readonly scope: ReadScope;
  /** Also return each node's row (every property, as the by-id loaders read it); otherwise only id and projectId. */
  readonly rows: boolean;
  /** With `rows`, a partial row of only these properties (see rowProjection); null or absent: every property. */
  readonly properties?: readonly string[] | null;
}

export interface ReachHit {
  readonly id: string;
  readonly depth: number;
  readonly projectId: string;
  /** The node's row when asked for (`rows`), tagged with its label. */
  readonly row: LineageNodeRow | null;
}

export interface Reach {
  /** Returned nodes, nearest first (then by id), at most `limit`. */
  readonly hits: ReachHit[];
  /** `limit` left a node out, or a node exists at depth maxDepth + 1. */
  readonly truncated: boolean;
}

/**
 * The nearest `limit` nodes within `maxDepth` hops of the root with their minimum depths,
 * breadth first, each visited once. A root that does not exist, or is not visible in the
 * scope, reaches nothing.
 *
 * The expansion emits nodes level by level, so `ORDER BY depth, n.id` is planned as a partial
 * sort (ids sorted within one level) and `LIMIT` stops the search: the cost is the levels
 * needed for `limit + 1` answers, not the whole reachable set. The search goes one hop deeper
 * than asked; the extra row, a returnable node beyond `limit` or any node at maxDepth + 1,
 * only tells that something was cut. The rows are projected after the limit, so only the
 * returned nodes' properties are read; datetimes come as epoch milliseconds (see rowOf).
 */
export async function reachableNodes(tx: Tx, options: ReachOptions): Promise<Reach> {
  const records = await tx.run(`${reachQuery(options)}\n     RETURN n.id AS id, depth, n.projectId AS projectId${options.rows ? `, ${rowColumn(options)} AS row` : ''}`, reachParams(options));
  return reachOf(records.map((r) => searchRow(r, options)), options);
}

/**
 * `reachableNodes` and `edgesAmong` the root and the returned nodes, in one statement (one
 * round trip in an auto-commit transaction) that still streams: each row of the search, after
 * its limit, carries the node's outgoing lineage relationships (`outgoing`, as in
 * `edgesAmong`), and a second branch carries the root's. Far ends outside the answer are
 * dropped here, as in `edgesAmong`.
 */
export async function reachableGraph(tx: Tx, options: ReachOptions): Promise<Reach & { readonly edges: LineageEdgeRow[] }> {
  const records = await tx.run(
    `${reachQuery(options)}
     RETURN n.id AS id, depth, n.projectId AS projectId, ${options.rows ? `${rowColumn(options)} AS row` : 'null AS row'}, ${outgoing('n', options.scope)} AS out
     UNION ALL
     MATCH (n:LineageNode {id: $rootId}) USING INDEX SEEK n:LineageNode(id)
     RETURN null AS id, null AS depth, null AS projectId, null AS row, ${outgoing('n', options.scope)} AS out`,
    reachParams(options),
  );
  const reach = reachOf(records.filter((r) => r.get('id') !== null).map((r) => searchRow(r, options)), options);
  const members = new Set([options.rootId, ...reach.hits.map((hit) => hit.id)]);
  const edges = records.flatMap((r) => (r.get('id') === null || members.has(r.get('id') as string) ? (r.get('out') as Record<string, unknown>[]) : []));
  return { ...reach, edges: members.size < 2 ? [] : edgeRows(members, edges) };
}

/** A row of the search as `reachOf` takes it. */
function searchRow(r: Neo4jRecord, options: ReachOptions): { id: string; depth: number; projectId: string; row: unknown } {
  return { id: r.get('id') as string, depth: Number(r.get('depth')), projectId: r.get('projectId') as string, row: options.rows ? r.get('row') : null };
}

/** The search of `reachableNodes` up to its limit, leaving `n` and `depth` in nearest-first order. */
function reachQuery(options: ReachOptions): string {
  const conditions = hitConditions(options.labels, options.scope, 'n');
  return `MATCH (root:LineageNode {id: $rootId}) USING INDEX SEEK root:LineageNode(id)
     ${reachPattern(options.direction, options.maxDepth + 1, options.scope)}
     WITH n, min(length(p)) AS depth${conditions.length > 0 ? `\n     WHERE depth > $maxDepth OR (${conditions.join(' AND ')})` : ''}
     WITH n, depth ORDER BY depth, n.id LIMIT $take`;
}

function reachParams(options: ReachOptions): Record<string, unknown> {
  const { rootId, maxDepth, labels, limit, scope } = options;
  return { rootId, maxDepth: neo4j.int(maxDepth), labels, take: neo4j.int(limit + 1), asOf: scope.asOf };
}

/** The hits and truncation of the search's rows (nearest first, at most limit + 1). */
function reachOf(rows: readonly { id: string; depth: number; projectId: string; row: unknown }[], options: ReachOptions): Reach {
  const within = rows.filter((r) => r.depth <= options.maxDepth);
  const hits = within.slice(0, options.limit).map((r): ReachHit => ({ id: r.id, depth: r.depth, projectId: r.projectId, row: options.rows ? lineageRow(r.id, r.row) : null }));
  return { hits, truncated: hits.length < rows.length };
}

/**
 * How many nodes `reachableNodes` would return without a limit: the same pruning search and
 * filters, counted in the database. `projectIds` (null: every project) keeps the count to what
 * the viewer may read.
 */
export async function countReachable(tx: Tx, options: Omit<ReachOptions, 'limit' | 'rows'> & { readonly projectIds: readonly string[] | null }): Promise<number> {
  const { rootId, direction, maxDepth, labels, scope, projectIds } = options;
  const conditions = hitConditions(labels, scope, 'n', projectIds);
  const [record] = await tx.run(
    `MATCH (root:LineageNode {id: $rootId}) USING INDEX SEEK root:LineageNode(id)
     ${reachPattern(direction, maxDepth, scope)}
     WITH n, min(length(p)) AS depth${conditions.length > 0 ? `\n     WHERE ${conditions.join(' AND ')}` : ''}
     RETURN count(n) AS n`,
    { rootId, labels, projectIds, asOf: scope.asOf },
  );
  return Number(record?.get('n') ?? 0);
}

/** Each lineage node's `rowProjection` (of `properties`, or every property), by its label (a node has exactly one lineage label). */
function rowByLabel(properties: readonly string[] | null): string {
  return `CASE ${LINEAGE_LABELS.map((label) => `WHEN n:${label} THEN ${rowProjection(label, 'n', properties)}`).join(' ')} END`;
}

const ROW_BY_LABEL = rowByLabel(null);

/** The row column of a search that asked for rows: whole rows, or partial ones of `options.properties`. */
function rowColumn(options: ReachOptions): string {
  return options.properties ? rowByLabel(options.properties) : ROW_BY_LABEL;
}

function lineageRow(id: string, map: unknown): LineageNodeRow | null {
  const label = labelOf(id);
  if (map === null || !label || !(LINEAGE_LABELS as readonly string[]).includes(label)) return null;
  const row = rowOf<Record<string, unknown>>(label as LineageLabel, map as Record<string, unknown>);
  row['nodeLabel'] = label;
  return row as unknown as LineageNodeRow;
}

export interface LineageEdgeRow {
  readonly from: string;
  readonly to: string;
  readonly kind: LineageRelType;
  readonly role: string | null;
  readonly createdAt: Date;
}

/**
 * Every visible lineage relationship whose two ends are among `ids`. Each node's outgoing
 * (derived -> source) relationships are expanded and the far end is checked here, not in
 * Cypher: a node has few sources, while a popular dataset version may have thousands of
 * consumers, so this stays linear in the set. Without the seek hint the scan of the id index
 * per id was quadratic (PROFILE: 32,640 rows for 160 ids); `USING INDEX` alone was satisfied
 * by that scan. A `b.id IN $ids` predicate lets it seek both ends and join them,
 * quadratic too.
 */
export async function edgesAmong(tx: Tx, ids: readonly string[], scope: ReadScope): Promise<LineageEdgeRow[]> {
  if (ids.length < 2) return [];
  const records = await tx.run(
    `UNWIND $ids AS id
     MATCH (n:LineageNode {id: id}) USING INDEX SEEK n:LineageNode(id)
     RETURN ${outgoing('n', scope)} AS out`,
    { ids, asOf: scope.asOf },
  );
  return edgeRows(new Set(ids), records.flatMap((r) => r.get('out') as Record<string, unknown>[]));
}

/** Node `v`'s outgoing lineage relationships visible in `scope`, as a list of edge maps for `edgeRows`. */
function outgoing(v: string, scope: ReadScope): string {
  const visible = scope.asOf === null ? '' : ` WHERE ${visibleRel(scope, 'r')}`;
  return `[(${v})-[r:${REL_PATTERN}]->(b)${visible} | {from: ${v}.id, to: b.id, kind: type(r), role: r.role, createdAt: r.createdAt.epochMillis}]`;
}

/** The edges whose far end is among `members`, as rows, in (from, to, kind) order. */
function edgeRows(members: ReadonlySet<string>, edges: readonly Record<string, unknown>[]): LineageEdgeRow[] {
  return edges
    .filter((e) => members.has(e['to'] as string))
    .map((e) => ({
      from: e['from'] as string,
      to: e['to'] as string,
      kind: e['kind'] as LineageRelType,
      role: (e['role'] as string | null) ?? null,
      createdAt: new Date(Number(e['createdAt'])),
    }))
    .sort((x, y) => compare(x.from, y.from) || compare(x.to, y.to) || compare(x.kind, y.kind));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The ids along one shortest upstream path from `fromId` to `toId` (both included), or null
 * when `toId` is not within `maxDepth` hops upstream. `shortestPath` between two bound nodes
 * is a bidirectional breadth-first search, never an enumeration. The ends must differ.
 */
export async function shortestUpstreamPath(tx: Tx, fromId: string, toId: string, maxDepth: number, scope: ReadScope): Promise<string[] | null> {
  const [record] = await tx.run(
    `MATCH (a:LineageNode {id: $fromId}), (b:LineageNode {id: $toId}) USING INDEX SEEK a:LineageNode(id) USING INDEX SEEK b:LineageNode(id)
     MATCH p = shortestPath((a)-[rs:${REL_PATTERN}*1..${hopBound(maxDepth)}]->(b))${pathFilter(scope)}
     RETURN [m IN nodes(p) | m.id] AS ids`,
    { fromId, toId, asOf: scope.asOf },
  );
  return record ? (record.get('ids') as string[]) : null;
}

/** A lineage edge written in the current transaction that closes a cycle, and how long the way back is. */
export interface CycleHit {
  readonly from: string;
  readonly to: string;
  /** Hops from `to` back to `from` over lineage edges (the new edge included, if it is on the way). */
  readonly hops: number;
}

/**
 * The first of `edges` (each `from -> to`, already created in this transaction) whose `from` is
 * reachable upstream of its `to`, i.e. that closes a cycle; null when none does. Run inside the
 * writing transaction, after the edges are created, so it sees the stored graph plus this
 * transaction's own edges.
 *
 * Per edge, one `shortestPath` from `to` up to `from` with both ends bound and no depth bound:
 * Neo4j answers it with a bidirectional breadth-first search that grows the smaller frontier,
 * so the cost is about the smaller of `to`'s upstream and `from`'s downstream, up to where they
 * meet. The common write, a run's new output (`from` has no downstream yet), costs a few index
 * lookups even when the run's upstream is the whole graph; a one-sided search from `to` would
 * visit all of it (docs/architecture.md has the numbers). Unbounded, because a cycle longer
 * than the traversals' MAX_DEPTH is still a cycle.
 */
export async function firstCycle(tx: Tx, edges: readonly { from: string; to: string }[]): Promise<CycleHit | null> {
  if (edges.length === 0) return null;
  const self = edges.find((e) => e.from === e.to);
  if (self) return { from: self.from, to: self.to, hops: 1 };
  const distinct = [...new Map(edges.map((e) => [`${e.from} ${e.to}`, e])).values()];
  const [record] = await tx.run(
    `UNWIND $edges AS e
     MATCH (to:LineageNode {id: e.to}) USING INDEX SEEK to:LineageNode(id)
     MATCH (from:LineageNode {id: e.from}) USING INDEX SEEK from:LineageNode(id)
     CALL (to, from) {
       MATCH p = shortestPath((to)-[:${REL_PATTERN}*]->(from))
       RETURN length(p) AS depth
     }
     RETURN e.from AS from, e.to AS to, depth
     LIMIT 1`,
    { edges: distinct.map(({ from, to }) => ({ from, to })) },
  );
  if (!record) return null;
  return { from: record.get('from') as string, to: record.get('to') as string, hops: Number(record.get('depth')) + 1 };
}
