/**
 * Reference checks inside a write transaction: referenced ids must exist, belong to the
 * mutation's project and be of an accepted label, or the whole mutation fails (and, since
 * the check runs inside the transaction, nothing is written).
 */
import { requireRole } from '../auth/authorize.ts';
import type { Role, Viewer } from '../auth/viewer.ts';
import { badInput, notFound } from '../domain/errors.ts';
import type { Tx } from '../neo4j/executor.ts';
import { nodeHeaders, type HeaderGate, type NodeHeaders, type ReadableLabel } from '../neo4j/queries/nodes.ts';

export interface Ref {
  /** Input path for errors, e.g. 'input.inputs[2].id'. */
  readonly field: string;
  readonly id: string;
  readonly labels: readonly ReadableLabel[];
}

/** Resolves every ref to its label; NOT_FOUND for missing or other-project ids. */
export async function requireRefs(tx: Tx, projectId: string, refs: readonly Ref[]): Promise<Map<string, ReadableLabel>> {
  if (refs.length === 0) return new Map();
  return checkRefs(await nodeHeaders(tx, [...new Set(refs.map((r) => r.id))]), projectId, refs);
}

function checkRefs(headers: NodeHeaders, projectId: string, refs: readonly Ref[]): Map<string, ReadableLabel> {
  const labels = new Map<string, ReadableLabel>();
  for (const ref of refs) {
    const header = headers.get(ref.id);
    // Another project's id is reported exactly like a missing one: its existence is not leaked.
    if (!header || header.projectId !== projectId) throw notFound('node', ref.id, ref.field);
    if (!ref.labels.includes(header.label)) {
      throw badInput(ref.field, `${ref.field} must be the id of a ${ref.labels.join(' or ')}, got a ${header.label}`);
    }
    labels.set(ref.id, header.label);
  }
  return labels;
}

/**
 * `requireProject` and `requireRefs` in one statement: the project and the referenced nodes
 * are looked up together. Returns the refs' labels.
 */
export async function requireProjectAndRefs(
  tx: Tx,
  viewer: Viewer,
  projectId: string,
  role: Role,
  refs: readonly Ref[],
  field = 'input.project',
): Promise<Map<string, ReadableLabel>> {
  const checks = projectAndRefChecks(viewer, projectId, role, refs, field);
  return checks.check(await nodeHeaders(tx, checks.ids));
}

/**
 * The same checks for a write that reads the headers in its own statement: the viewer's role is
 * checked now; `ids` go to headersCypher; `check` runs on the headers the statement read (and
 * throws inside the transaction, which rolls the write back). Returns the refs' labels. `gate`
 * is the same check for the statement itself (ADMITTED), for a write without a rollback.
 */
export function projectAndRefChecks(
  viewer: Viewer,
  projectId: string,
  role: Role,
  refs: readonly Ref[],
  field = 'input.project',
): { ids: string[]; gate: HeaderGate; check(headers: NodeHeaders): Map<string, ReadableLabel> } {
  requireRole(viewer, projectId, role, () => notFound('project', projectId, field));
  return {
    ids: [...new Set([projectId, ...refs.map((r) => r.id)])],
    gate: { project: projectId, refs: refs.map(({ id, labels }) => ({ id, labels })) },
    check(headers) {
      if (headers.get(projectId)?.label !== 'Project') throw notFound('project', projectId, field);
      return checkRefs(headers, projectId, refs);
    },
  };
}

/**
 * Fails unless the viewer has at least `role` in the project (NOT_FOUND when it cannot read
 * it, exactly as for a missing project; FORBIDDEN when its role is lower) and it exists.
 */
export async function requireProject(tx: Tx, viewer: Viewer, projectId: string, role: Role, field = 'input.project'): Promise<void> {
  await requireProjectAndRefs(tx, viewer, projectId, role, [], field);
}

