/** Appending events and their audit entries: the Cypher the outbox (src/events/outbox.ts) and single-statement writers share. */
import type { EventKind, InternalEventKind } from '../../domain/event-kinds.ts';
import { newId } from '../../domain/ids.ts';
import type { Tx } from '../executor.ts';

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
 * The Cypher that appends `$events` (from eventRows) and their audit entries (action
 * `$action`), with `now` bound: for a statement that writes a change and its events at once
 * (one round trip; the caller calls `tx.eventsAppended()`). As a unit subquery it leaves the
 * statement's rows as they were: `CALL (now) { ${APPEND_EVENTS} }`.
 */
export const APPEND_EVENTS = appendCypher('$events');

function appendCypher(events: string): string {
  return `UNWIND ${events} AS e
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
export const APPEND_SEQUENCED_EVENTS = sequencedCypher('$events');

function sequencedCypher(events: string): string {
  return `MATCH (c:Counter {name: 'events'})
     WITH c, ${events} AS events
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

/** A change's events written by the change's own statement (composeEvents). */
export interface ComposedEvents {
  /** A subquery for the statement, placed after its change where it has exactly one row. */
  readonly cypher: string;
  /** For the statement's RETURN: `eventsHead` and `eventsAppended`. */
  readonly columns: string;
  /** The statement's parameters for it (`$events`, `$action`). */
  readonly params: Record<string, unknown>;
  /** Call with the statement's record once it answered (a missing record: nothing was appended). */
  answered(record: { get(key: string): unknown } | undefined): void;
}

/**
 * Event fields only the change's statement knows (the run a checkpoint belongs to, say), as
 * Cypher expressions over the statement's `variables`: they replace the events' projectId and
 * name, and the name in their audit entries' JSON.
 */
export interface StatementFields {
  readonly variables: readonly string[];
  readonly projectId: string;
  readonly name: string;
}

/** Stands for the name in an audit entry's JSON until the statement writes it: NUL, which no name contains (checkText). */
const NAME_SLOT = '\u0000';

/**
 * Cypher for the JSON string of `expr`, exactly as JSON.stringify writes it, for a name:
 * names hold no control characters but tab, newline and carriage return (checkText), so these
 * and the backslash and quote are all JSON escapes.
 */
function jsonStringCypher(expr: string): string {
  return String.raw`'"' + replace(replace(replace(replace(replace(${expr}, '\\', '\\\\'), '"', '\\"'), '\n', '\\n'), '\r', '\\r'), '\t', '\\t') + '"'`;
}

/**
 * `events` as part of the change's own statement: one statement fewer than appending them
 * after it (outbox.appendEvents), the same two ways. Pending, they are created unsequenced and
 * the unit waits for the sequencer; inline (`tx.sequenceInline()`), the subquery takes the
 * events counter's lock and numbers them, so the statement must be the unit's last. With
 * `when` (a boolean variable of the statement, e.g. whether an idempotent MERGE created the
 * subject), they are appended only when it is true. With `fields`, the events' project and name
 * are the statement's (see StatementFields).
 */
export function composeEvents(tx: Tx, events: readonly NewEvent[], options: { when?: string; fields?: StatementFields } = {}): ComposedEvents {
  const { when, fields } = options;
  const rows = fields ? eventRows(events.map((e) => ({ ...e, name: NAME_SLOT }))).map(splitDetails) : eventRows(events);
  const params = { events: rows, action: tx.unit };
  const given = when ? `CASE WHEN ${when} THEN $events ELSE [] END` : '$events';
  const list = fields
    ? `[row IN ${given} | row {.*, projectId: ${fields.projectId}, name: ${fields.name},
         detailsJson: CASE WHEN row.detailsHead IS NULL THEN null ELSE row.detailsHead + ${jsonStringCypher(fields.name)} + row.detailsTail END}]`
    : given;
  const imports = [...(when ? [when] : []), ...(fields?.variables ?? [])].join(', ');
  if (events.length === 0) return { cypher: '', columns: 'null AS eventsHead, 0 AS eventsAppended', params, answered: () => {} };
  if (tx.sequenceInline?.() === true) {
    return {
      cypher: `CALL (${imports}) {
       ${sequencedCypher(list)}
     }`,
      columns: 'head AS eventsHead, appended AS eventsAppended',
      params,
      answered(record) {
        const head = record?.get('eventsHead') as number | null | undefined;
        if (head === null || head === undefined) throw new Error('the events counter is missing (migration V002 creates it)');
        if ((record!.get('eventsAppended') as number) > 0) tx.eventsSequenced?.(head);
      },
    };
  }
  return {
    cypher: `CALL (${imports}) {
       WITH ${imports ? '*, ' : ''}datetime() AS now
       ${appendCypher(list)}
     }`,
    columns: `null AS eventsHead, size(${given}) AS eventsAppended`,
    params,
    answered(record) {
      if (record && (record.get('eventsAppended') as number) > 0) tx.eventsAppended?.();
    },
  };
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

/** A row whose audit JSON holds NAME_SLOT as the name, with that JSON split around it for the statement to fill. */
function splitDetails(row: Record<string, unknown>): Record<string, unknown> {
  const { detailsJson, ...rest } = row;
  if (typeof detailsJson !== 'string') return { ...rest, detailsHead: null, detailsTail: null };
  const parts = detailsJson.split(JSON.stringify(NAME_SLOT));
  if (parts.length !== 2) throw new Error('an event with a statement-known name has the name slot in its audit JSON other than once');
  return { ...rest, detailsHead: parts[0], detailsTail: parts[1] };
}
