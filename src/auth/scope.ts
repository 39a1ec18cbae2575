/**
 * Per-project read scope: the one place that decides which projects a viewer may read. The
 * loaders filter by it (src/loaders/index.ts), so node, nodes, entity references
 * (`__resolveReference`) and every field see only readable projects, and the lineage lists of
 * a `User` are restricted to them. A node outside the scope reads as null, like a missing
 * one, so another project's nodes never leak (not even their existence).
 */
import type { Viewer } from './viewer.ts';

export interface ReadScope {
  /** The projects the viewer may read; null means every project (server-wide admin). */
  readonly projectIds: readonly string[] | null;
}

export function readScope(viewer: Viewer): ReadScope {
  if (viewer.admin) return { projectIds: null };
  return { projectIds: [...viewer.roles.keys()] };
}

export function canReadProject(scope: ReadScope, projectId: string): boolean {
  return scope.projectIds === null || scope.projectIds.includes(projectId);
}
