/**
 * Webhooks (src/events/webhooks/): the endpoints, their delivery records, and the leases that
 * let one gateway at a time deliver each webhook.
 *
 * (:Webhook) holds the endpoint, its filters, its signing secret (as stored: see
 * src/events/webhooks/secrets.ts), `cursor` (the seq of the last event handled: delivered,
 * failed for good, or filtered out) and the lease (`leaseOwner`, a gateway instance id, and
 * `leaseUntil`, epoch ms of the database clock). A webhook retries one event at a time (later
 * events wait behind it), so the state of that event's delivery is a set of `pending*`
 * properties on the webhook itself (PENDING_KEYS), overwritten by each attempt and removed when
 * the event is done.
 *
 * Finished deliveries are written compactly: one (:WebhookDeliveryBatch) per webhook and flush,
 * its records as parallel lists (BatchColumns) with a copy of each event's columns, so a
 * delivery outlives the event's retention. Before this layout every attempt MERGEd its own node
 * with three index entries, and at thousands of deliveries a second those writes were most of
 * the database's work; a batch is one node and two index entries for all of a webhook's
 * deliveries of a flush. Lists cannot hold null, so a missing string is '' and a missing number 0.
 * (:WebhookInstances {name: 'instances'}) lists the delivering gateways and until when each is alive.
 *
 * Lease times use the database's clock (`timestamp()`), one clock for every instance.
 */
import neo4j from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { toPlain } from '../values.ts';
import type { StoredEvent } from './events.ts';

export type WebhookDeliveryState = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface WebhookRow {
  readonly id: string;
  readonly projectId: string;
  readonly url: string;
  readonly kinds: readonly string[] | null;
  readonly names: readonly string[] | null;
  readonly active: boolean;
  readonly createdAt: Date;
  readonly createdBy: string | null;
}

export interface WebhookDeliveryRow {
  /** The event's id (the webhook-id header). */
  readonly id: string;
  readonly webhookId: string;
  readonly event: StoredEvent;
  readonly state: WebhookDeliveryState;
  readonly attempts: number;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: Date | null;
  readonly nextAttemptAt: Date | null;
}

/** What the gateway that holds a webhook's lease needs to deliver it. */
export interface HeldWebhook {
  readonly id: string;
  readonly projectId: string;
  readonly url: string;
  readonly kinds: readonly string[] | null;
  readonly names: readonly string[] | null;
  /** The secret as stored (plain `whsec_...` or sealed). */
  readonly secret: string;
  readonly cursor: number;
}

/** One delivery record to write: the event's columns, the state after an attempt, and whether the cursor moves past it. */
export interface DeliveryRecord {
  readonly webhookId: string;
  readonly event: StoredEvent;
  readonly state: WebhookDeliveryState;
  readonly attempts: number;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly firstAttemptMs: number;
  readonly deliveredMs: number | null;
  readonly nextAttemptMs: number | null;
  /** True once the event is done with (delivered or failed for good): the cursor may pass it. */
  readonly done: boolean;
}

const WEBHOOK_FIELDS = 'w {.id, .projectId, .url, .kinds, .names, .active, .createdAt, .createdBy} AS webhook';

function webhookRow(value: unknown): WebhookRow {
  const row = toPlain(value) as WebhookRow;
  return { ...row, kinds: row.kinds ?? null, names: row.names ?? null, createdBy: row.createdBy ?? null };
}

/**
 * Creates the webhook with its cursor at the event log's head: it receives the events
 * sequenced after its creation.
 */
export async function createWebhook(
  tx: Tx,
  input: { id: string; projectId: string; url: string; kinds: readonly string[] | null; names: readonly string[] | null; secret: string; createdBy: string | null },
): Promise<WebhookRow> {
  const [record] = await tx.run(
    `OPTIONAL MATCH (c:Counter {name: 'events'})
     CREATE (w:Webhook {
       id: $id, projectId: $projectId, url: $url, kinds: $kinds, names: $names, secret: $secret, active: true,
       createdAt: datetime(), createdBy: $createdBy, cursor: coalesce(c.value, 0), leaseOwner: null, leaseUntil: 0
     })
     RETURN ${WEBHOOK_FIELDS}`,
    input,
  );
  return webhookRow(record!.get('webhook'));
}

export async function webhookById(tx: Tx, id: string): Promise<WebhookRow | null> {
  const [record] = await tx.run(`MATCH (w:Webhook {id: $id}) RETURN ${WEBHOOK_FIELDS}`, { id });
  return record ? webhookRow(record.get('webhook')) : null;
}

/** The project's webhooks, oldest first. */
export async function webhooksOfProject(tx: Tx, projectId: string): Promise<WebhookRow[]> {
  const records = await tx.run(`MATCH (w:Webhook {projectId: $projectId}) RETURN ${WEBHOOK_FIELDS} ORDER BY w.createdAt, w.id`, { projectId });
  return records.map((r) => webhookRow(r.get('webhook')));
}

/** Turns delivery on or off; the holder of its lease stops at its next renewal (the claim requires `active`). */
export async function setWebhookActive(tx: Tx, id: string, active: boolean): Promise<WebhookRow> {
  const [record] = await tx.run(`MATCH (w:Webhook {id: $id}) SET w.active = $active RETURN ${WEBHOOK_FIELDS}`, { id, active });
  return webhookRow(record!.get('webhook'));
}

/** Deletes the webhook and its delivery records; false when there was none. */
export async function deleteWebhook(tx: Tx, id: string): Promise<boolean> {
  const [record] = await tx.run(
    `OPTIONAL MATCH (w:Webhook {id: $id})
     CALL (w) {
       OPTIONAL MATCH (b:WebhookDeliveryBatch {webhookId: $id}) WHERE w IS NOT NULL AND b.maxSeq IS NOT NULL
       DETACH DELETE b
     }
     WITH w, w IS NOT NULL AS found
     DETACH DELETE w
     RETURN found`,
    { id },
  );
  return record?.get('found') === true;
}

/** The webhook's properties that hold the delivery of the event it is retrying (null when none). */
const PENDING_KEYS = [
  'pendingEventId',
  'pendingSeq',
  'pendingKind',
  'pendingSubjectId',
  'pendingName',
  'pendingPreviousId',
  'pendingAlias',
  'pendingActor',
  'pendingOccurredAt',
  'pendingAttempts',
  'pendingStatusCode',
  'pendingError',
  'pendingFirstAttemptMs',
  'pendingNextAttemptMs',
] as const;

type PendingProps = Record<(typeof PENDING_KEYS)[number], unknown>;

const PENDING_PROJECTION = `w {.projectId, .cursor, ${PENDING_KEYS.map((key) => `.${key}`).join(', ')}}`;

const NO_PENDING: PendingProps = Object.fromEntries(PENDING_KEYS.map((key) => [key, null])) as PendingProps;

function pendingProps(r: DeliveryRecord): PendingProps {
  const e = r.event;
  return {
    pendingEventId: e.id,
    pendingSeq: neo4j.int(e.seq),
    pendingKind: e.kind,
    pendingSubjectId: e.subjectId,
    pendingName: e.name,
    pendingPreviousId: e.previousId,
    pendingAlias: e.alias,
    pendingActor: e.actor,
    pendingOccurredAt: neo4j.int(e.occurredAt.getTime()),
    pendingAttempts: neo4j.int(r.attempts),
    pendingStatusCode: r.lastStatusCode === null ? null : neo4j.int(r.lastStatusCode),
    pendingError: r.lastError,
    pendingFirstAttemptMs: neo4j.int(r.firstAttemptMs),
    pendingNextAttemptMs: r.nextAttemptMs === null ? null : neo4j.int(r.nextAttemptMs),
  };
}

/** The delivery a webhook is retrying, from its `pending*` properties, when it is after its cursor. */
function pendingRow(webhookId: string, w: Record<string, unknown>): (WebhookDeliveryRow & { firstAttemptMs: number }) | null {
  if (w['pendingEventId'] == null || !((w['pendingSeq'] as number) > (w['cursor'] as number))) return null;
  const nextAttemptMs = (w['pendingNextAttemptMs'] as number | null) ?? null;
  return {
    id: w['pendingEventId'] as string,
    webhookId,
    event: {
      seq: w['pendingSeq'] as number,
      id: w['pendingEventId'] as string,
      kind: w['pendingKind'] as string,
      projectId: w['projectId'] as string,
      subjectId: w['pendingSubjectId'] as string,
      name: (w['pendingName'] as string | null) ?? null,
      previousId: (w['pendingPreviousId'] as string | null) ?? null,
      alias: (w['pendingAlias'] as string | null) ?? null,
      actor: (w['pendingActor'] as string | null) ?? null,
      occurredAt: new Date(w['pendingOccurredAt'] as number),
      series: null,
      subjectCreatedMs: null,
    },
    state: 'PENDING',
    attempts: w['pendingAttempts'] as number,
    lastStatusCode: (w['pendingStatusCode'] as number | null) ?? null,
    lastError: (w['pendingError'] as string | null) ?? null,
    deliveredAt: null,
    nextAttemptAt: nextAttemptMs === null ? null : new Date(nextAttemptMs),
    firstAttemptMs: w['pendingFirstAttemptMs'] as number,
  };
}

/** A batch's records as parallel lists, in seq order ('' and 0 stand for null). */
interface BatchColumns {
  readonly eventIds: string[];
  readonly seqs: number[];
  readonly kinds: string[];
  readonly subjectIds: string[];
  readonly names: string[];
  readonly previousIds: string[];
  readonly aliases: string[];
  readonly actors: string[];
  readonly occurredAt: number[];
  readonly states: string[];
  readonly attempts: number[];
  readonly statusCodes: number[];
  readonly errors: string[];
  readonly deliveredAt: number[];
}

function batchColumns(records: readonly DeliveryRecord[]): BatchColumns {
  const sorted = [...records].sort((a, b) => a.event.seq - b.event.seq);
  const column = <T>(of: (r: DeliveryRecord) => T) => sorted.map(of);
  return {
    eventIds: column((r) => r.event.id),
    seqs: column((r) => r.event.seq),
    kinds: column((r) => r.event.kind),
    subjectIds: column((r) => r.event.subjectId),
    names: column((r) => r.event.name ?? ''),
    previousIds: column((r) => r.event.previousId ?? ''),
    aliases: column((r) => r.event.alias ?? ''),
    actors: column((r) => r.event.actor ?? ''),
    occurredAt: column((r) => r.event.occurredAt.getTime()),
    states: column((r) => r.state),
    attempts: column((r) => r.attempts),
    statusCodes: column((r) => r.lastStatusCode ?? 0),
    errors: column((r) => r.lastError ?? ''),
    deliveredAt: column((r) => r.deliveredMs ?? 0),
  };
}

function batchRows(webhookId: string, b: BatchColumns & { projectId: string }): WebhookDeliveryRow[] {
  return b.eventIds.map((id, i) => ({
    id,
    webhookId,
    event: {
      seq: b.seqs[i]!,
      id,
      kind: b.kinds[i]!,
      projectId: b.projectId,
      subjectId: b.subjectIds[i]!,
      name: b.names[i] || null,
      previousId: b.previousIds[i] || null,
      alias: b.aliases[i] || null,
      actor: b.actors[i] || null,
      occurredAt: new Date(b.occurredAt[i]!),
      series: null,
      subjectCreatedMs: null,
    },
    state: b.states[i] as WebhookDeliveryState,
    attempts: b.attempts[i]!,
    lastStatusCode: b.statusCodes[i] || null,
    lastError: b.errors[i] || null,
    deliveredAt: b.deliveredAt[i] ? new Date(b.deliveredAt[i]!) : null,
    nextAttemptAt: null,
  }));
}

/**
 * The deliveries of each of `webhookIds`, newest (highest seq) first, at most `first` each: one
 * statement for every webhook of a page (the webhookDeliveries loader), in the order given. The
 * event being retried, if any, is the newest; then the finished ones from the newest `first`
 * batches (each holds at least one).
 */
export async function deliveriesOf(tx: Tx, webhookIds: readonly string[], first: number): Promise<WebhookDeliveryRow[][]> {
  const records = await tx.run(
    `UNWIND range(0, size($ids) - 1) AS i
     OPTIONAL MATCH (w:Webhook {id: $ids[i]})
     CALL (i) {
       MATCH (b:WebhookDeliveryBatch {webhookId: $ids[i]}) WHERE b.maxSeq IS NOT NULL
       WITH b ORDER BY b.maxSeq DESC LIMIT $first
       RETURN collect(b {.*}) AS batches
     }
     RETURN i, ${PENDING_PROJECTION} AS w, batches`,
    { ids: webhookIds, first: neo4j.int(first) },
  );
  const pages: WebhookDeliveryRow[][] = webhookIds.map(() => []);
  for (const r of records) {
    const i = Number(r.get('i'));
    const webhookId = webhookIds[i]!;
    const w = r.get('w') === null ? null : (toPlain(r.get('w')) as Record<string, unknown>);
    const pending = w ? pendingRow(webhookId, w) : null;
    const seen = new Set<string>();
    const rows: WebhookDeliveryRow[] = [];
    if (pending) {
      const { firstAttemptMs: _, ...row } = pending;
      rows.push(row);
      seen.add(row.id);
    }
    const finished = (toPlain(r.get('batches')) as (BatchColumns & { projectId: string })[]).flatMap((b) => batchRows(webhookId, b));
    // A delivery recorded twice (a gateway that lost its lease, and the next holder) shows once.
    for (const row of finished.sort((a, b) => b.event.seq - a.event.seq)) {
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      rows.push(row);
    }
    pages[i] = rows.slice(0, first);
  }
  return pages;
}

/**
 * The gateway's heartbeat, in one statement: records on the instances node (V027) that instance
 * `me` is alive for `leaseMs`, drops the instances whose time has passed, and returns the live
 * instances and every webhook's lease. The first SET takes the node's lock before its lists are
 * read, so two instances beating at once do not lose each other's entry (the pattern of
 * sequencePending in events.ts).
 */
export async function heartbeat(
  tx: Tx,
  me: string,
  leaseMs: number,
): Promise<{ live: string[]; webhooks: { id: string; active: boolean; leaseOwner: string | null; leaseUntil: number }[] }> {
  const [record] = await tx.run(
    `MATCH (r:WebhookInstances {name: 'instances'})
     SET r.beats = coalesce(r.beats, 0) + 1
     WITH r, timestamp() AS now
     WITH r, now, [i IN range(0, size(r.ids) - 1) WHERE r.ids[i] <> $me AND r.aliveUntil[i] > now] AS keep
     SET r.ids = [i IN keep | r.ids[i]] + $me, r.aliveUntil = [i IN keep | r.aliveUntil[i]] + (now + toInteger($leaseMs))
     WITH r
     CALL () {
       MATCH (w:Webhook)
       RETURN collect(w {.id, .active, .leaseOwner, .leaseUntil}) AS webhooks
     }
     RETURN r.ids AS live, webhooks`,
    { me, leaseMs },
  );
  if (!record) throw new Error('the webhook instances node is missing (migration V027 creates it)');
  const webhooks = (record.get('webhooks') as Record<string, unknown>[]).map((w) => ({
    id: w['id'] as string,
    active: w['active'] === true,
    leaseOwner: (w['leaseOwner'] as string | null) ?? null,
    leaseUntil: (w['leaseUntil'] as number | null) ?? 0,
  }));
  return { live: record.get('live') as string[], webhooks };
}

/**
 * Takes or renews the lease of each active webhook in `ids` that is free, expired or already
 * ours, until `leaseMs` from now (database clock); returns the ones `me` now holds. A webhook
 * held by a live lease of another instance is left alone.
 */
export async function claimWebhooks(tx: Tx, me: string, ids: readonly string[], leaseMs: number): Promise<HeldWebhook[]> {
  if (ids.length === 0) return [];
  const records = await tx.run(
    `WITH timestamp() AS now
     UNWIND $ids AS id
     MATCH (w:Webhook {id: id})
     WHERE w.active AND (w.leaseOwner IS NULL OR w.leaseOwner = $me OR w.leaseUntil <= now)
     SET w.leaseOwner = $me, w.leaseUntil = now + toInteger($leaseMs)
     RETURN w {.id, .projectId, .url, .kinds, .names, .secret, .cursor} AS held`,
    { me, ids, leaseMs },
  );
  return records.map((r) => {
    const held = toPlain(r.get('held')) as HeldWebhook;
    return { ...held, kinds: held.kinds ?? null, names: held.names ?? null };
  });
}

/** Gives up `me`'s leases on `ids` (all of them when `ids` is null), and with `leave` its heartbeat too. */
export async function releaseWebhooks(tx: Tx, me: string, ids: readonly string[] | null, leave = false): Promise<void> {
  await tx.run(
    `CALL () {
       MATCH (w:Webhook) WHERE w.leaseOwner = $me AND ($ids IS NULL OR w.id IN $ids)
       SET w.leaseOwner = null, w.leaseUntil = 0
     }
     CALL () {
       MATCH (r:WebhookInstances {name: 'instances'}) WHERE $leave
       SET r.beats = coalesce(r.beats, 0) + 1
       WITH r, [i IN range(0, size(r.ids) - 1) WHERE r.ids[i] <> $me] AS keep
       SET r.ids = [i IN keep | r.ids[i]], r.aliveUntil = [i IN keep | r.aliveUntil[i]]
     }`,
    { me, ids, leave },
  );
}

/**
 * Writes delivery records, in one statement for the whole flush: per webhook, its finished
 * records as one batch node, and, while `me` holds its lease, the cursor moved past the last
 * finished event and the `pending*` properties set to its last record when that one is still
 * PENDING (removed otherwise). A gateway that lost the lease records what it did but moves
 * nothing. With `deactivate`, the webhooks of those records are turned off and released
 * (410 Gone).
 */
export async function recordDeliveries(tx: Tx, me: string, records: readonly DeliveryRecord[], deactivate = false): Promise<void> {
  if (records.length === 0) return;
  const hooks = [...Map.groupBy(records, (r) => r.webhookId)].map(([webhookId, ofHook]) => {
    const finished = ofHook.filter((r) => r.done);
    const last = ofHook.at(-1)!;
    return {
      webhookId,
      batch: finished.length === 0 ? null : { projectId: last.event.projectId, ...batchColumns(finished) },
      cursor: finished.length === 0 ? null : Math.max(...finished.map((r) => r.event.seq)),
      pending: last.done ? NO_PENDING : pendingProps(last),
    };
  });
  await tx.run(
    `UNWIND $hooks AS h
     CALL (h) {
       WITH h.batch AS b WHERE b IS NOT NULL
       CREATE (d:WebhookDeliveryBatch {
         webhookId: h.webhookId, projectId: b.projectId, writtenAt: datetime(),
         minSeq: toInteger(b.seqs[0]), maxSeq: toInteger(b.seqs[-1]),
         eventIds: b.eventIds, seqs: [x IN b.seqs | toInteger(x)], kinds: b.kinds, subjectIds: b.subjectIds,
         names: b.names, previousIds: b.previousIds, aliases: b.aliases, actors: b.actors,
         occurredAt: [x IN b.occurredAt | toInteger(x)], states: b.states, attempts: [x IN b.attempts | toInteger(x)],
         statusCodes: [x IN b.statusCodes | toInteger(x)], errors: b.errors, deliveredAt: [x IN b.deliveredAt | toInteger(x)]
       })
     }
     CALL (h) {
       MATCH (w:Webhook {id: h.webhookId}) WHERE w.leaseOwner = $me
       SET w += h.pending,
         w.cursor = CASE WHEN h.cursor IS NOT NULL AND w.cursor < h.cursor THEN toInteger(h.cursor) ELSE w.cursor END
       FOREACH (_ IN CASE WHEN $deactivate THEN [1] ELSE [] END |
         SET w.active = false, w.leaseOwner = null, w.leaseUntil = 0)
     }`,
    { me, hooks, deactivate },
  );
}

/** Moves the cursor (events that were filtered out or pruned), while `me` holds the lease. */
export async function moveCursor(tx: Tx, me: string, webhookId: string, seq: number): Promise<void> {
  await tx.run(
    `MATCH (w:Webhook {id: $webhookId}) WHERE w.leaseOwner = $me AND w.cursor < $seq
     SET w.cursor = toInteger($seq)`,
    { me, webhookId, seq },
  );
}

/** The webhook's unfinished delivery after `after`, if an earlier holder left one: its attempts continue. */
export async function pendingDelivery(
  tx: Tx,
  webhookId: string,
  after: number,
): Promise<{ eventId: string; attempts: number; firstAttemptMs: number; nextAttemptMs: number | null } | null> {
  const [record] = await tx.run(`MATCH (w:Webhook {id: $webhookId}) RETURN ${PENDING_PROJECTION} AS w`, { webhookId });
  if (!record) return null;
  const w = toPlain(record.get('w')) as Record<string, unknown>;
  const pending = pendingRow(webhookId, { ...w, cursor: after });
  if (!pending) return null;
  return { eventId: pending.id, attempts: pending.attempts, firstAttemptMs: pending.firstAttemptMs, nextAttemptMs: pending.nextAttemptAt?.getTime() ?? null };
}

/** Deletes up to `batch` delivery batches written before `cutoffMs`; returns how many. */
export async function pruneDeliveries(tx: Tx, cutoffMs: number, batch: number): Promise<number> {
  const [record] = await tx.run(
    `MATCH (b:WebhookDeliveryBatch) WHERE b.writtenAt < datetime({epochMillis: toInteger($cutoffMs)})
     WITH b LIMIT toInteger($batch)
     DETACH DELETE b
     RETURN count(*) AS deleted`,
    { cutoffMs, batch },
  );
  return (record?.get('deleted') as number | undefined) ?? 0;
}
