import { randomUUID } from 'node:crypto';
import neo4j from 'neo4j-driver';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createExecutor } from '../../../src/neo4j/executor.ts';
import { loadMigrations } from '../../../src/neo4j/migrations.ts';
import type { StoredEvent } from '../../../src/neo4j/queries/events.ts';
import { deliveriesOf, pendingDelivery, recordDeliveries, type DeliveryRecord } from '../../../src/neo4j/queries/webhooks.ts';
import { testDriver } from '../../support/graph.ts';

const driver = testDriver();
const executor = createExecutor({ driver, database: 'neo4j', logger: pino({ level: 'silent' }) });

afterAll(() => driver.close());

/**
 * Events far beyond the log's head (nothing else reads there), one per `seqs`, under `webhookId`'s
 * name; removed with the webhook and its batches by `cleanUp`. Test files run one at a time.
 */
async function seedEvents(webhookId: string, count: number): Promise<StoredEvent[]> {
  const base = 9_000_000_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
  const events: StoredEvent[] = Array.from({ length: count }, (_, k) => ({
    seq: base + k + 1,
    id: `${webhookId}-e${k + 1}`,
    kind: 'MODEL_VERSION_CREATED',
    projectId: 'p-webhook-records',
    subjectId: `mv-${k + 1}`,
    name: k === 2 ? null : `ranker@${k + 1}`,
    previousId: k > 0 ? `mv-${k}` : null,
    alias: null,
    actor: 'alice',
    occurredAt: new Date(Date.now() - 1_000 + k),
    series: null,
    subjectCreatedMs: null,
  }));
  await driver.executeQuery(
    `UNWIND $events AS e
     CREATE (:Event {seq: e.seq, id: e.id, kind: e.kind, projectId: e.projectId, subjectId: e.subjectId, name: e.name,
       previousId: e.previousId, alias: e.alias, actor: e.actor, occurredAt: datetime({epochMillis: e.occurredAtMs}), webhookTest: $webhookId})`,
    { webhookId, events: events.map((e) => ({ ...e, seq: neo4j.int(e.seq), occurredAtMs: neo4j.int(e.occurredAt.getTime()) })) },
  );
  await driver.executeQuery(`CREATE (:Webhook {id: $webhookId, projectId: 'p-webhook-records', cursor: $cursor, active: true, leaseOwner: 'me', leaseUntil: 0})`, {
    webhookId,
    cursor: neo4j.int(base),
  });
  return events;
}

async function cleanUp(webhookId: string): Promise<void> {
  await driver.executeQuery(
    `MATCH (n) WHERE (n:Webhook AND n.id = $webhookId) OR (n:WebhookDeliveryBatch AND n.webhookId = $webhookId) OR (n:Event AND n.webhookTest = $webhookId) OR (n:WebhookDelivery AND n.webhookId = $webhookId)
     DETACH DELETE n`,
    { webhookId },
  );
}

async function count(label: string, webhookId: string): Promise<number> {
  const { records } = await driver.executeQuery(`MATCH (n:${label} {webhookId: $webhookId}) RETURN count(n) AS n`, { webhookId });
  return records[0]!.get('n') as number;
}

const read = async (webhookId: string, first = 20) => (await executor.readOne('test.deliveries', (tx) => deliveriesOf(tx, [webhookId], first)))[0]!;
const pendingAfter = (webhookId: string, after: number) => executor.readOne('test.pending', (tx) => pendingDelivery(tx, webhookId, after));

describe('migration V030: webhook delivery records become batches', () => {
  it('moves finished records into batches and the one being retried onto its webhook, and finds nothing to do a second time', async () => {
    const webhookId = `wh-${randomUUID()}`;
    try {
      const events = await seedEvents(webhookId, 6);
      const seq = (k: number) => events[k - 1]!.seq;
      await driver.executeQuery('MATCH (w:Webhook {id: $webhookId}) SET w.cursor = $cursor', { webhookId, cursor: neo4j.int(seq(5)) });
      // Records as V027 wrote them: one node per (webhook, event) with a copy of the event.
      const old = (k: number, state: string, extra: Record<string, unknown> = {}) => ({
        eventId: events[k - 1]!.id,
        seq: neo4j.int(seq(k)),
        state,
        attempts: neo4j.int(1),
        lastStatusCode: neo4j.int(200),
        lastError: null,
        firstAttemptMs: neo4j.int(1_700_000_100_000 + k),
        deliveredMs: state === 'DELIVERED' ? neo4j.int(1_700_000_200_000 + k) : null,
        nextAttemptMs: null,
        ...extra,
      });
      const rows = [
        old(1, 'DELIVERED'),
        old(2, 'PENDING'), // left behind: the event was finished later and the cursor is past it
        old(3, 'FAILED', { lastStatusCode: neo4j.int(422), lastError: 'HTTP 422: answered 422' }),
        old(5, 'DELIVERED', { attempts: neo4j.int(4) }),
        old(6, 'PENDING', { attempts: neo4j.int(2), lastStatusCode: neo4j.int(503), lastError: 'HTTP 503', nextAttemptMs: neo4j.int(1_700_000_300_000) }),
      ];
      await driver.executeQuery(
        `UNWIND $rows AS r
         CREATE (:WebhookDelivery {webhookId: $webhookId, eventId: r.eventId, seq: r.seq, kind: 'MODEL_VERSION_CREATED', projectId: 'p-webhook-records',
           subjectId: 'copy', occurredAt: datetime(), state: r.state, attempts: r.attempts, lastStatusCode: r.lastStatusCode, lastError: r.lastError,
           firstAttemptAt: datetime({epochMillis: r.firstAttemptMs}),
           deliveredAt: CASE WHEN r.deliveredMs IS NULL THEN null ELSE datetime({epochMillis: r.deliveredMs}) END,
           nextAttemptAt: CASE WHEN r.nextAttemptMs IS NULL THEN null ELSE datetime({epochMillis: r.nextAttemptMs}) END,
           updatedAt: datetime({epochMillis: r.firstAttemptMs})})`,
        { webhookId, rows },
      );
      const v030 = (await loadMigrations()).find((m) => m.version === 30)!;
      const apply = async () => {
        for (const statement of v030.statements) await executor.write('test.migrate', (tx) => tx.run(statement));
      };

      await apply();
      expect(await count('WebhookDelivery', webhookId)).toBe(0);
      expect(await count('WebhookDeliveryBatch', webhookId)).toBe(1);

      const deliveries = await read(webhookId);
      expect(deliveries.map((d) => [d.event.seq, d.state, d.attempts, d.lastStatusCode, d.lastError])).toEqual([
        [seq(6), 'PENDING', 2, 503, 'HTTP 503'],
        [seq(5), 'DELIVERED', 4, 200, null],
        [seq(3), 'FAILED', 1, 422, 'HTTP 422: answered 422'],
        [seq(1), 'DELIVERED', 1, 200, null],
      ]);
      const [six, five, three] = deliveries;
      expect(six!.nextAttemptAt).toEqual(new Date(1_700_000_300_000));
      expect(five!.deliveredAt).toEqual(new Date(1_700_000_200_005));
      expect(three!.deliveredAt).toBeNull();
      // The event's columns come from the event log.
      expect(three!.event).toEqual(events[2]);
      expect(five!.event).toEqual(events[4]);
      expect(await pendingAfter(webhookId, seq(5))).toEqual({ eventId: events[5]!.id, attempts: 2, firstAttemptMs: 1_700_000_100_006, nextAttemptMs: 1_700_000_300_000 });

      await apply();
      expect(await count('WebhookDeliveryBatch', webhookId)).toBe(1);
      expect(await read(webhookId)).toEqual(deliveries);
    } finally {
      await cleanUp(webhookId);
    }
  });
});

describe('delivery records', () => {
  it('keeps the event being retried on the webhook, one batch per flush for the finished ones, and moves the cursor only for the lease holder', async () => {
    const webhookId = `wh-${randomUUID()}`;
    try {
      const events = await seedEvents(webhookId, 5);
      const seq = (k: number) => events[k - 1]!.seq;
      const attempt = (k: number, state: DeliveryRecord['state'], attempts: number): DeliveryRecord => ({
        webhookId,
        event: events[k - 1]!,
        state,
        attempts,
        lastStatusCode: state === 'PENDING' ? 503 : 200,
        lastError: state === 'PENDING' ? 'HTTP 503: answered 503' : null,
        firstAttemptMs: 1_700_000_100_000,
        deliveredMs: state === 'DELIVERED' ? 1_700_000_200_000 + k : null,
        nextAttemptMs: state === 'PENDING' ? 1_700_000_300_000 + attempts : null,
        done: state !== 'PENDING',
      });
      const record = (me: string, records: DeliveryRecord[]) => executor.write('test.record', (tx) => recordDeliveries(tx, me, records));
      const cursor = async () => (await driver.executeQuery('MATCH (w:Webhook {id: $webhookId}) RETURN w.cursor AS cursor', { webhookId })).records[0]!.get('cursor') as number;

      // One flush: two delivered, the third failing once; then its second failure; then delivered with the fourth.
      await record('me', [attempt(1, 'DELIVERED', 1), attempt(2, 'DELIVERED', 1), attempt(3, 'PENDING', 1)]);
      await record('me', [attempt(3, 'PENDING', 2)]);
      expect(await cursor()).toBe(seq(2));
      expect(await pendingAfter(webhookId, seq(2))).toEqual({ eventId: events[2]!.id, attempts: 2, firstAttemptMs: 1_700_000_100_000, nextAttemptMs: 1_700_000_300_002 });
      const retrying = await read(webhookId);
      expect(retrying.map((d) => [d.event.seq, d.state, d.attempts, d.lastStatusCode])).toEqual([
        [seq(3), 'PENDING', 2, 503],
        [seq(2), 'DELIVERED', 1, 200],
        [seq(1), 'DELIVERED', 1, 200],
      ]);
      expect(retrying[0]!.nextAttemptAt).toEqual(new Date(1_700_000_300_002));

      await record('me', [attempt(3, 'DELIVERED', 3), attempt(4, 'DELIVERED', 1)]);
      expect(await cursor()).toBe(seq(4));
      expect(await pendingAfter(webhookId, seq(2))).toBeNull();
      const rows = await read(webhookId);
      expect(rows.map((d) => [d.event.seq, d.state, d.attempts])).toEqual([
        [seq(4), 'DELIVERED', 1],
        [seq(3), 'DELIVERED', 3],
        [seq(2), 'DELIVERED', 1],
        [seq(1), 'DELIVERED', 1],
      ]);
      expect(rows[0]!.event).toEqual(events[3]);
      expect(rows[0]!.deliveredAt).toEqual(new Date(1_700_000_200_004));
      expect(rows[0]!.nextAttemptAt).toBeNull();
      expect((await read(webhookId, 3)).map((d) => d.event.seq)).toEqual([seq(4), seq(3), seq(2)]);
      expect(await count('WebhookDeliveryBatch', webhookId)).toBe(2); // the flushes with a finished delivery

      // A gateway that lost the lease records what it sent (listed once) but moves nothing.
      await record('someone-else', [attempt(4, 'DELIVERED', 2), attempt(5, 'PENDING', 1)]);
      expect(await cursor()).toBe(seq(4));
      expect(await pendingAfter(webhookId, seq(4))).toBeNull();
      expect((await read(webhookId)).map((d) => [d.event.seq, d.attempts])).toEqual([
        [seq(4), 2],
        [seq(3), 3],
        [seq(2), 1],
        [seq(1), 1],
      ]);
    } finally {
      await cleanUp(webhookId);
    }
  });
});
