/** One lineage node by id, through the viewer's scoped loaders: the label comes from the id's prefix. */
import type { ServiceDeps } from '../auth/viewer.ts';
import type { Loaders } from '../loaders/index.ts';
import { labelOf } from '../domain/ids.ts';
import { NODE_KIND_BY_LABEL, type LineageLabel, type LineageNodeRow } from '../domain/rows.ts';
import { LINEAGE_LOADER } from '../loaders/index.ts';

/** A service that hydrates rows through the request's loaders. */
export type LineageDeps = ServiceDeps & { readonly loaders: Loaders };

/** The GraphQL type of a lineage row, from its id prefix. */
export function lineageTypeOf(row: { id: string }): LineageLabel | null {
  const label = labelOf(row.id);
  return label && label in NODE_KIND_BY_LABEL ? (label as LineageLabel) : null;
}

/** The lineage node with this id, or null when it does not exist or is not a lineage node. */
export async function loadLineageNode(ctx: LineageDeps, id: string): Promise<LineageNodeRow | null> {
  const label = lineageTypeOf({ id });
  if (!label) return null;
  const row = await ctx.loaders[LINEAGE_LOADER[label]].load(id);
  return row ? ({ ...row, nodeLabel: label } as LineageNodeRow) : null;
}
