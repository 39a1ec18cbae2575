/**
 * The transactional outbox (DESIGN.md §6): a write appends its events in its own transaction,
 * so there is no event without its change and no change without its event. `seq` comes from
 * one counter node whose write lock the transaction holds until commit, so seq order is
 * commit order.
 */
import type { Tx } from '../neo4j/executor.ts';
import { newId } from '../ids.ts';

export type EventKind =
  | 'DATASET_VERSION_CREATED'
  | 'RUN_STARTED'
  | 'RUN_FINISHED'
  | 'CHECKPOINT_CREATED'
  | 'ARTIFACT_CREATED'
  | 'MODEL_VERSION_CREATED'
  | 'MODEL_VERSION_STATUS_CHANGED'
  | 'MODEL_ALIAS_MOVED'
  | 'DEPLOYMENT_CREATED'
  | 'DEPLOYMENT_STATUS_CHANGED';

export interface NewEvent {
  readonly kind: EventKind;
  readonly projectId: string;
  /** The lineage node the event announces. */
  readonly subjectId: string;
  /** Dataset, model or artifact name, for name filters. */
  readonly name?: string | null;
  /** What the subject replaces: previous version, superseded deployment, alias's old target. */
  readonly previousId?: string | null;
  readonly alias?: string | null;
  readonly actor: string | null;
}

/**
 * Appends the events in order and, in the same statement, the audit trail that, unlike
 * events, is never pruned: an entry per event (the mutation, its actor and subject), or with
 * `summary` one entry for the whole unit (a recordLineage batch of thousands of nodes: its
 * details count the events by kind; each node keeps its createdBy). Call it last in a write unit.
 */
export async function appendEvents(tx: Tx, events: readonly NewEvent[], options: { summary?: Record<string, unknown> } = {}): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({
    id: newId('Event'),
    kind: e.kind,
    projectId: e.projectId,
    subjectId: e.subjectId,
    name: e.name ?? null,
    previousId: e.previousId ?? null,
    alias: e.alias ?? null,
    actor: e.actor,
    detailsJson: options.summary ? null : JSON.stringify({ event: e.kind, name: e.name ?? null, alias: e.alias ?? null, previousId: e.previousId ?? null }),
  }));
  await tx.run(
    // MATCH then SET: the exclusive lock is taken at once (see V002__event_counter.cypher).
    `MATCH (c:Counter {name: 'events'})
     SET c.value = c.value + size($events)
     WITH c.value - size($events) AS base
     UNWIND range(0, size($events) - 1) AS i
     WITH base + i + 1 AS seq, $events[i] AS e
     CREATE (:Event {
       seq: seq, id: e.id, kind: e.kind, projectId: e.projectId, subjectId: e.subjectId,
       name: e.name, previousId: e.previousId, alias: e.alias, actor: e.actor, occurredAt: datetime()
     })
     FOREACH (_ IN CASE WHEN e.detailsJson IS NULL THEN [] ELSE [1] END |
       CREATE (:AuditEntry {
         id: e.id, projectId: e.projectId, at: datetime(), actor: e.actor, action: $action, subjectId: e.subjectId,
         detailsJson: e.detailsJson
       }))`,
    { events: rows, action: tx.unit },
  );
  if (options.summary) {
    const byKind: Record<string, number> = {};
    for (const e of events) byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
    await appendAudit(tx, { projectId: events[0]!.projectId, actor: events[0]!.actor, subjectId: null, details: { ...options.summary, events: byKind } });
  }
}

/** An audit entry for a change that announces no event (e.g. an API token created or revoked). */
export async function appendAudit(
  tx: Tx,
  entry: { projectId: string; actor: string | null; subjectId: string | null; details: Record<string, unknown> },
): Promise<void> {
  await tx.run(
    `CREATE (:AuditEntry {id: $id, projectId: $projectId, at: datetime(), actor: $actor, action: $action, subjectId: $subjectId, detailsJson: $detailsJson})`,
    { id: newId('Event'), projectId: entry.projectId, actor: entry.actor, action: tx.unit, subjectId: entry.subjectId, detailsJson: JSON.stringify(entry.details) },
  );
}
