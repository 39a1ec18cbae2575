/**
 * Entity references from the router (`_entities`): every `__resolveReference` is built here so
 * they all check the id the same way, go through the per-request loader (the by-id loaders share
 * one batch: one Cypher query per request for all types, whatever the number of representations)
 * and apply the project read scope.
 * A missing id, an id of another type or project, or a malformed representation resolves to
 * null without a query and without failing the other representations.
 */
import type DataLoader from 'dataloader';
import { canReadProject, readScope } from '../auth/scope.ts';
import type { Context } from '../context.ts';
import { labelOf, type IdLabel } from '../ids.ts';
import type { Loaders } from '../loaders/index.ts';

interface EntityRow {
  readonly id: string;
  /** Absent on Project, whose own id is its project. */
  readonly projectId?: string;
}

export function entityReference<T extends EntityRow>(label: IdLabel, loader: (loaders: Loaders) => DataLoader<string, T | null>) {
  return async (reference: { id?: unknown }, ctx: Context): Promise<T | null> => {
    const { id } = reference;
    if (typeof id !== 'string' || labelOf(id) !== label) return null;
    const row = await loader(ctx.loaders).load(id);
    return row && canReadProject(readScope(ctx.viewer), row.projectId ?? row.id) ? row : null;
  };
}
