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
 * its records as parallel lists of what an attempt adds to its event (BatchColumns: seq, state,
 * attempts, status, error, delivery time; lists cannot hold null, so a missing string is '' and
 * a missing number 0). The event's own columns are read from the event log when deliveries are
 * listed; a delivery whose event was pruned is no longer listed. Before this layout every
 * attempt MERGEd its own node, with a copy of the event and three index entries, and at
 * thousands of deliveries a second writing those was most of the gateway's and the database's
 * work; a batch is one node and two index entries for all of a webhook's deliveries of a flush.
 * (:WebhookInstances {name: 'instances'}) lists the delivering gateways and until when each is alive.
 *
 * Lease times use the database's clock (`timestamp()`), one clock for every instance.
 */
import neo4j from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { toPlain } from '../values.ts';
import { eventWithSeq, type StoredEvent } from './events.ts';

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

/** The webhook's properties that hold the delivery of the event it is retrying (absent when none). */
const PENDING_KEYS = ['pendingEventId', 'pendingSeq', 'pendingAttempts', 'pendingStatusCode', 'pendingError', 'pendingFirstAttemptMs', 'pendingNextAttemptMs'] as const;

type PendingProps = Record<(typeof PENDING_KEYS)[number], unknown>;

const NO_PENDING: PendingProps = Object.fromEntries(PENDING_KEYS.map((key) => [key, null])) as PendingProps;

function pendingProps(r: DeliveryRecord): PendingProps {
  return {
    pendingEventId: r.event.id,
    pendingSeq: neo4j.int(r.event.seq),
    pendingAttempts: neo4j.int(r.attempts),
    pendingStatusCode: r.lastStatusCode === null ? null : neo4j.int(r.lastStatusCode),
    pendingError: r.lastError,
    pendingFirstAttemptMs: neo4j.int(r.firstAttemptMs),
    pendingNextAttemptMs: r.nextAttemptMs === null ? null : neo4j.int(r.nextAttemptMs),
  };
}

/** A batch's records as parallel lists, in seq order ('' and 0 stand for null). */
interface BatchColumns {
  readonly seqs: number[];
  readonly states: string[];
  readonly attempts: number[];
  readonly statusCodes: number[];
  readonly errors: string[];
  readonly deliveredAt: number[];
}

function batchColumns(records: readonly DeliveryRecord[]): BatchColumns {
  const sorted = [...records].sort((a, b) => a.event.seq - b.event.seq);
  return {
    seqs: sorted.map((r) => r.event.seq),
    states: sorted.map((r) => r.state),
    attempts: sorted.map((r) => r.attempts),
    statusCodes: sorted.map((r) => r.lastStatusCode ?? 0),
    errors: sorted.map((r) => r.lastError ?? ''),
    deliveredAt: sorted.map((r) => r.deliveredMs ?? 0),
  };
}

/** A delivery as deliveriesOf's statement returns it: the attempt's columns and the event node's properties. */
interface DeliveryColumns {
  readonly state: string;
  readonly attempts: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly deliveredAt: number | null;
  readonly nextAttemptAt: number | null;
  readonly event: Omit<StoredEvent, 'series' | 'subjectCreatedMs'>;
}

function deliveryRow(webhookId: string, d: DeliveryColumns): WebhookDeliveryRow {
  const e = d.event;
  return {
    id: e.id,
    webhookId,
    event: { ...e, name: e.name ?? null, previousId: e.previousId ?? null, alias: e.alias ?? null, actor: e.actor ?? null, series: null, subjectCreatedMs: null },
    state: d.state as WebhookDeliveryState,
    attempts: d.attempts,
    lastStatusCode: d.statusCode || null,
    lastError: d.error || null,
    deliveredAt: d.deliveredAt ? new Date(d.deliveredAt) : null,
    nextAttemptAt: d.nextAttemptAt ? new Date(d.nextAttemptAt) : null,
  };
}

/**
 * The deliveries of each of `webhookIds`, newest (highest seq) first, at most `first` each: one
 * statement for every webhook of a page (the webhookDeliveries loader), in the order given. The
 * event being retried, if any, is the newest; then the finished ones from the newest `first`
 * batches (each holds at least one), a delivery recorded twice (a gateway that lost its lease,
 * then the next holder) shown once, as last written. Each joins its event by seq.
 */
export async function deliveriesOf(tx: Tx, webhookIds: readonly string[], first: number): Promise<WebhookDeliveryRow[][]> {
  const records = await tx.run(
    `UNWIND range(0, size($ids) - 1) AS i
     OPTIONAL MATCH (w:Webhook {id: $ids[i]})
     WITH i, w, CASE WHEN w.pendingSeq > w.cursor THEN w.pendingSeq END AS pendingSeq
     OPTIONAL CALL (pendingSeq) {
       WITH pendingSeq WHERE pendingSeq IS NOT NULL
       ${eventWithSeq('pendingSeq', 'event')}
       RETURN event
     }
     WITH i, CASE WHEN event IS NULL THEN [] ELSE [{state: 'PENDING', attempts: w.pendingAttempts, statusCode: w.pendingStatusCode,
       error: w.pendingError, nextAttemptAt: w.pendingNextAttemptMs, event: event}] END AS pending
     CALL (i) {
       MATCH (b:WebhookDeliveryBatch {webhookId: $ids[i]}) WHERE b.maxSeq IS NOT NULL
       WITH b ORDER BY b.maxSeq DESC LIMIT $first
       UNWIND range(0, size(b.seqs) - 1) AS k
       WITH b, k ORDER BY b.writtenAt DESC
       WITH b.seqs[k] AS seq, head(collect({state: b.states[k], attempts: b.attempts[k], statusCode: b.statusCodes[k], error: b.errors[k], deliveredAt: b.deliveredAt[k]})) AS d
       ORDER BY seq DESC LIMIT $first
       ${eventWithSeq('seq', 'event')}
       RETURN collect(d {.*, event: event}) AS finished
     }
     RETURN i, pending, finished`,
    { ids: webhookIds, first: neo4j.int(first) },
  );
  const pages: WebhookDeliveryRow[][] = webhookIds.map(() => []);
  for (const r of records) {
    const i = Number(r.get('i'));
    const webhookId = webhookIds[i]!;
    const rows = [...(toPlain(r.get('pending')) as DeliveryColumns[]), ...(toPlain(r.get('finished')) as DeliveryColumns[])].map((d) => deliveryRow(webhookId, d));
    pages[i] = rows.filter((row, k) => rows.findIndex((other) => other.id === row.id) === k).slice(0, first);
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
      batch: finished.length === 0 ? null : batchColumns(finished),
      cursor: finished.length === 0 ? null : Math.max(...finished.map((r) => r.event.seq)),
      pending: last.done ? NO_PENDING : pendingProps(last),
    };
  });
  await tx.run(
    `UNWIND $hooks AS h
     CALL (h) {
       WITH h.batch AS b WHERE b IS NOT NULL
       CREATE (d:WebhookDeliveryBatch {
         webhookId: h.webhookId, writtenAt: datetime(), minSeq: toInteger(b.seqs[0]), maxSeq: toInteger(b.seqs[-1]),
         seqs: [x IN b.seqs | toInteger(x)], states: b.states, attempts: [x IN b.attempts | toInteger(x)],
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
  const [record] = await tx.run(
    `MATCH (w:Webhook {id: $webhookId}) WHERE w.pendingSeq > $after
     RETURN w.pendingEventId AS eventId, w.pendingAttempts AS attempts, w.pendingFirstAttemptMs AS firstAttemptMs, w.pendingNextAttemptMs AS nextAttemptMs`,
    { webhookId, after },
  );
  if (!record) return null;
  return {
    eventId: record.get('eventId') as string,
    attempts: record.get('attempts') as number,
    firstAttemptMs: record.get('firstAttemptMs') as number,
    nextAttemptMs: (record.get('nextAttemptMs') as number | null) ?? null,
  };
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
