/** Appending events and their audit entries: the Cypher the outbox (src/events/outbox.ts) and single-statement writers share. */
import type { EventKind, InternalEventKind } from '../../domain/event-kinds.ts';
import { newId } from '../../domain/ids.ts';

/** An event to append: the outbox's (src/events/outbox.ts) and single-statement writers'. */
export interface NewEvent {
  readonly kind: EventKind | InternalEventKind;
  readonly projectId: string;
  /** The lineage node the event announces. */
  readonly subjectId: string;
  /** Dataset, model or artifact name, for name filters. */
  readonly name?: string | null;
  /** What the subject replaces: previous version, superseded deployment, alias's old target. */
  readonly previousId?: string | null;
  readonly alias?: string | null;
  readonly actor: string | null;
  /** More facts for the event's audit entry only (e.g. a status change's from, to and reason). */
  readonly audit?: Readonly<Record<string, unknown>>;
}

/**
 * Keeps only the events whose subject exists when the statement runs: for a unit that sends its
 * change and its events together, where the change may turn out to create nothing (an
 * idempotent repeat finds the earlier node, so the subject's fresh id names no node).
 */
const SUBJECT_EXISTS = 'EXISTS { MATCH (s:LineageNode {id: e.subjectId}) }';

/**
 * The Cypher that appends `$events` (from eventRows) and their audit entries (action
 * `$action`), with `now` bound: for a statement that writes a change and its events at once
 * (one round trip; the caller calls `tx.eventsAppended()`). As a unit subquery it leaves the
 * statement's rows as they were: `CALL (now) { ${APPEND_EVENTS} }`.
 */
export const APPEND_EVENTS = appendCypher(false);

/** APPEND_EVENTS for the events whose subject exists (SUBJECT_EXISTS). */
export const APPEND_EVENTS_OF_EXISTING = appendCypher(true);

function appendCypher(existingOnly: boolean): string {
  return `UNWIND $events AS e${existingOnly ? `\n     WITH e, now WHERE ${SUBJECT_EXISTS}` : ''}
     CREATE (:Event:Unsequenced {
       id: e.id, kind: e.kind, projectId: e.projectId, subjectId: e.subjectId,
       name: e.name, previousId: e.previousId, alias: e.alias, actor: e.actor, occurredAt: now
     })
     FOREACH (_ IN CASE WHEN e.detailsJson IS NULL THEN [] ELSE [1] END |
       CREATE (:AuditEntry {
         id: e.id, projectId: e.projectId, at: now, actor: e.actor, action: $action, subjectId: e.subjectId,
         detailsJson: e.detailsJson
       }))`;
}

/**
 * Appends `$events` like APPEND_EVENTS, but numbered: takes the events counter's lock (held
 * until the transaction ends), gives the events the next seqs in the order given and moves the
 * counter. Returns one row, `head` (the counter after the append: the last seq taken) and
 * `appended` (how many), or none when the counter is missing. Only for a unit that numbers its
 * own events (src/events/sequenced-writes.ts), as its last statement, so the lock is the last
 * one the transaction takes and is held only through COMMIT.
 */
export const APPEND_SEQUENCED_EVENTS = sequencedCypher(false);

/** APPEND_SEQUENCED_EVENTS for the events whose subject exists (SUBJECT_EXISTS); `appended` may be 0. */
export const APPEND_SEQUENCED_EVENTS_OF_EXISTING = sequencedCypher(true);

function sequencedCypher(existingOnly: boolean): string {
  return `MATCH (c:Counter {name: 'events'})
     WITH c, ${existingOnly ? `[e IN $events WHERE ${SUBJECT_EXISTS}]` : '$events'} AS events
     SET c.value = c.value + size(events)
     WITH c.value AS head, events, datetime() AS now
     CALL (head, events, now) {
       UNWIND range(0, size(events) - 1) AS i
       WITH events[i] AS e, head - size(events) + i + 1 AS seq, now
       CREATE (:Event {
         seq: seq, id: e.id, kind: e.kind, projectId: e.projectId, subjectId: e.subjectId,
         name: e.name, previousId: e.previousId, alias: e.alias, actor: e.actor, occurredAt: now
       })
       FOREACH (_ IN CASE WHEN e.detailsJson IS NULL THEN [] ELSE [1] END |
         CREATE (:AuditEntry {
           id: e.id, projectId: e.projectId, at: now, actor: e.actor, action: $action, subjectId: e.subjectId,
           detailsJson: e.detailsJson
         }))
     }
     RETURN head, size(events) AS appended`;
}

/** `events` as the rows APPEND_EVENTS takes; with `summary`, no per-event audit entries. */
export function eventRows(events: readonly NewEvent[], options: { summary?: Record<string, unknown> } = {}): Record<string, unknown>[] {
  // Within one append every event has the same occurredAt (one statement), so their ids give
  // their order: sorted, fresh UUIDv7 ids ascend in the order the events were given.
  const ids = events.map(() => newId('Event')).sort();
  return events.map((e, i) => ({
    id: ids[i]!,
    kind: e.kind,
    projectId: e.projectId,
    subjectId: e.subjectId,
    name: e.name ?? null,
    previousId: e.previousId ?? null,
    alias: e.alias ?? null,
    actor: e.actor,
    detailsJson: options.summary ? null : JSON.stringify({ event: e.kind, name: e.name ?? null, alias: e.alias ?? null, previousId: e.previousId ?? null, ...e.audit }),
  }));
}
