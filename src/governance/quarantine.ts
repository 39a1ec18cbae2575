/**
 * Quarantine of lineage nodes: WRITER or ADMIN quarantines (idempotent while the node is
 * quarantined: the quarantine in force is returned, nothing is written), ADMIN lifts. Each
 * change appends its event (NODE_QUARANTINED, QUARANTINE_LIFTED) and audit entry, and is taken
 * under the release gate lock, so a release evaluated concurrently sees it or commits first.
 */
import { requireRole } from '../auth/authorize.ts';
import { conflict, notFound } from '../domain/errors.ts';
import { appendEvents } from '../events/outbox.ts';
import type { Tx } from '../neo4j/executor.ts';
import { activeQuarantine, createQuarantine, liftQuarantine as liftQuarantineRow, lockGate, quarantinesOfProject, type QuarantineRow } from '../neo4j/queries/governance.ts';
import { nodeHeaders } from '../neo4j/queries/nodes.ts';
import { LINEAGE_LABELS } from '../domain/rows.ts';
import { checkName } from '../recording/validate.ts';
import type { Role } from '../auth/viewer.ts';
import type { GovernanceDeps } from './deps.ts';

/** The lineage node's project, after checking the viewer's role there; NOT_FOUND for a missing, unreadable or non-lineage id. */
async function lineageNodeProject(tx: Tx, deps: GovernanceDeps, nodeId: string, field: string, role: Role): Promise<string> {
  const header = (await nodeHeaders(tx, [nodeId])).get(nodeId);
  const hidden = () => notFound('lineage node', nodeId, field);
  if (!header || !(LINEAGE_LABELS as readonly string[]).includes(header.label)) throw hidden();
  requireRole(deps.viewer, header.projectId, role, hidden);
  return header.projectId;
}

export interface QuarantineInput {
  readonly node: string;
  readonly reason: string;
}

export async function quarantineNode(deps: GovernanceDeps, input: QuarantineInput): Promise<QuarantineRow> {
  const reason = checkName('input.reason', input.reason);
  const actor = deps.viewer.subject;
  return deps.executor.write('quarantine', async (tx) => {
    const projectId = await lineageNodeProject(tx, deps, input.node, 'input.node', 'WRITER');
    await lockGate(tx, projectId);
    const existing = await activeQuarantine(tx, input.node);
    if (existing) return existing;
    const quarantine = await createQuarantine(tx, { nodeId: input.node, projectId, reason, actor });
    await appendEvents(tx, [{ kind: 'NODE_QUARANTINED', projectId, subjectId: input.node, actor, audit: { reason } }]);
    return quarantine;
  });
}

/** Lifts the quarantine in force; CONFLICT when the node is not quarantined. */
export async function liftQuarantine(deps: GovernanceDeps, nodeId: string): Promise<QuarantineRow> {
  const actor = deps.viewer.subject;
  return deps.executor.write('liftQuarantine', async (tx) => {
    const projectId = await lineageNodeProject(tx, deps, nodeId, 'node', 'ADMIN');
    await lockGate(tx, projectId);
    const existing = await activeQuarantine(tx, nodeId);
    if (!existing) throw conflict(`node '${nodeId}' is not quarantined`, { field: 'node' });
    const lifted = await liftQuarantineRow(tx, { nodeId, actor });
    await appendEvents(tx, [{ kind: 'QUARANTINE_LIFTED', projectId, subjectId: nodeId, actor, audit: { reason: existing.reason, quarantinedAt: existing.at.toISOString() } }]);
    return lifted;
  });
}

/** The project's quarantines, newest first; NOT_FOUND when the viewer cannot read the project. */
export async function quarantines(deps: GovernanceDeps, projectId: string, includeLifted: boolean): Promise<QuarantineRow[]> {
  requireRole(deps.viewer, projectId, 'VIEWER', () => notFound('project', projectId, 'project'));
  return deps.executor.readOne('quarantines', (tx) => quarantinesOfProject(tx, projectId, includeLifted));
}
