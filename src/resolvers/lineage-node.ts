/**
 * What every LineageNode type shares: kind, project, createdBy (a User reference), and the
 * interface's type resolution by id prefix. `upstream`/`downstream` belong to the traversal
 * issue and answer NOT_IMPLEMENTED until then.
 */
import type { Context } from '../context.ts';
import { notImplemented } from '../errors.ts';
import { labelOf } from '../ids.ts';
import type { LineageLabel, ProjectRow, UserRef } from '../model.ts';
import { NODE_KIND_BY_LABEL } from '../model.ts';

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
    upstream: () => {
      throw notImplemented(`${label}.upstream`);
    },
    downstream: () => {
      throw notImplemented(`${label}.downstream`);
    },
  };
}

export function userRef(subject: string | null): UserRef | null {
  return subject ? { id: subject } : null;
}

/** The GraphQL type of a lineage row, from its id prefix. */
export function lineageTypeOf(row: { id: string }): LineageLabel | null {
  const label = labelOf(row.id);
  return label && label in NODE_KIND_BY_LABEL ? (label as LineageLabel) : null;
}
