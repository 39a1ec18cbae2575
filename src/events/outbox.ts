/**
 * The transactional outbox (docs/architecture.md): a write appends its events in its own transaction,
 * so there is no event without its change and no change without its event.
 *
 * Appending takes no shared lock: the events are created `:Event:Unsequenced`, without a
 * `seq`, and writers commit in parallel. The sequencer (src/events/sequencer.ts) numbers them
 * afterwards, under the events counter's lock, in (occurredAt, id) order, so seq order is
 * sequencing order (not exactly commit order), and a seq once visible is greater than every
 * seq visible before it. A unit that appended events waits, after its commit, until the
 * gateway's sequencer has numbered them (src/events/sequenced-writes.ts), so a mutation answers
 * only once its events are in the log (read-your-writes for every reader, on every instance).
 * A unit that is the only write in flight in its process numbers its own events instead, under
 * the same lock, in the same transaction (APPEND_SEQUENCED_EVENTS; src/events/sequenced-writes.ts
 * decides), and waits for nothing.
 */
import type { Tx } from '../neo4j/executor.ts';
import { pinned } from '../neo4j/plans.ts';
import { newId } from '../domain/ids.ts';
import { INTERNAL_EVENT_KINDS } from '../domain/event-kinds.ts';
import {
  APPEND_EVENT_GROUPS,
  APPEND_EVENTS,
  APPEND_SEQUENCED_EVENT_GROUPS,
  APPEND_SEQUENCED_EVENTS,
  eventGroups,
  eventRows,
  type NewEvent,
} from '../neo4j/queries/event-append.ts';

export type { NewEvent };

/**
 * Appends the events in order and, in the same statement, the audit trail that, unlike
 * events, is never pruned: an entry per event (the mutation, its actor and subject), or with
 * `summary` one entry for the whole unit (a recordLineage batch of thousands of nodes: its
 * details count the events by kind; each node keeps its createdBy). Call it last in a write unit.
 * (A unit whose change is one statement can write its events in that statement instead:
 * composeEvents in src/neo4j/queries/event-append.ts.) A large append with a summary is stored
 * in the compact layout (eventGroups in src/neo4j/queries/event-append.ts).
 */
export async function appendEvents(
  tx: Tx,
  events: readonly NewEvent[],
  options: { summary?: Record<string, unknown> } = {},
): Promise<void> {
  if (events.length === 0) return;
  const groups = options.summary ? eventGroups(events) : null;
  const params = groups ? { groups, total: events.length } : { events: eventRows(events, options), action: tx.unit };
  const appended =
    tx.sequenceInline?.() === true
      ? tx.run(pinned(groups ? APPEND_SEQUENCED_EVENT_GROUPS : APPEND_SEQUENCED_EVENTS), params).then(([record]) => {
          if (!record) throw new Error('the events counter is missing (migration V002 creates it)');
          if ((record.get('appended') as number) > 0) tx.eventsSequenced?.(record.get('head') as number);
        })
      : tx.run(pinned(`WITH datetime() AS now ${groups ? APPEND_EVENT_GROUPS : APPEND_EVENTS}`), params).then(() => tx.eventsAppended?.());
  // The summary's audit entry goes out right behind the events, not after their answer.
  const audited = options.summary
    ? appendAudit(tx, { projectId: events[0]!.projectId, actor: events[0]!.actor, subjectId: null, details: { ...options.summary, events: countByKind(events) } })
    : undefined;
  await Promise.all([appended, audited]);
}

/** The events' count per public kind, for a unit's summary audit entry. */
function countByKind(events: readonly NewEvent[]): Record<string, number> {
  const byKind: Record<string, number> = {};
  for (const e of events) byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
  for (const kind of INTERNAL_EVENT_KINDS) delete byKind[kind];
  return byKind;
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
