/**
 * Provenance (upstream), impact (downstream) and derivation paths over the lineage graph:
 * argument validation and the read transaction; the Cypher lives in
 * src/neo4j/queries/lineage.ts. The reach query can return the nodes' rows with the hits
 * (what the by-id loaders would read), so hydrating the answer costs no further query.
 */
import { badInput } from '../domain/errors.ts';
import type { LineageLabel } from '../domain/rows.ts';
import { NODE_KIND_BY_LABEL } from '../domain/rows.ts';
import type { Executor } from '../neo4j/executor.ts';
import {
  MAX_DEPTH,
  countReachable,
  edgesAmong,
  reachableGraph,
  reachableNodes,
  shortestUpstreamPath,
  type LineageEdgeRow,
  type ReachHit,
  type ReadScope,
  type TraversalDirection,
} from '../neo4j/queries/lineage.ts';

export type { TraversalDirection } from '../neo4j/queries/lineage.ts';

/** Largest `limit` a traversal accepts: the nodes of one answer are hydrated in one request. */
export const MAX_LIMIT = 10_000;

export type NodeKind = (typeof NODE_KIND_BY_LABEL)[LineageLabel];

const LABEL_BY_KIND = new Map(Object.entries(NODE_KIND_BY_LABEL).map(([label, kind]) => [kind as NodeKind, label as LineageLabel]));

export interface TraversalArgs {
  readonly maxDepth: number;
  readonly kinds?: readonly NodeKind[] | null | undefined;
  /** A Date (the DateTime scalar's value) or an ISO-8601 string. */
  readonly asOf?: Date | string | null | undefined;
  readonly limit: number;
}

/**
 * A returned node: id, minimum depth, project, and its row when the traversal was asked for
 * rows; `unreadable` when its project is outside the viewer's read scope (then it is
 * hydrated only through the scoped loaders).
 */
export type LineageHitRow = ReachHit & { readonly unreadable?: true };

export interface LineageGraphRow<Root> {
  readonly root: Root;
  /** Nearest first, then by id; at most `limit`. */
  readonly hits: readonly LineageHitRow[];
  /** Every visible lineage edge whose ends are both the root or a hit; null when not asked for (see `lineageEdges`). */
  readonly edges: readonly LineageEdgeRow[] | null;
  /** limit or maxDepth left something out. */
  readonly truncated: boolean;
  /** The asOf instant the traversal used (ISO-8601), or null. */
  readonly asOf: string | null;
  /** The question, for fields computed on demand (`reachableCount`). */
  readonly direction: TraversalDirection;
  readonly args: TraversalArgs;
}

/** What a caller needs beyond ids and depths; both by default. */
export interface TraversalWants {
  /** The hits' rows (every property, unless `properties`). */
  readonly rows: boolean;
  /** With `rows`, partial rows of only these properties; null or absent: every property. */
  readonly properties?: readonly string[] | null;
  /** The edges among root and hits, read in the same statement. */
  readonly edges: boolean;
}

export type { LineageEdgeRow } from '../neo4j/queries/lineage.ts';

/**
 * The lineage graph around `root` in one direction: the reachable set (breadth first, each
 * node once, with its minimum depth and, if wanted, its row) and, if wanted, the edges among
 * the root and the returned nodes. Either way it is one statement in an auto-commit
 * transaction (one round trip).
 * Throws BAD_USER_INPUT for arguments out of range.
 */
export async function traverseLineage<Root extends { id: string }>(
  executor: Executor,
  root: Root,
  direction: TraversalDirection,
  args: TraversalArgs,
  wants: TraversalWants = { rows: true, edges: true },
): Promise<LineageGraphRow<Root>> {
  const { maxDepth, limit, labels, asOf } = checkArgs(args);
  const scope: ReadScope = { asOf };
  const unit = `lineage.${direction.toLowerCase()}`;
  const options = { rootId: root.id, direction, maxDepth, labels, limit, scope, rows: wants.rows, properties: wants.properties ?? null };
  if (!wants.edges) {
    const { hits, truncated } = await executor.readOne(unit, (tx) => reachableNodes(tx, options));
    return { root, hits, edges: null, truncated, asOf: scope.asOf, direction, args };
  }
  const { hits, truncated, edges } = await executor.readOne(unit, (tx) => reachableGraph(tx, options));
  return { root, hits, edges, truncated, asOf: scope.asOf, direction, args };
}

/**
 * The question of `traverseLineage`, validated, without reading anything: for selections
 * that need neither the nodes, the edges nor `truncated` (e.g. only `reachableCount`).
 * `hits` is empty and `truncated` false; use it only where neither is read.
 */
export function lineageQuestion<Root extends { id: string }>(root: Root, direction: TraversalDirection, args: TraversalArgs): LineageGraphRow<Root> {
  return { root, hits: [], edges: null, truncated: false, asOf: checkArgs(args).asOf, direction, args };
}

/** How many nodes the graph's question reaches, ignoring its limit, among the projects given (null: all). */
export async function countLineage(executor: Executor, graph: LineageGraphRow<{ id: string }>, projectIds: readonly string[] | null): Promise<number> {
  const { maxDepth, labels } = checkArgs(graph.args);
  return executor.readOne('lineage.count', (tx) => countReachable(tx, { rootId: graph.root.id, direction: graph.direction, maxDepth, labels, scope: { asOf: graph.asOf }, projectIds }));
}

/** The graph's edges: those read with it, or (when it was read without) read now in a transaction of their own. */
export async function lineageEdges(executor: Executor, graph: LineageGraphRow<{ id: string }>): Promise<readonly LineageEdgeRow[]> {
  if (graph.edges) return graph.edges;
  const ids = [graph.root.id, ...graph.hits.map((hit) => hit.id)];
  return executor.readOne('lineage.edges', (tx) => edgesAmong(tx, ids, { asOf: graph.asOf }));
}

/**
 * Ids along one shortest derivation path from `fromId` up to its ancestor `toId`, both
 * included; null when `toId` is not upstream of `fromId` within maxDepth (a node is not its
 * own ancestor). The caller checks that both ids exist.
 */
export async function findLineagePath(executor: Executor, fromId: string, toId: string, maxDepthArg: number): Promise<string[] | null> {
  const maxDepth = checkMaxDepth(maxDepthArg);
  if (fromId === toId) return null;
  return executor.readOne('lineage.path', (tx) => shortestUpstreamPath(tx, fromId, toId, maxDepth, { asOf: null }));
}

/** A traversal's arguments, checked and converted; BAD_USER_INPUT for one out of range. */
function checkArgs(args: TraversalArgs): { maxDepth: number; limit: number; labels: LineageLabel[] | null; asOf: string | null } {
  return { maxDepth: checkMaxDepth(args.maxDepth), limit: checkLimit(args.limit), labels: labelsOf(args.kinds), asOf: instant(args.asOf) };
}

function checkMaxDepth(maxDepth: number): number {
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_DEPTH) {
    throw badInput('maxDepth', `maxDepth must be an integer between 1 and ${MAX_DEPTH}`);
  }
  return maxDepth;
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw badInput('limit', `limit must be an integer between 1 and ${MAX_LIMIT}`);
  }
  return limit;
}

function labelsOf(kinds: readonly NodeKind[] | null | undefined): LineageLabel[] | null {
  if (kinds === null || kinds === undefined) return null;
  if (kinds.length === 0) throw badInput('kinds', 'kinds must name at least one kind; omit it to return every kind');
  return [...new Set(kinds)].map((kind) => {
    const label = LABEL_BY_KIND.get(kind);
    if (!label) throw badInput('kinds', `unknown kind ${kind}`);
    return label;
  });
}

function instant(asOf: Date | string | null | undefined): string | null {
  if (asOf === null || asOf === undefined) return null;
  const date = asOf instanceof Date ? asOf : new Date(asOf);
  if (Number.isNaN(date.getTime())) throw badInput('asOf', 'asOf must be an ISO-8601 date-time');
  return date.toISOString();
}
