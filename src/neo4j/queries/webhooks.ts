/**
 * Webhooks (src/events/webhooks/): the endpoints, their delivery records, and the leases that
 * let one gateway at a time deliver each webhook.
 *
 * (:Webhook) holds the endpoint, its filters, its signing secret (as stored: see
 * src/events/webhooks/secrets.ts), `cursor` (the seq of the last event handled: delivered,
 * failed for good, or filtered out) and the lease (`leaseOwner`, a gateway instance id, and
 * `leaseUntil`, epoch ms of the database clock). (:WebhookDelivery) is keyed by (webhookId,
 * eventId) and keeps a copy of the event's columns, so a delivery outlives the event's retention.
 * (:WebhookInstances {name: 'instances'}) lists the delivering gateways and until when each is alive.
 *
 * Lease times use the database's clock (`timestamp()`), one clock for every instance.
 */
import neo4j from 'neo4j-driver';
import type { Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { nodeRow, toPlain } from '../values.ts';
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
       OPTIONAL MATCH (d:WebhookDelivery {webhookId: $id}) WHERE w IS NOT NULL
       DETACH DELETE d
     }
     WITH w, w IS NOT NULL AS found
     DETACH DELETE w
     RETURN found`,
    { id },
  );
  return record?.get('found') === true;
}

/**
 * The delivery records of each of `webhookIds`, newest (highest seq) first, at most `first` each:
 * one statement for every webhook of a page (the webhookDeliveries loader), in the order given.
 */
export async function deliveriesOf(tx: Tx, webhookIds: readonly string[], first: number): Promise<WebhookDeliveryRow[][]> {
  const records = await tx.run(
    `UNWIND range(0, size($ids) - 1) AS i
     CALL (i) {
       MATCH (d:WebhookDelivery {webhookId: $ids[i]}) WHERE d.seq IS NOT NULL
       RETURN d ORDER BY d.seq DESC LIMIT $first
     }
     RETURN i, d`,
    { ids: webhookIds, first: neo4j.int(first) },
  );
  const pages: WebhookDeliveryRow[][] = webhookIds.map(() => []);
  for (const r of records) {
    const d = nodeRow<Record<string, unknown>>(r.get('d') as Node);
    const event: StoredEvent = {
      seq: d['seq'] as number,
      id: d['eventId'] as string,
      kind: d['kind'] as string,
      projectId: d['projectId'] as string,
      subjectId: d['subjectId'] as string,
      name: (d['name'] as string | null) ?? null,
      previousId: (d['previousId'] as string | null) ?? null,
      alias: (d['alias'] as string | null) ?? null,
      actor: (d['actor'] as string | null) ?? null,
      occurredAt: d['occurredAt'] as Date,
      series: null,
      subjectCreatedMs: null,
    };
    pages[Number(r.get('i'))]!.push({
      id: event.id,
      webhookId: d['webhookId'] as string,
      event,
      state: d['state'] as WebhookDeliveryState,
      attempts: d['attempts'] as number,
      lastStatusCode: (d['lastStatusCode'] as number | null) ?? null,
      lastError: (d['lastError'] as string | null) ?? null,
      deliveredAt: (d['deliveredAt'] as Date | null) ?? null,
      nextAttemptAt: (d['nextAttemptAt'] as Date | null) ?? null,
    });
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
 * Writes delivery records in order and moves each webhook's cursor past the last event that is
 * done, only while `me` holds its lease (a gateway that lost the lease records what it did but
 * no longer moves the cursor). With `deactivate`, the webhooks of those records are turned off
 * and released (410 Gone).
 */
export async function recordDeliveries(tx: Tx, me: string, records: readonly DeliveryRecord[], deactivate = false): Promise<void> {
  if (records.length === 0) return;
  const rows = records.map((r) => ({
    webhookId: r.webhookId,
    eventId: r.event.id,
    seq: r.event.seq,
    kind: r.event.kind,
    projectId: r.event.projectId,
    subjectId: r.event.subjectId,
    name: r.event.name,
    previousId: r.event.previousId,
    alias: r.event.alias,
    actor: r.event.actor,
    occurredAtMs: r.event.occurredAt.getTime(),
    state: r.state,
    attempts: r.attempts,
    lastStatusCode: r.lastStatusCode,
    lastError: r.lastError,
    firstAttemptMs: r.firstAttemptMs,
    deliveredMs: r.deliveredMs,
    nextAttemptMs: r.nextAttemptMs,
    done: r.done,
  }));
  // One cursor move per webhook (its highest finished seq), not one per record.
  const cursors = new Map<string, number>();
  for (const r of records) if (r.done) cursors.set(r.webhookId, Math.max(cursors.get(r.webhookId) ?? -1, r.event.seq));
  await tx.run(
    `CALL () {
       UNWIND $rows AS r
       MERGE (d:WebhookDelivery {webhookId: r.webhookId, eventId: r.eventId})
       ON CREATE SET d.seq = toInteger(r.seq), d.kind = r.kind, d.projectId = r.projectId, d.subjectId = r.subjectId, d.name = r.name,
         d.previousId = r.previousId, d.alias = r.alias, d.actor = r.actor, d.occurredAt = datetime({epochMillis: toInteger(r.occurredAtMs)})
       SET d.state = r.state, d.attempts = toInteger(r.attempts), d.lastStatusCode = toInteger(r.lastStatusCode), d.lastError = r.lastError,
         d.firstAttemptAt = datetime({epochMillis: toInteger(r.firstAttemptMs)}),
         d.deliveredAt = CASE WHEN r.deliveredMs IS NULL THEN null ELSE datetime({epochMillis: toInteger(r.deliveredMs)}) END,
         d.nextAttemptAt = CASE WHEN r.nextAttemptMs IS NULL THEN null ELSE datetime({epochMillis: toInteger(r.nextAttemptMs)}) END,
         d.updatedAt = datetime()
     }
     UNWIND $cursors AS c
     MATCH (w:Webhook {id: c.webhookId}) WHERE w.leaseOwner = $me
     SET w.cursor = CASE WHEN w.cursor < c.seq THEN toInteger(c.seq) ELSE w.cursor END
     FOREACH (_ IN CASE WHEN $deactivate THEN [1] ELSE [] END |
       SET w.active = false, w.leaseOwner = null, w.leaseUntil = 0)`,
    { me, rows, cursors: [...cursors].map(([webhookId, seq]) => ({ webhookId, seq })), deactivate },
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

/** The webhook's unfinished delivery after its cursor, if an earlier holder left one: its attempts continue. */
export async function pendingDelivery(
  tx: Tx,
  webhookId: string,
  after: number,
): Promise<{ eventId: string; attempts: number; firstAttemptMs: number; nextAttemptMs: number | null } | null> {
  const [record] = await tx.run(
    `MATCH (d:WebhookDelivery {webhookId: $webhookId}) WHERE d.seq > $after AND d.state = 'PENDING'
     RETURN d.eventId AS eventId, d.attempts AS attempts, d.firstAttemptAt.epochMillis AS firstAttemptMs,
       d.nextAttemptAt.epochMillis AS nextAttemptMs
     ORDER BY d.seq LIMIT 1`,
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

/** Deletes up to `batch` finished delivery records last written before `cutoffMs`; returns how many. */
export async function pruneDeliveries(tx: Tx, cutoffMs: number, batch: number): Promise<number> {
  const [record] = await tx.run(
    `MATCH (d:WebhookDelivery) WHERE d.updatedAt < datetime({epochMillis: toInteger($cutoffMs)}) AND d.state <> 'PENDING'
     WITH d LIMIT toInteger($batch)
     DETACH DELETE d
     RETURN count(*) AS deleted`,
    { cutoffMs, batch },
  );
  return (record?.get('deleted') as number | undefined) ?? 0;
}
