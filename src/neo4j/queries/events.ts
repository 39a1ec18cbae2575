/**
 * Reads of the event log (the outbox written by src/events/outbox.ts), its sequencing and
 * retention, and the upstream set behind the `upstreamOf` staleness watch.
 *
 * A "series" names what a new version is a version of: a dataset ('ds:<datasetId>'), a model
 * ('mdl:<modelId>') or an artifact ('art:<projectId>:<type>:<name>', the identity that its
 * digest uniqueness is scoped to). Only dataset versions, model versions and artifacts have one.
 */
import type { Record as Neo4jRecord } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { pinned } from '../plans.ts';
import { INTERNAL_EVENT_KINDS } from '../../domain/event-kinds.ts';
import { EVENT_GROUP_MAX } from './event-append.ts';
import { toPlain } from '../values.ts';
import { lineageRowProjection, rowOf, rowProjection } from './nodes.ts';
import type { LineageLabel, ProjectRow } from '../../domain/rows.ts';

/** Kinds whose subject is a new version of a series. */
export const NEW_VERSION_KINDS = ['DATASET_VERSION_CREATED', 'MODEL_VERSION_CREATED', 'ARTIFACT_CREATED'] as const;

export interface StoredEvent {
  readonly seq: number;
  readonly id: string;
  readonly kind: string;
  readonly projectId: string;
  readonly subjectId: string;
  readonly name: string | null;
  readonly previousId: string | null;
  readonly alias: string | null;
  readonly actor: string | null;
  readonly occurredAt: Date;
  /** The subject's series, for new-version kinds whose subject still exists; else null. */
  readonly series: string | null;
  /** The subject's createdAt in epoch ms, when `series` is set. */
  readonly subjectCreatedMs: number | null;
}

/** The column filters of EventFilter, each null when absent. */
export interface EventColumns {
  readonly projects: readonly string[] | null;
  readonly kinds: readonly string[] | null;
  readonly names: readonly string[] | null;
}

/**
 * What an `upstreamOf` watch compares against: the ids upstream of the watched node, and per
 * series the creation time (epoch ms) of its earliest version among them.
 */
export interface UpstreamWatch {
  readonly closure: readonly string[];
  readonly since: Readonly<Record<string, number>>;
}

const seriesOf = (v: string) =>
  `CASE WHEN ${v}:DatasetVersion THEN 'ds:' + ${v}.datasetId
        WHEN ${v}:ModelVersion THEN 'mdl:' + ${v}.modelId
        WHEN ${v}:Artifact THEN 'art:' + ${v}.projectId + ':' + ${v}.type + ':' + coalesce(${v}.name, '') END`;

/**
 * The event at offset `k` of the `:Event` node `e`, as a map of StoredEvent's stored fields:
 * the node's own fields for an event stored alone (`k` is 0), its `k`-th event for a group of the
 * compact layout (src/neo4j/queries/event-append.ts, eventGroups).
 */
export function eventAt(e: string, k: string): string {
  const listed = (list: string) => `CASE ${e}.${list}[${k}] WHEN '' THEN null ELSE ${e}.${list}[${k}] END`;
  // groupEventId's ids (k < EVENT_GROUP_MAX = 1,000: three digits); `ids` and `kinds` are the lists of groups written before.
  const id = `coalesce(${e}.ids[${k}], CASE ${k} WHEN 0 THEN ${e}.id ELSE ${e}.id + '-' + substring(toString(1000 + ${k}), 1) END)`;
  return `CASE WHEN ${e}.firstSeq IS NULL
       THEN ${e} {.seq, .id, .kind, .projectId, .subjectId, .name, .previousId, .alias, .actor, .occurredAt}
       ELSE {seq: ${e}.firstSeq + ${k}, id: ${id}, kind: coalesce(${e}.kinds[${k}], ${e}.kindTable[${e}.kindCodes[${k}]]), projectId: ${e}.projectId,
             subjectId: ${e}.subjectIds[${k}], name: ${listed('names')}, previousId: ${listed('previousIds')}, alias: null, actor: ${e}.actor, occurredAt: ${e}.occurredAt} END`;
}

/**
 * A subquery that binds `as` to the event with seq `seq` (a variable), as eventAt's map, and
 * yields no row when the log has none (not yet numbered, or pruned). A group holds at most
 * EVENT_GROUP_MAX events, so the one holding `seq` ends within that many seqs after it.
 */
export function eventWithSeq(seq: string, as: string): string {
  return `CALL (${seq}) {
       MATCH (e:Event) USING INDEX e:Event(seq) WHERE e.seq >= ${seq} AND e.seq < ${seq} + ${EVENT_GROUP_MAX}
       WITH e WHERE coalesce(e.firstSeq, e.seq) <= ${seq}
       RETURN ${eventAt('e', `toInteger(${seq}) - coalesce(e.firstSeq, e.seq)`)} AS ${as}
     }`;
}

/** The log's head (highest committed seq; 0 when empty) and the highest pruned seq (0 when none). */
export async function eventLogBounds(tx: Tx): Promise<{ head: number; prunedThrough: number }> {
  const [record] = await tx.run(
    pinned(`OPTIONAL MATCH (c:Counter {name: 'events'})
     OPTIONAL MATCH (p:Counter {name: 'events_pruned'})
     RETURN coalesce(c.value, 0) AS head, coalesce(p.value, 0) AS prunedThrough`),
  );
  return { head: record!.get('head') as number, prunedThrough: record!.get('prunedThrough') as number };
}

/**
 * One sequencer step (src/events/sequencer.ts), one statement: numbers up to `batch` pending
 * (`:Unsequenced`) events, oldest first by (occurredAt, id), with the seqs after the counter's
 * value, removes their pending label and moves the counter. A group of the compact layout
 * (src/neo4j/queries/event-append.ts) counts as one of the `batch` and takes a range of seqs:
 * `firstSeq` to `seq`, its `count` of them. Groups are few (a large batch's append makes one
 * per EVENT_GROUP_MAX events), so each node's first seq is its index plus what the groups
 * before it take beyond one each. Returns how many nodes it numbered and
 * the counter's new value; `sequenced: 0` (and `head: null`) when none was pending, and then it
 * wrote nothing and took no lock. Run it as its own (auto-commit) transaction: one round trip,
 * and the counter's lock is held only while Neo4j runs and commits it, never across a round trip
 * to the gateway (under contention that is what bounds the steps' rate).
 *
 * Order matters, Neo4j reads being read-committed: the counter's write lock is taken first, by
 * a SET that really changes the counter node (`steps`, a count of steps; a SET to the same value
 * would not lock), and only what follows reads the counter's value and matches the pending
 * events. This is the pattern Neo4j documents against lost updates ("Concurrent data access":
 * `SET n._LOCK_ = true WITH n.prop AS p ...`). EXPLAIN shows the planner caching `c.value` where
 * it finds the node, before the SET; that is safe because the runtime's SET takes the node's
 * exclusive lock and then drops every cached property of that node, so `c.value` is read again,
 * under the lock. A second sequencer (another gateway) waits on that lock and then reads the new
 * value and only the events still pending after the first one committed, so no event is numbered
 * twice and no seq is given twice. The first clause checks that anything is pending at all; the
 * lock and the numbering (OPTIONAL CALL) run only then, so an idle step is one cheap read.
 *
 * The batch is read in order from the event_unsequenced index (V009), which the hint insists
 * on: the plan is cached from whenever the statement was first planned, often with nothing
 * pending, and then Neo4j picks a label scan and a sort of every pending event, so each step of a
 * long backlog cost as much as the whole backlog (a 9,000-event batch: 9 steps of 1,000, 45,000
 * rows read). With the hint the plan does not depend on the statistics, and
 * the statement keeps it (`pinned`, src/neo4j/plans.ts): the pending label's count swings
 * between none and a few dozen all the time, which made Neo4j plan the step again (about 100 ms
 * on a cold JVM) every 10 s under load, holding back every event meanwhile.
 */
export async function sequencePending(tx: Tx, batch: number): Promise<{ sequenced: number; head: number | null }> {
  const [record] = await tx.run(
    pinned(`OPTIONAL MATCH (first:Unsequenced) WHERE first.occurredAt IS NOT NULL
     WITH first LIMIT 1
     OPTIONAL MATCH (c:Counter {name: 'events'}) WHERE first IS NOT NULL
     OPTIONAL CALL (c) {
       WITH c WHERE c IS NOT NULL
       SET c.steps = coalesce(c.steps, 0) + 1
       WITH c, c.value AS head
       CALL (head) {
         MATCH (e:Unsequenced) USING INDEX e:Unsequenced(occurredAt, id)
         WHERE e.occurredAt IS NOT NULL AND e.id IS NOT NULL
         WITH e ORDER BY e.occurredAt, e.id LIMIT toInteger($batch)
         WITH collect(e) AS pending
         WITH pending, [j IN range(0, size(pending) - 1) WHERE pending[j].count IS NOT NULL | [j, pending[j].count - 1]] AS groups
         UNWIND range(0, size(pending) - 1) AS i
         WITH pending[i] AS e, head + i + reduce(more = 0, g IN groups | more + CASE WHEN g[0] < i THEN g[1] ELSE 0 END) AS before
         WITH e, before, before + coalesce(e.count, 1) AS seq
         SET e.seq = seq, e.firstSeq = CASE WHEN e.count IS NULL THEN null ELSE before + 1 END
         REMOVE e:Unsequenced
         RETURN count(*) AS sequenced, max(seq) AS last
       }
       SET c.value = coalesce(last, head)
       RETURN sequenced, c.value AS newHead
     }
     RETURN first IS NOT NULL AS pending, c IS NOT NULL AS counter, sequenced, newHead`),
    { batch },
  );
  if (record?.get('pending') !== true) return { sequenced: 0, head: null };
  if (record.get('counter') !== true) throw new Error('the events counter is missing (migration V002 creates it)');
  return { sequenced: record.get('sequenced') as number, head: record.get('newHead') as number };
}

/**
 * Events with `after < seq <= through` in seq order, at most `limit`, matching the column
 * filters and (when given) the upstream watch; groups of the compact layout expanded to the
 * events of theirs in the range. Each query scans at most `through - after` + EVENT_GROUP_MAX
 * seq values through the `event_seq` index (a group's `seq` is its last); callers keep that
 * window bounded. Internal kinds (src/domain/event-kinds.ts) are left out unless `internal` is
 * true, for the dispatcher's tail.
 */
export async function eventsInRange(tx: Tx, args: RangeArgs): Promise<StoredEvent[]> {
  const records = await tx.run(pinned(rangeQuery(false)), rangeParams(args));
  return records.map(storedEvent);
}

/** The rows a page of events announces: its projects, and its subjects and previous nodes that exist, by id. */
export interface EventPageRows {
  readonly projects: Map<string, ProjectRow>;
  readonly nodes: Map<string, { label: LineageLabel; row: unknown }>;
}

/**
 * eventsInRange, and in the same statement the rows every delivery of these events reads (the
 * project, the subject and the previous node): the dispatcher's tail primes its page's loaders
 * with them (src/events/tail.ts). As a second read they cost the page a round trip, on the path
 * from every commit to every subscriber.
 */
export async function eventsInRangeWithRows(tx: Tx, args: RangeArgs): Promise<{ events: StoredEvent[]; rows: EventPageRows }> {
  const records = await tx.run(pinned(rangeQuery(true)), rangeParams(args));
  const rows: EventPageRows = { projects: new Map(), nodes: new Map() };
  const events = records.map((r) => {
    const event = storedEvent(r);
    const project = r.get('project') as Record<string, unknown> | null;
    if (project && !rows.projects.has(event.projectId)) rows.projects.set(event.projectId, rowOf<ProjectRow>('Project', project));
    for (const [column, id] of [['subject', event.subjectId], ['previous', event.previousId]] as const) {
      const found = r.get(column) as { label: LineageLabel; row: Record<string, unknown> } | null;
      if (found && id !== null) rows.nodes.set(id, { label: found.label, row: rowOf(found.label, found.row) });
    }
    return event;
  });
  return { events, rows };
}

interface RangeArgs {
  readonly after: number;
  readonly through: number;
  readonly limit: number;
  readonly columns?: EventColumns;
  readonly watch?: UpstreamWatch | null;
  readonly internal?: boolean;
}

function rangeQuery(withRows: boolean): string {
  return `MATCH (n:Event) USING INDEX n:Event(seq) WHERE n.seq > $after AND n.seq <= $through + ${EVENT_GROUP_MAX}
       AND coalesce(n.firstSeq, n.seq) <= $through
       AND ($projects IS NULL OR n.projectId IN $projects)
     UNWIND CASE WHEN n.firstSeq IS NULL THEN [0]
       ELSE range(CASE WHEN n.firstSeq > $after THEN 0 ELSE toInteger($after) + 1 - n.firstSeq END,
                  CASE WHEN n.seq <= $through THEN n.count - 1 ELSE toInteger($through) - n.firstSeq END) END AS k
     WITH ${eventAt('n', 'k')} AS e
     WHERE ($kinds IS NULL OR e.kind IN $kinds)
       AND ($names IS NULL OR e.name IN $names)
       AND ($internal OR NOT e.kind IN $internalKinds)
     OPTIONAL MATCH (s:LineageNode {id: e.subjectId}) WHERE e.kind IN $newVersionKinds
     WITH e, s, ${seriesOf('s')} AS series
     WITH e, s, series, s.createdAt.epochMillis AS subjectCreatedMs
     WHERE $watch IS NULL OR (series IS NOT NULL AND NOT s.id IN $watch.closure
       AND $watch.since[series] IS NOT NULL AND subjectCreatedMs >= $watch.since[series])
     ${
       withRows
         ? `WITH e, series, subjectCreatedMs ORDER BY e.seq LIMIT toInteger($limit)
     OPTIONAL MATCH (p:Project {id: e.projectId})
     OPTIONAL MATCH (subject:LineageNode {id: e.subjectId})
     OPTIONAL MATCH (previous:LineageNode {id: e.previousId})
     RETURN e AS event, series, subjectCreatedMs, ${rowProjection('Project', 'p')} AS project,
       ${lineageRowProjection('subject')} AS subject, ${lineageRowProjection('previous')} AS previous
     ORDER BY e.seq`
         : `RETURN e AS event, series, subjectCreatedMs
     ORDER BY e.seq
     LIMIT toInteger($limit)`
     }`;
}

function rangeParams(args: RangeArgs): Record<string, unknown> {
  const columns = args.columns ?? { projects: null, kinds: null, names: null };
  return {
    after: args.after,
    through: args.through,
    limit: args.limit,
    projects: columns.projects,
    kinds: columns.kinds,
    names: columns.names,
    newVersionKinds: NEW_VERSION_KINDS,
    watch: args.watch ?? null,
    internal: args.internal ?? false,
    internalKinds: INTERNAL_EVENT_KINDS,
  };
}

function storedEvent(r: Neo4jRecord): StoredEvent {
  const event = toPlain(r.get('event')) as Omit<StoredEvent, 'series' | 'subjectCreatedMs'>;
  return {
    ...event,
    name: event.name ?? null,
    previousId: event.previousId ?? null,
    alias: event.alias ?? null,
    actor: event.actor ?? null,
    series: (r.get('series') as string | null) ?? null,
    subjectCreatedMs: (r.get('subjectCreatedMs') as number | null) ?? null,
  };
}

/** The project of a lineage node, or null when no lineage node has this id. */
export async function lineageNodeProject(tx: Tx, id: string): Promise<string | null> {
  const [record] = await tx.run('MATCH (n:LineageNode {id: $id}) RETURN n.projectId AS projectId', { id });
  return record ? (record.get('projectId') as string) : null;
}

/**
 * Everything upstream of the node within 50 lineage edges (USED, GENERATED_BY, DERIVED_FROM,
 * DEPLOYS followed forwards), as a watch. `WITH DISTINCT u` right after the var-length
 * pattern lets the planner expand breadth-first visiting each node once
 * (VarLengthExpand(Pruning)), so diamond-shaped lineage is not enumerated path by path.
 */
export async function upstreamWatch(tx: Tx, id: string): Promise<UpstreamWatch> {
  const records = await tx.run(
    `MATCH (:LineageNode {id: $id})-[:USED|GENERATED_BY|DERIVED_FROM|DEPLOYS*1..50]->(u:LineageNode)
     WITH DISTINCT u
     RETURN u.id AS id, ${seriesOf('u')} AS series, u.createdAt.epochMillis AS createdMs`,
    { id },
  );
  const closure: string[] = [];
  const since: Record<string, number> = {};
  for (const r of records) {
    closure.push(r.get('id') as string);
    const series = r.get('series') as string | null;
    const createdMs = r.get('createdMs') as number;
    if (series !== null && !(series in since && since[series]! <= createdMs)) since[series] = createdMs;
  }
  return { closure, since };
}

/**
 * Deletes, in one batch of at most `batch`, events up to the highest seq older than `cutoff`
 * (so the log stays a contiguous suffix of seqs) and records that seq as `events_pruned`.
 * Pending events (no seq yet) are never deleted: they are not part of the log until the
 * sequencer numbers them, and then their seq is above every seq pruned so far.
 * Returns how many were deleted; 0 means nothing is left to prune.
 */
export async function pruneEventsBefore(tx: Tx, cutoffMs: number, batch: number): Promise<number> {
  const [record] = await tx.run(
    `MATCH (old:Event) WHERE old.occurredAt < datetime({epochMillis: toInteger($cutoffMs)}) AND old.seq IS NOT NULL
     WITH max(old.seq) AS through
     WHERE through IS NOT NULL
     MERGE (p:Counter {name: 'events_pruned'}) ON CREATE SET p.value = 0
     SET p.value = CASE WHEN p.value > through THEN p.value ELSE through END
     WITH through
     CALL (through) {
       MATCH (e:Event) WHERE e.seq <= through
       WITH e ORDER BY e.seq LIMIT toInteger($batch)
       DETACH DELETE e
       RETURN count(*) AS deleted
     }
     RETURN deleted`,
    { cutoffMs, batch },
  );
  return record ? (record.get('deleted') as number) : 0;
}
