/**
 * Per-project read scope: the one place that decides which projects a viewer may read, for
 * entity references (`__resolveReference`) and the lineage lists of a `User`.
 *
 * Until the security issue (DESIGN.md §8) every viewer is an anonymous admin and reads every
 * project; that issue replaces the body of `readScope` with the viewer's project roles. A
 * reference to a node outside the scope resolves to null, like a missing one, so another
 * project's nodes are never leaked to the router.
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
