/**
 * What every LineageNode type shares: kind, project, createdBy (a User reference),
 * upstream/downstream traversals (src/lineage/traversal.ts), and the interface's type resolution by id
 * prefix.
 */
import { getArgumentValues, isAbstractType, isObjectType, type FieldNode, type GraphQLResolveInfo } from 'graphql';
import { canReadProject, readScope } from '../../auth/scope.ts';
import type { Context } from '../../context.ts';
import { lineageTypeOf } from '../../lineage/node.ts';
import { LINEAGE_LOADER } from '../../loaders/index.ts';
import type { LineageLabel, LineageNodeRow, ProjectRow, UserRef } from '../../domain/rows.ts';
import { LINEAGE_LABELS, NODE_KIND_BY_LABEL } from '../../domain/rows.ts';
import {
  countLineage,
  lineageQuestion,
  traverseLineage,
  type LineageGraphRow,
  type TraversalArgs,
  type TraversalDirection,
  type TraversalWants,
} from '../../lineage/traversal.ts';
import { selectedFieldNodes, selectedFields, selectedFieldsOn, storedProperties } from './selection.ts';

interface LineageParent {
  readonly id: string;
  readonly projectId: string;
  readonly createdBy: string | null;
}

export function lineageNodeFields<Row extends LineageParent>(label: LineageLabel) {
  return {
    kind: () => NODE_KIND_BY_LABEL[label],
    project: async (row: Row, _args: unknown, ctx: Context): Promise<ProjectRow> => (await ctx.loaders.project.load(row.projectId))!,
    createdBy: (row: Row): UserRef | null => userRef(row.createdBy),
    upstream: (row: Row, args: TraversalArgs, ctx: Context, info: GraphQLResolveInfo) => traverse(ctx, asLineageNode(row), 'UPSTREAM', args, info),
    downstream: (row: Row, args: TraversalArgs, ctx: Context, info: GraphQLResolveInfo) => traverse(ctx, asLineageNode(row), 'DOWNSTREAM', args, info),
  };
}

/** Fields of a hit's node that its id alone answers (LineageHit.node needs no row for them). */
export const ID_ONLY_FIELDS: ReadonlySet<string> = new Set(['id', 'kind', '__typename']);

/** LineageGraph fields answered by the traversal's reach query (the others need no read or run their own). */
const READ_FIELDS: ReadonlySet<string> = new Set(['nodes', 'edges', 'truncated']);

/** What a resolver's info offers about the selection (prefetch builds one for a field not resolved yet). */
type SelectionInfo = Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments' | 'schema'>;

/** What a traversal field's selection needs read: the reach (with rows, partial or whole, and edges) and the count. */
interface TraversalNeeds extends TraversalWants {
  /** Anything of the reach: nodes, edges or truncated. */
  readonly reach: boolean;
  readonly count: boolean;
}

function needsOf(info: SelectionInfo): TraversalNeeds {
  const selected = selectedFields(info, []);
  const reach = [...selected].some((field) => READ_FIELDS.has(field));
  const rows = reach && [...selectedFields(info, ['nodes', 'node'])].some((field) => !ID_ONLY_FIELDS.has(field));
  return { reach, rows, properties: rows ? hitProperties(info) : null, edges: reach && selected.has('edges'), count: selected.has('reachableCount') };
}

/**
 * A traversal that reads what the operation selects: the hits' rows only when their nodes
 * ask for more than ID_ONLY_FIELDS, the edges only when selected. When every field asked of
 * the nodes is a stored one (`hitProperties`), the rows are partial: only those properties,
 * plus id and projectId. Whole rows of readable projects prime the per-request loaders (a
 * traversal never leaves the root's project, and the root was read through a scoped loader;
 * a row of another project is dropped anyway, and its hit then goes through the scoped loader
 * like any id); partial rows serve their hits only. A traversal `node(id)` started next to
 * the root's read (`prefetchTraversals`) is taken when it asked exactly this.
 */
async function traverse(
  ctx: Context,
  root: LineageNodeRow,
  direction: TraversalDirection,
  args: TraversalArgs,
  info: GraphQLResolveInfo,
): Promise<LineageGraphRow<LineageNodeRow>> {
  const needs = needsOf(info);
  // Only the count (and the root) asked for: reachableCount runs its own query, nothing to read here.
  if (!needs.reach) return lineageQuestion(root, direction, args);
  const prefetched = takePrefetched(ctx, prefetchKey(root.id, direction, String(info.path.key), args, needs));
  const graph = prefetched ? { ...(await (prefetched as Promise<LineageGraphRow<{ id: string }>>)), root } : await traverseLineage(ctx.executor, root, direction, args, needs);
  const scope = readScope(ctx.viewer);
  if (graph.hits.every((hit) => canReadProject(scope, hit.projectId))) {
    if (!needs.properties) for (const hit of graph.hits) if (hit.row) primeLoader(ctx, hit.row);
    return graph;
  }
  return { ...graph, hits: graph.hits.map((hit) => (canReadProject(scope, hit.projectId) ? hit : { ...hit, row: null, unreadable: true as const })) };
}

/** `countLineage` for the graph's question, or the count `node(id)` started for it (`prefetchTraversals`). */
export function reachableCount(ctx: Context, graph: LineageGraphRow<{ id: string }>): Promise<number> {
  const projectIds = readScope(ctx.viewer).projectIds;
  const prefetched = takePrefetched(ctx, countKey(graph.root.id, graph.direction, graph.args, projectIds));
  return (prefetched as Promise<number> | undefined) ?? countLineage(ctx.executor, graph, projectIds);
}

/** Per request, what `node(id)` started ahead of the traversal fields below it, by question. */
const prefetches = new WeakMap<Context, Map<string, Promise<unknown>>>();

const prefetchKey = (id: string, direction: TraversalDirection, responseKey: string, args: TraversalArgs, wants: TraversalWants) =>
  JSON.stringify(['reach', id, direction, responseKey, args, wants.rows, wants.properties ?? null, wants.edges]);

const countKey = (id: string, direction: TraversalDirection, args: TraversalArgs, projectIds: readonly string[] | null) =>
  JSON.stringify(['count', id, direction, args, projectIds]);

function takePrefetched(ctx: Context, key: string): Promise<unknown> | undefined {
  return prefetches.get(ctx)?.get(key);
}

/**
 * Starts, next to the root's own read, the traversals (and counts) that `node(id)`'s selection
 * asks of the node, so that `node(id) { upstream { ... } }` waits for one round trip, not two
 * in a row. The traversal needs only the root's id; its field resolver takes the result when
 * its question (id, direction, response key, arguments, what it reads) is exactly the one
 * started, and asks Neo4j itself otherwise. When the root turns out missing or unreadable,
 * node(id) is null and the result is dropped unread (its failure too: a bad argument is
 * reported only where it was before, by a field that runs). Skipped for fields under
 * @include/@skip and fragments on other types; the field then reads as before.
 */
export function prefetchTraversals(ctx: Context, id: string, info: GraphQLResolveInfo): void {
  const label = lineageTypeOf({ id });
  const type = label ? info.schema.getType(label) : null;
  if (!isObjectType(type)) return;
  const groups = new Map<string, FieldNode[]>();
  for (const { field, on } of selectedFieldNodes(info, [])) {
    if (field.name.value !== 'upstream' && field.name.value !== 'downstream') continue;
    const condition = on === null ? null : info.schema.getType(on);
    if (condition && condition !== type && !(isAbstractType(condition) && info.schema.isSubType(condition, type))) continue;
    if (field.directives?.length) return; // @include/@skip: which nodes merge depends on variables
    const key = field.alias?.value ?? field.name.value;
    groups.set(key, [...(groups.get(key) ?? []), field]);
  }
  if (groups.size === 0) return;
  let started = prefetches.get(ctx);
  if (!started) prefetches.set(ctx, (started = new Map()));
  for (const [responseKey, fieldNodes] of groups) {
    const name = fieldNodes[0]!.name.value;
    if (fieldNodes.some((node) => node.name.value !== name)) continue; // invalid: the validation reports it
    const direction: TraversalDirection = name === 'upstream' ? 'UPSTREAM' : 'DOWNSTREAM';
    let args: TraversalArgs;
    try {
      args = getArgumentValues(type.getFields()[name]!, fieldNodes[0]!, info.variableValues) as unknown as TraversalArgs;
    } catch {
      continue; // e.g. a null variable for a non-null argument: the field reports it when it runs
    }
    const needs = needsOf({ fieldNodes, fragments: info.fragments, schema: info.schema });
    const start = (key: string, read: () => Promise<unknown>) => {
      if (started.has(key)) return;
      const promise = read();
      promise.catch(() => {}); // read only if the field runs, which then reports the failure
      started.set(key, promise);
    };
    if (needs.reach) start(prefetchKey(id, direction, responseKey, args, needs), () => traverseLineage(ctx.executor, { id }, direction, args, needs));
    if (needs.count) {
      const projectIds = readScope(ctx.viewer).projectIds;
      start(countKey(id, direction, args, projectIds), async () => countLineage(ctx.executor, lineageQuestion({ id }, direction, args), projectIds));
    }
  }
}

/** Per traversal field node (documents are parsed once and cached), its `hitProperties`. */
const hitSelections = new WeakMap<FieldNode, readonly string[] | null>();

/**
 * The properties of a partial row that answers what the operation selects of the hits' nodes,
 * whatever their lineage type, or null for whole rows (see storedProperties). Cached when the
 * field has one node: merged nodes depend on the parent's runtime type.
 */
function hitProperties(info: SelectionInfo): readonly string[] | null {
  const key = info.fieldNodes.length === 1 ? info.fieldNodes[0]! : null;
  if (key && hitSelections.has(key)) return hitSelections.get(key)!;
  const properties = storedProperties(info.schema, LINEAGE_LABELS, selectedFieldsOn(info, ['nodes', 'node']), { rowFree: ID_ONLY_FIELDS, always: ['id', 'projectId'] });
  if (key) hitSelections.set(key, properties);
  return properties;
}

function primeLoader(ctx: Context, row: LineageNodeRow): void {
  const loader = ctx.loaders[LINEAGE_LOADER[row.nodeLabel]] as { prime(id: string, row: LineageNodeRow): unknown };
  loader.prime(row.id, row);
}

/**
 * The row as the graph's root. Not tagged with its label: `LineageNode.__resolveType` goes by
 * the id prefix, and a `label` property would shadow a dataset version's own `label`.
 */
function asLineageNode(row: LineageParent): LineageNodeRow {
  return row as unknown as LineageNodeRow;
}

export function userRef(subject: string | null): UserRef | null {
  return subject ? { id: subject } : null;
}
