/**
 * Webhook delivery in one gateway process: which webhooks this process
 * delivers (leases), one worker per held webhook (worker.ts), and the batched writes of
 * delivery records and cursors.
 *
 * Leases. Every third of `leaseMs` the process writes its heartbeat (:WebhookInstances) and
 * reads every webhook's lease. Each active webhook belongs to one live instance, chosen by
 * rendezvous hashing over the live instances (the highest sha256(instance, webhook)), so the
 * instances share the webhooks out without talking to each other, and when one joins or dies
 * only its share moves. The process claims (or renews) the webhooks that prefer it, up to
 * `maxPerInstance`; a claim succeeds only on a webhook whose lease is free, expired or its own,
 * so one process at a time delivers a webhook. A webhook that prefers another instance is
 * handed over: its worker finishes the attempt in flight, its records are written, and then the
 * lease is released for the other instance to claim at its next renewal. When a process dies
 * its leases and heartbeat expire after `leaseMs`, and the survivors take its webhooks over
 * from their cursors in Neo4j: at least once, the events sent but not yet recorded are sent
 * again with the same webhook-id. A worker sends nothing once its lease may have expired
 * (local clock, with a sixth of `leaseMs` to spare); a deleted or deactivated webhook stops at
 * the next renewal.
 *
 * Records. Workers queue a record per attempt; they are written together every FLUSH_MS in one
 * statement: per webhook one batch node of its finished deliveries, and (only while this process
 * holds its lease) its cursor moved past them and the state of the event it is retrying
 * (src/neo4j/queries/webhooks.ts). Sending the next event does not wait for that write, so a
 * receiver's latency is not the database's; a crash loses at most the last FLUSH_MS of records,
 * whose events are then delivered again.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebhooksConfig } from '../../config.ts';
import type { Executor } from '../../neo4j/executor.ts';
import { eventLogBounds } from '../../neo4j/queries/events.ts';
import {
  claimWebhooks,
  heartbeat,
  moveCursor,
  pendingDelivery,
  pruneDeliveries,
  recordDeliveries,
  releaseWebhooks,
  type DeliveryRecord,
  type HeldWebhook,
} from '../../neo4j/queries/webhooks.ts';
import type { Dispatcher } from '../dispatcher.ts';
import { eventType } from './policy.ts';
import { openSecret } from './secrets.ts';
import { createSender } from './send.ts';
import { runWorker, type EventDelivery } from './worker.ts';

/** How often queued delivery records are written, in ms. */
const FLUSH_MS = 50;
/** How often delivery batches older than the event retention are deleted, in ms. */
const PRUNE_EVERY_MS = 3_600_000;
const PRUNE_BATCH = 10_000;
/** Event bodies kept, by event id: every webhook of a project sends the same body. */
const BODY_CACHE = 10_000;

export interface WebhookDeliverer {
  /** Starts renewing leases and delivering; call once the dispatcher has started. */
  start(): void;
  /** Hands every webhook back (after the attempts in flight), writes the records, leaves. */
  stop(): Promise<void>;
}

interface Running {
  readonly drain: AbortController;
  readonly kill: AbortController;
  validUntil: number;
  done: Promise<void>;
}

export function createWebhookDeliverer(options: {
  executor: Executor;
  dispatcher: Pick<Dispatcher, 'subscribe'>;
  /** The event's fields as the GraphQL VersionEvent presents them (src/graphql/schema/event-json.ts). */
  render: (delivery: EventDelivery) => Promise<Record<string, unknown>>;
  config: WebhooksConfig;
  retentionMs: number;
  logger: Logger;
  /** Told of every attempt's outcome (metrics): delivered, retry (PENDING), failed, gone (410). */
  onAttempt?: (outcome: 'delivered' | 'retry' | 'failed' | 'gone', entry: DeliveryRecord) => void;
}): WebhookDeliverer {
  const { executor, config } = options;
  const logger = options.logger.child({ component: 'webhooks' });
  const me = `${randomUUID()}`;
  const sender = createSender({ allowPrivate: config.allowPrivate, timeoutMs: config.timeoutMs });
  const workers = new Map<string, Running>();
  // By id, not by event object: a worker that fell behind replays its events from Neo4j as new
  // objects, and rendering one per webhook would read the same nodes a hundred times.
  const bodies = new Map<string, Promise<string>>();
  let queued: DeliveryRecord[] = [];
  let flushing: Promise<void> | null = null;
  let flushTimer: NodeJS.Timeout | undefined;
  let tickTimer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | null = null;
  let stopped = false;
  let lastPrune = Date.now();
  let tickFailures = 0;

  function body(delivery: EventDelivery): Promise<string> {
    const { id } = delivery.event;
    let json = bodies.get(id);
    if (!json) {
      json = options.render(delivery).then((fields) => JSON.stringify({ type: eventType(delivery.event.kind), ...fields }));
      json.catch(() => bodies.delete(id));
      bodies.set(id, json);
      if (bodies.size > BODY_CACHE) bodies.delete(bodies.keys().next().value!);
    }
    return json;
  }

  function record(entry: DeliveryRecord): void {
    options.onAttempt?.(entry.state === 'DELIVERED' ? 'delivered' : entry.state === 'PENDING' ? 'retry' : 'failed', entry);
    queued.push(entry);
    flushTimer ??= setTimeout(() => void flush(), FLUSH_MS);
  }

  /** Writes every queued record; on failure they stay queued for the next flush. Never rejects. */
  function flush(): Promise<void> {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (flushing) return flushing.then(() => (queued.length > 0 ? flush() : undefined));
    if (queued.length === 0) return Promise.resolve();
    const batch = queued;
    queued = [];
    flushing = executor
      .write('webhooks.record', (tx) => recordDeliveries(tx, me, batch))
      .catch((error: unknown) => {
        logger.warn({ err: error, records: batch.length }, 'could not write webhook delivery records; retrying');
        queued = [...batch, ...queued];
        if (!stopped) flushTimer ??= setTimeout(() => void flush(), 1_000);
      })
      .finally(() => (flushing = null));
    return flushing;
  }

  async function gone(entry: DeliveryRecord): Promise<void> {
    options.onAttempt?.('gone', entry);
    await flush();
    await executor.write('webhooks.gone', (tx) => recordDeliveries(tx, me, [entry], true));
  }

  async function startWorker(held: HeldWebhook, validUntil: number): Promise<void> {
    let secret: string;
    try {
      secret = openSecret(held.secret, config.secretKey);
    } catch (error) {
      logger.error({ err: error, webhook: held.id }, 'cannot open the signing secret of a webhook; not delivering it');
      return;
    }
    const running: Running = { drain: new AbortController(), kill: new AbortController(), validUntil, done: Promise.resolve() };
    workers.set(held.id, running);
    running.done = (async () => {
      const carried = await executor.readOne('webhooks.pending', (tx) => pendingDelivery(tx, held.id, held.cursor));
      await runWorker({
        held,
        secret,
        carried,
        dispatcher: options.dispatcher,
        sender,
        body,
        record,
        gone,
        skipTo: (seq) => executor.write('webhooks.skip', (tx) => moveCursor(tx, me, held.id, seq)),
        prunedThrough: async () => (await executor.readOne('webhooks.bounds', eventLogBounds)).prunedThrough,
        leaseValidUntil: () => running.validUntil,
        retryScheduleMs: config.retryScheduleMs,
        retryForMs: config.retryForMs,
        drain: running.drain.signal,
        kill: running.kill.signal,
        logger,
      });
    })()
      .catch((error: unknown) => logger.error({ err: error, webhook: held.id }, 'webhook worker failed; the next renewal restarts it'))
      .finally(() => {
        if (workers.get(held.id) === running) workers.delete(held.id);
      });
  }

  /** Ends a worker: `kill` also aborts its attempt in flight (its lease is lost). */
  async function stopWorker(id: string, kill: boolean): Promise<void> {
    const running = workers.get(id);
    if (!running) return;
    running.drain.abort();
    if (kill) running.kill.abort();
    await running.done;
  }

  async function tick(): Promise<void> {
    const started = Date.now();
    const { live, webhooks } = await executor.write('webhooks.heartbeat', (tx) => heartbeat(tx, me, config.leaseMs));
    const wanted: string[] = [];
    const handOver: string[] = [];
    // Webhooks already held first, so the cap never makes this process drop one for another.
    const ordered = [...webhooks].sort((a, b) => Number(b.leaseOwner === me) - Number(a.leaseOwner === me));
    for (const webhook of ordered) {
      if (!webhook.active) continue;
      if (preferredInstance(webhook.id, live) === me) {
        if (wanted.length < config.maxPerInstance) wanted.push(webhook.id);
      } else if (webhook.leaseOwner === me) {
        handOver.push(webhook.id);
      }
    }
    if (handOver.length > 0) {
      await Promise.all(handOver.map((id) => stopWorker(id, false)));
      await flush();
      await executor.write('webhooks.release', (tx) => releaseWebhooks(tx, me, handOver));
    }
    const held = await executor.write('webhooks.claim', (tx) => claimWebhooks(tx, me, wanted, config.leaseMs));
    const validUntil = started + config.leaseMs - Math.ceil(config.leaseMs / 6);
    const heldIds = new Set(held.map((h) => h.id));
    for (const id of workers.keys()) if (!heldIds.has(id) && !handOver.includes(id)) void stopWorker(id, true);
    for (const h of held) {
      const running = workers.get(h.id);
      if (running) running.validUntil = validUntil;
      else if (!stopped) void startWorker(h, validUntil);
    }
    if (Date.now() - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = Date.now();
      const cutoff = Date.now() - options.retentionMs;
      while ((await executor.write('webhooks.prune', (tx) => pruneDeliveries(tx, cutoff, PRUNE_BATCH))) === PRUNE_BATCH && !stopped);
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    tickTimer = setTimeout(() => {
      ticking = tick()
        .then(() => {
          if (tickFailures > 0) logger.info('webhook leases renewed again');
          tickFailures = 0;
        })
        .catch((error: unknown) => {
          if (tickFailures++ === 0) logger.warn({ err: error }, 'cannot renew webhook leases; retrying');
        })
        .finally(() => {
          ticking = null;
          schedule(Math.ceil(config.leaseMs / 3));
        });
    }, delayMs);
  }

  return {
    start() {
      if (tickTimer || stopped) return;
      schedule(0);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(tickTimer);
      await ticking;
      await Promise.all([...workers.keys()].map((id) => stopWorker(id, false)));
      await flush();
      clearTimeout(flushTimer);
      await executor.write('webhooks.leave', (tx) => releaseWebhooks(tx, me, null, true)).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not release webhook leases; they expire by themselves');
      });
      sender.close();
    },
  };
}

/** The live instance a webhook belongs to: the highest sha256(instance, webhook). */
export function preferredInstance(webhookId: string, live: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const instance of live) {
    const score = createHash('sha256').update(`${instance}\u0000${webhookId}`).digest().readBigUInt64BE(0);
    if (score > bestScore) {
      bestScore = score;
      best = instance;
    }
  }
  return best;
}
