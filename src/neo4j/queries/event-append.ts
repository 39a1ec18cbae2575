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
 * Event fields only the change's statement knows (the run a checkpoint belongs to, the version
 * a new one follows, say), as Cypher expressions over the statement's `variables`: each given
 * one replaces that field of the events, and its value in their audit entries' JSON.
 */
export interface StatementFields {
  readonly variables: readonly string[];
  readonly projectId?: string;
  readonly name?: string;
  /** May be null (a first version): the audit JSON then holds null, as JSON.stringify writes it. */
  readonly previousId?: string;
}

/**
 * Stand for statement-known values in an audit entry's JSON until the statement writes them:
 * control characters, which no name (checkText) or id contains.
 */
const SLOTS = { name: '\u0000', previousId: '\u0001' } as const;
type Slot = keyof typeof SLOTS;

/**
 * Cypher for the JSON string of `expr`, exactly as JSON.stringify writes it, for a name or an
 * id: names hold no control characters but tab, newline and carriage return (checkText), so
 * these and the backslash and quote are all JSON escapes. A null `expr` is JSON's null.
 */
function jsonStringCypher(expr: string): string {
  return String.raw`CASE WHEN ${expr} IS NULL THEN 'null' ELSE '"' + replace(replace(replace(replace(replace(${expr}, '\\', '\\\\'), '"', '\\"'), '\n', '\\n'), '\r', '\\r'), '\t', '\\t') + '"' END`;
}

/** An event row's audit JSON: its pieces (`row.details`) with each slot's value, as JSON, between them. */
function detailsCypher(order: readonly Slot[], fields: StatementFields): string {
  const pieces = order.map((slot, i) => `row.details[${i}] + ${jsonStringCypher(fields[slot]!)}`);
  return `CASE WHEN row.details IS NULL THEN null ELSE ${[...pieces, `row.details[${order.length}]`].join(' + ')} END`;
}

/**
 * `events` as part of the change's own statement: one statement fewer than appending them
 * after it (outbox.appendEvents), the same two ways. Pending, they are created unsequenced and
 * the unit waits for the sequencer; inline (`tx.sequenceInline()`), the subquery takes the
 * events counter's lock and numbers them, so the statement must be the unit's last. With
 * `when` (a boolean variable of the statement, e.g. whether an idempotent MERGE created the
 * subject), they are appended only when it is true. With `fields`, the events' fields it names
 * are the statement's (see StatementFields).
 */
export function composeEvents(tx: Tx, events: readonly NewEvent[], options: { when?: string; fields?: StatementFields } = {}): ComposedEvents {
  const { when, fields } = options;
  const slots = (['name', 'previousId'] as const).filter((slot) => fields?.[slot] !== undefined);
  const slotted = Object.fromEntries(slots.map((slot) => [slot, SLOTS[slot]]));
  const rows = eventRows(events.map((e) => ({ ...e, ...slotted })));
  const split = slots.length > 0 ? splitDetails(rows, slots) : null;
  const params = { events: split?.rows ?? rows, action: tx.unit };
  const given = when ? `CASE WHEN ${when} THEN $events ELSE [] END` : '$events';
  let list = given;
  if (fields && (fields.projectId !== undefined || split)) {
    const replaced = [
      ...(fields.projectId !== undefined ? [`projectId: ${fields.projectId}`] : []),
      ...slots.map((slot) => `${slot}: ${fields[slot]}`),
      ...(split ? [`detailsJson: ${detailsCypher(split.order, fields)}`] : []),
    ];
    list = `[row IN ${given} | row {.*, ${replaced.join(', ')}}]`;
  }
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

/** A slot as it appears in eventRows' audit JSON. */
const SLOT_IN_JSON = /"\\u000[01]"/g;

/**
 * The rows with each audit JSON cut around its slots (`details`: the pieces between them), and
 * the slots in the order they occur, which must be the same in every row (eventRows writes the
 * keys in one order), each slot once.
 */
function splitDetails(rows: readonly Record<string, unknown>[], slots: readonly Slot[]): { rows: Record<string, unknown>[]; order: Slot[] } {
  let order: Slot[] | null = null;
  const split = rows.map(({ detailsJson, ...rest }) => {
    if (typeof detailsJson !== 'string') return { ...withoutSlots(rest, slots), details: null };
    const found = [...detailsJson.matchAll(SLOT_IN_JSON)].map((m) => (JSON.parse(m[0]) === SLOTS.name ? 'name' : 'previousId') as Slot);
    order ??= found;
    if (found.length !== slots.length || new Set(found).size !== found.length || found.some((slot, i) => !slots.includes(slot) || order![i] !== slot)) {
      throw new Error('an event with statement-known fields has a slot in its audit JSON other than once, or in another order');
    }
    return { ...withoutSlots(rest, slots), details: detailsJson.split(SLOT_IN_JSON) };
  });
  return { rows: split, order: order ?? [...slots] };
}

/**
 * The row without its slot fields, which the statement adds: overriding a key with null in a
 * map projection (`row {.*, previousId: null}`) kept the key's old value in a write statement
 * of Neo4j 5.26, so the statement never overrides them.
 */
function withoutSlots(row: Record<string, unknown>, slots: readonly Slot[]): Record<string, unknown> {
  const rest = { ...row };
  for (const slot of slots) delete rest[slot];
  return rest;
}

/**
 * The compact layout of a large append. A batch (a `recordLineage` call of thousands of nodes)
 * appends an event per new version, run start and finish: about ten per pipeline, more events
 * than nodes. Stored one `:Event` node each, with four index entries and numbered one by one
 * by the sequencer, they were the largest part of a batch. An append of at least
 * EVENT_GROUP_MIN events that share project and actor, carry no alias and one audit entry for
 * the unit, is stored instead as groups of at most EVENT_GROUP_MAX events: one `:Event` node
 * per group that takes a range of seqs, `firstSeq` to `seq` (its last). `id` is its first
 * event's id, `count` its number of events; `projectId`, `actor` and `occurredAt` are every
 * event's. The rest is per event, in seq order, as lists:
 * - `subjectIds`, `names` and `previousIds` (an empty string for null: Neo4j lists hold no
 *   nulls, and no name or id is empty);
 * - kinds as `kindCodes`, each an index into `kindTable`, the group's distinct kinds: a batch
 *   has a handful of kinds, and a list of small integers is stored in a few bits each;
 * - no ids: the event at offset k > 0 has the id `<id>-<k in three digits>` (groupEventId), so
 *   the ids of an append still ascend in seq order and no two events share one.
 * Groups written before kinds and ids were derived carry `kinds` and `ids` lists instead; readers
 * take those where present. Readers expand groups (src/neo4j/queries/events.ts, eventAt,
 * eventWithSeq and eventsInRange), so every reader sees one event per seq whichever layout wrote it.
 */
export const EVENT_GROUP_MIN = 64;
export const EVENT_GROUP_MAX = 1_000;

/** The id of the event at offset `k` (> 0) of the group whose id is `groupId`; the Cypher reader is eventAt's. */
export function groupEventId(groupId: string, k: number): string {
  return `${groupId}-${String(k).padStart(3, '0')}`;
}

/** A group node's properties (see above), and `offset`: how many of the append's events precede it. */
interface EventGroupRow {
  readonly id: string;
  readonly projectId: string;
  readonly actor: string | null;
  readonly offset: number;
  readonly count: number;
  readonly kindTable: string[];
  readonly kindCodes: number[];
  readonly subjectIds: string[];
  readonly names: string[];
  readonly previousIds: string[];
}

/**
 * The events of an append with a summary audit entry as groups, or null when the append is to
 * be stored event by event. Group ids are minted in order, so they ascend as the events do.
 */
export function eventGroups(events: readonly NewEvent[]): EventGroupRow[] | null {
  if (events.length < EVENT_GROUP_MIN) return null;
  const [first] = events;
  const shared = events.every((e) => e.projectId === first!.projectId && e.actor === first!.actor && (e.alias ?? null) === null);
  if (!shared) return null;
  const groups: EventGroupRow[] = [];
  for (let offset = 0; offset < events.length; offset += EVENT_GROUP_MAX) {
    const part = events.slice(offset, offset + EVENT_GROUP_MAX);
    const kinds = part.map((e) => e.kind as string);
    const kindTable = [...new Set(kinds)];
    groups.push({
      id: newId('Event'),
      projectId: first!.projectId,
      actor: first!.actor ?? null,
      offset,
      count: part.length,
      kindTable,
      kindCodes: kinds.map((kind) => kindTable.indexOf(kind)),
      subjectIds: part.map((e) => e.subjectId),
      names: part.map((e) => e.name ?? ''),
      previousIds: part.map((e) => e.previousId ?? ''),
    });
  }
  return groups;
}

const GROUP_PROPERTIES = `id: g.id, count: toInteger(g.count), projectId: g.projectId, actor: g.actor, occurredAt: now,
       kindTable: g.kindTable, kindCodes: [c IN g.kindCodes | toInteger(c)], subjectIds: g.subjectIds, names: g.names, previousIds: g.previousIds`;

/** Appends `$groups` (eventGroups) pending, for the sequencer to number; with `now` bound. */
export const APPEND_EVENT_GROUPS = `UNWIND $groups AS g
     CREATE (:Event:Unsequenced {${GROUP_PROPERTIES}})`;

/**
 * Appends `$groups` (of `$total` events) numbered, as APPEND_SEQUENCED_EVENTS does events:
 * under the events counter's lock, each group the next range of seqs. Returns `head` and `appended`.
 */
export const APPEND_SEQUENCED_EVENT_GROUPS = `MATCH (c:Counter {name: 'events'})
     SET c.value = c.value + toInteger($total)
     WITH c.value - toInteger($total) AS base, datetime() AS now
     CALL (base, now) {
       UNWIND $groups AS g
       CREATE (:Event {seq: base + toInteger(g.offset + g.count), firstSeq: base + toInteger(g.offset) + 1, ${GROUP_PROPERTIES}})
     }
     RETURN base + toInteger($total) AS head, toInteger($total) AS appended`;
