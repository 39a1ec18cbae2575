/**
 * What every LineageNode type shares: kind, project, createdBy (a User reference),
 * upstream/downstream traversals (src/traversal), and the interface's type resolution by id
 * prefix.
 */
import type { Context } from '../context.ts';
import { labelOf } from '../ids.ts';
import type { LineageLabel, LineageNodeRow, ProjectRow, UserRef } from '../model.ts';
import { NODE_KIND_BY_LABEL } from '../model.ts';
import { traverseLineage, type TraversalArgs } from '../traversal/lineage.ts';

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
    upstream: (row: Row, args: TraversalArgs, ctx: Context) => traverseLineage(ctx.executor, asLineageNode(row), 'UPSTREAM', args),
    downstream: (row: Row, args: TraversalArgs, ctx: Context) => traverseLineage(ctx.executor, asLineageNode(row), 'DOWNSTREAM', args),
  };
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
