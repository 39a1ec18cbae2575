/**
 * Project-scoped authorization (docs/security.md). A project the viewer cannot read does not
 * exist for it: its nodes are NOT_FOUND (or null, or left out), never FORBIDDEN, so their
 * existence does not leak. FORBIDDEN is for a project it can read but not change that way.
 */
import { forbidden, type PedigreeError } from '../domain/errors.ts';
import type { Role, Viewer } from './viewer.ts';

const RANK: Record<Role, number> = { VIEWER: 1, WRITER: 2, ADMIN: 3 };

export function roleIn(viewer: Viewer, projectId: string): Role | null {
  return viewer.admin ? 'ADMIN' : (viewer.roles.get(projectId) ?? null);
}

export function canRead(viewer: Viewer, projectId: string): boolean {
  return roleIn(viewer, projectId) !== null;
}

/**
 * Throws `hidden` (a NOT_FOUND for whatever the caller looked up) unless the viewer can read
 * the project, and FORBIDDEN unless its role there is at least `role`.
 */
export function requireRole(viewer: Viewer, projectId: string, role: Role, hidden: () => PedigreeError): void {
  const have = roleIn(viewer, projectId);
  if (have === null) throw hidden();
  if (RANK[have] < RANK[role]) throw forbidden(`this needs the ${role} role in the project; you have ${have}`);
}

/**
 * The projects where the viewer has at least `role`, for a statement that checks it itself
 * (`$writable.all OR x.projectId IN $writable.projects`): every project for a server admin.
 */
export function projectsWithRole(viewer: Viewer, role: Role): { all: boolean; projects: string[] } {
  if (viewer.admin) return { all: true, projects: [] };
  return { all: false, projects: [...viewer.roles].filter(([, have]) => RANK[have] >= RANK[role]).map(([projectId]) => projectId) };
}

export function requireServerAdmin(viewer: Viewer): void {
  if (!viewer.admin) throw forbidden('only a server-wide admin can do this');
}
