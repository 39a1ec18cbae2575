/**
 * What every LineageNode type shares: kind, project, createdBy (a User reference),
 * upstream/downstream traversals (src/traversal), and the interface's type resolution by id
 * prefix.
 */
import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import { canReadProject, readScope } from '../auth/scope.ts';
import type { Context } from '../context.ts';
import { labelOf } from '../ids.ts';
import { LINEAGE_LOADER } from '../loaders/index.ts';
import type { LineageLabel, LineageNodeRow, ProjectRow, UserRef } from '../model.ts';
import { LINEAGE_LABELS, NODE_KIND_BY_LABEL } from '../model.ts';
import { lineageQuestion, traverseLineage, type LineageGraphRow, type TraversalArgs, type TraversalDirection } from '../traversal/lineage.ts';
import { selectedFields, selectedFieldsOn, storedProperties } from './selection.ts';

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

/**
 * A traversal that reads what the operation selects: the hits' rows only when their nodes
 * ask for more than ID_ONLY_FIELDS, the edges only when selected. When every field asked of
 * the nodes is a stored one (`hitProperties`), the rows are partial: only those properties,
 * plus id and projectId. Whole rows of readable projects prime the per-request loaders (a
 * traversal never leaves the root's project, and the root was read through a scoped loader;
 * a row of another project is dropped anyway, and its hit then goes through the scoped loader
 * like any id); partial rows serve their hits only.
 */
async function traverse(
  ctx: Context,
  root: LineageNodeRow,
  direction: TraversalDirection,
  args: TraversalArgs,
  info: GraphQLResolveInfo,
): Promise<LineageGraphRow<LineageNodeRow>> {
  const selected = selectedFields(info, []);
  // Only the count (and the root) asked for: reachableCount runs its own query, nothing to read here.
  if (![...selected].some((field) => READ_FIELDS.has(field))) return lineageQuestion(root, direction, args);
  const rows = [...selectedFields(info, ['nodes', 'node'])].some((field) => !ID_ONLY_FIELDS.has(field));
  const properties = rows ? hitProperties(info) : null;
  const graph = await traverseLineage(ctx.executor, root, direction, args, { rows, properties, edges: selected.has('edges') });
  const scope = readScope(ctx.viewer);
  if (graph.hits.every((hit) => canReadProject(scope, hit.projectId))) {
    if (!properties) for (const hit of graph.hits) if (hit.row) primeLoader(ctx, hit.row);
    return graph;
  }
  return { ...graph, hits: graph.hits.map((hit) => (canReadProject(scope, hit.projectId) ? hit : { ...hit, row: null, unreadable: true as const })) };
}

/** Per traversal field node (documents are parsed once and cached), its `hitProperties`. */
const hitSelections = new WeakMap<FieldNode, readonly string[] | null>();

/**
 * The properties of a partial row that answers what the operation selects of the hits' nodes,
 * whatever their lineage type, or null for whole rows (see storedProperties).
 */
function hitProperties(info: GraphQLResolveInfo): readonly string[] | null {
  const key = info.fieldNodes[0]!;
  if (hitSelections.has(key)) return hitSelections.get(key)!;
  const stored = storedProperties(info.schema, LINEAGE_LABELS, selectedFieldsOn(info, ['nodes', 'node']), ID_ONLY_FIELDS);
  const properties = stored && [...new Set([...stored, 'id', 'projectId'])].sort();
  hitSelections.set(key, properties);
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

/** The GraphQL type of a lineage row, from its id prefix. */
export function lineageTypeOf(row: { id: string }): LineageLabel | null {
  const label = labelOf(row.id);
  return label && label in NODE_KIND_BY_LABEL ? (label as LineageLabel) : null;
}
