import { randomUUID } from 'node:crypto';
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

/** A delivery record as V027 wrote it: one node per (webhook, event). */
function oldRecord(webhookId: string, seq: number, state: string, extra: Record<string, unknown> = {}) {
  return {
    webhookId,
    eventId: `${webhookId}-e${seq}`,
    seq,
    kind: 'DATASET_VERSION_CREATED',
    projectId: 'p-migrated',
    subjectId: `dv-${seq}`,
    name: seq === 3 ? null : `clicks@${seq}`,
    previousId: null,
    alias: null,
    actor: 'alice',
    occurredAtMs: 1_700_000_000_000 + seq,
    state,
    attempts: 1,
    lastStatusCode: 200,
    lastError: null,
    firstAttemptMs: 1_700_000_100_000 + seq,
    deliveredMs: state === 'DELIVERED' ? 1_700_000_200_000 + seq : null,
    nextAttemptMs: null,
    ...extra,
  };
}

async function count(label: string, webhookId: string): Promise<number> {
  const { records } = await driver.executeQuery(`MATCH (n:${label} {webhookId: $webhookId}) RETURN count(n) AS n`, { webhookId });
  return records[0]!.get('n') as number;
}

describe('migration V030: webhook delivery records become batches', () => {
  it('moves finished records into batches and the one being retried onto its webhook, and finds nothing to do a second time', async () => {
    const webhookId = `wh-${randomUUID()}`;
    await driver.executeQuery(`CREATE (:Webhook {id: $webhookId, projectId: 'p-migrated', cursor: toInteger(5), active: true, leaseUntil: 0})`, { webhookId });
    const old = [
      oldRecord(webhookId, 1, 'DELIVERED'),
      oldRecord(webhookId, 2, 'PENDING'), // finished later as seq 2 is behind the cursor: dropped
      oldRecord(webhookId, 3, 'FAILED', { lastStatusCode: 422, lastError: 'HTTP 422: answered 422' }),
      oldRecord(webhookId, 5, 'DELIVERED', { attempts: 4 }),
      oldRecord(webhookId, 6, 'PENDING', { attempts: 2, lastStatusCode: 503, lastError: 'HTTP 503', nextAttemptMs: 1_700_000_300_000 }),
    ];
    await driver.executeQuery(
      `UNWIND $rows AS r
       CREATE (d:WebhookDelivery {webhookId: r.webhookId, eventId: r.eventId, seq: toInteger(r.seq), kind: r.kind, projectId: r.projectId,
         subjectId: r.subjectId, name: r.name, previousId: r.previousId, alias: r.alias, actor: r.actor,
         occurredAt: datetime({epochMillis: toInteger(r.occurredAtMs)}), state: r.state, attempts: toInteger(r.attempts), lastStatusCode: toInteger(r.lastStatusCode),
         lastError: r.lastError, firstAttemptAt: datetime({epochMillis: toInteger(r.firstAttemptMs)}),
         deliveredAt: CASE WHEN r.deliveredMs IS NULL THEN null ELSE datetime({epochMillis: toInteger(r.deliveredMs)}) END,
         nextAttemptAt: CASE WHEN r.nextAttemptMs IS NULL THEN null ELSE datetime({epochMillis: toInteger(r.nextAttemptMs)}) END,
         updatedAt: datetime({epochMillis: toInteger(r.firstAttemptMs)})})`,
      { rows: old.map((r) => ({ ...r })) },
    );
    const v030 = (await loadMigrations()).find((m) => m.version === 30)!;
    const apply = async () => {
      for (const statement of v030.statements) await executor.write('test.migrate', (tx) => tx.run(statement));
    };

    await apply();
    expect(await count('WebhookDelivery', webhookId)).toBe(0);
    expect(await count('WebhookDeliveryBatch', webhookId)).toBe(1);

    const [deliveries] = await executor.readOne('test.deliveries', (tx) => deliveriesOf(tx, [webhookId], 20));
    expect(deliveries!.map((d) => [d.event.seq, d.state, d.attempts, d.lastStatusCode, d.lastError])).toEqual([
      [6, 'PENDING', 2, 503, 'HTTP 503'],
      [5, 'DELIVERED', 4, 200, null],
      [3, 'FAILED', 1, 422, 'HTTP 422: answered 422'],
      [1, 'DELIVERED', 1, 200, null],
    ]);
    const [six, five, three] = deliveries!;
    expect(six!.nextAttemptAt).toEqual(new Date(1_700_000_300_000));
    expect(five!.deliveredAt).toEqual(new Date(1_700_000_200_005));
    expect(three!.deliveredAt).toBeNull();
    expect(three!.event).toMatchObject({ id: `${webhookId}-e3`, name: null, actor: 'alice', subjectId: 'dv-3', occurredAt: new Date(1_700_000_000_003) });
    expect(five!.event).toMatchObject({ name: 'clicks@5', previousId: null, projectId: 'p-migrated' });
    expect(await executor.readOne('test.pending', (tx) => pendingDelivery(tx, webhookId, 5))).toEqual({
      eventId: `${webhookId}-e6`,
      attempts: 2,
      firstAttemptMs: 1_700_000_100_006,
      nextAttemptMs: 1_700_000_300_000,
    });

    await apply();
    expect(await count('WebhookDeliveryBatch', webhookId)).toBe(1);
    const [again] = await executor.readOne('test.deliveries', (tx) => deliveriesOf(tx, [webhookId], 20));
    expect(again).toEqual(deliveries);

    await driver.executeQuery('MATCH (n) WHERE (n:Webhook AND n.id = $webhookId) OR (n:WebhookDeliveryBatch AND n.webhookId = $webhookId) DETACH DELETE n', { webhookId });
  });
});

describe('delivery records', () => {
  const event = (webhookId: string, seq: number): StoredEvent => ({
    seq,
    id: `${webhookId}-e${seq}`,
    kind: 'MODEL_VERSION_CREATED',
    projectId: 'p-records',
    subjectId: `mv-${seq}`,
    name: `ranker@${seq}`,
    previousId: seq > 1 ? `mv-${seq - 1}` : null,
    alias: null,
    actor: null,
    occurredAt: new Date(1_700_000_000_000 + seq),
    series: null,
    subjectCreatedMs: null,
  });
  const attempt = (webhookId: string, seq: number, state: DeliveryRecord['state'], attempts: number): DeliveryRecord => ({
    webhookId,
    event: event(webhookId, seq),
    state,
    attempts,
    lastStatusCode: state === 'PENDING' ? 503 : 200,
    lastError: state === 'PENDING' ? 'HTTP 503: answered 503' : null,
    firstAttemptMs: 1_700_000_100_000,
    deliveredMs: state === 'DELIVERED' ? 1_700_000_200_000 + seq : null,
    nextAttemptMs: state === 'PENDING' ? 1_700_000_300_000 + attempts : null,
    done: state !== 'PENDING',
  });
  const record = (me: string, records: DeliveryRecord[]) => executor.write('test.record', (tx) => recordDeliveries(tx, me, records));
  const read = async (webhookId: string, first = 20) => (await executor.readOne('test.deliveries', (tx) => deliveriesOf(tx, [webhookId], first)))[0]!;
  const cursorOf = async (webhookId: string) =>
    (await driver.executeQuery('MATCH (w:Webhook {id: $webhookId}) RETURN w.cursor AS cursor', { webhookId })).records[0]!.get('cursor') as number;

  it('keeps the event being retried on the webhook, one batch per flush for the finished ones, and moves the cursor only for the lease holder', async () => {
    const webhookId = `wh-${randomUUID()}`;
    await driver.executeQuery(`CREATE (:Webhook {id: $webhookId, projectId: 'p-records', cursor: toInteger(0), active: true, leaseOwner: 'me', leaseUntil: 0})`, { webhookId });

    // One flush: two delivered, the third failing once; then its second failure; then delivered with the fourth.
    await record('me', [attempt(webhookId, 1, 'DELIVERED', 1), attempt(webhookId, 2, 'DELIVERED', 1), attempt(webhookId, 3, 'PENDING', 1)]);
    await record('me', [attempt(webhookId, 3, 'PENDING', 2)]);
    expect(await cursorOf(webhookId)).toBe(2);
    expect(await executor.readOne('test.pending', (tx) => pendingDelivery(tx, webhookId, 2))).toEqual({
      eventId: `${webhookId}-e3`,
      attempts: 2,
      firstAttemptMs: 1_700_000_100_000,
      nextAttemptMs: 1_700_000_300_002,
    });
    expect((await read(webhookId)).map((d) => [d.event.seq, d.state, d.attempts, d.lastStatusCode])).toEqual([
      [3, 'PENDING', 2, 503],
      [2, 'DELIVERED', 1, 200],
      [1, 'DELIVERED', 1, 200],
    ]);

    await record('me', [attempt(webhookId, 3, 'DELIVERED', 3), attempt(webhookId, 4, 'DELIVERED', 1)]);
    expect(await cursorOf(webhookId)).toBe(4);
    expect(await executor.readOne('test.pending', (tx) => pendingDelivery(tx, webhookId, 2))).toBeNull();
    const rows = await read(webhookId);
    expect(rows.map((d) => [d.event.seq, d.state, d.attempts])).toEqual([
      [4, 'DELIVERED', 1],
      [3, 'DELIVERED', 3],
      [2, 'DELIVERED', 1],
      [1, 'DELIVERED', 1],
    ]);
    expect(rows[0]!.event).toEqual(event(webhookId, 4));
    expect(rows[0]!.deliveredAt).toEqual(new Date(1_700_000_200_004));
    expect(rows[0]!.nextAttemptAt).toBeNull();
    expect((await read(webhookId, 3)).map((d) => d.event.seq)).toEqual([4, 3, 2]);
    expect(await count('WebhookDeliveryBatch', webhookId)).toBe(2); // the flushes with a finished delivery

    // A gateway that lost the lease records what it sent (shown once) but moves nothing.
    await record('someone-else', [attempt(webhookId, 4, 'DELIVERED', 1), attempt(webhookId, 5, 'PENDING', 1)]);
    expect(await cursorOf(webhookId)).toBe(4);
    expect(await executor.readOne('test.pending', (tx) => pendingDelivery(tx, webhookId, 4))).toBeNull();
    expect((await read(webhookId)).map((d) => d.event.seq)).toEqual([4, 3, 2, 1]);

    await driver.executeQuery('MATCH (n) WHERE (n:Webhook AND n.id = $webhookId) OR (n:WebhookDeliveryBatch AND n.webhookId = $webhookId) DETACH DELETE n', { webhookId });
  });
});
