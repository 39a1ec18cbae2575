/**
 * The compact layout of large appends (src/neo4j/queries/event-append.ts, eventGroups): an
 * append of many events with a summary audit entry is stored as a few group nodes, and every
 * reader still sees one event per seq. Checked here: both ways of numbering (sequencer steps
 * that split groups and singles across steps, and a unit numbering its own) give gap-free seqs
 * in append order; every window of the log, cut anywhere inside a group, reads the same events
 * with the same fields; filters apply per event; the event at a seq (webhook deliveries) is
 * found inside a group; pruning takes whole groups; a unit that rolls back leaves none.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import type { Driver } from 'neo4j-driver';
import { appendEvents, type NewEvent } from '../../../src/events/outbox.ts';
import { createSequencer } from '../../../src/events/sequencer.ts';
import { createDriver } from '../../../src/neo4j/driver.ts';
import { createExecutor, type Executor, type Tx } from '../../../src/neo4j/executor.ts';
import { migrate } from '../../../src/neo4j/migrations.ts';
import { EVENT_GROUP_MAX, EVENT_GROUP_MIN, groupEventId } from '../../../src/neo4j/queries/event-append.ts';
import { eventsInRange, eventWithSeq, pruneEventsBefore, type StoredEvent } from '../../../src/neo4j/queries/events.ts';
import { testDriver, unique } from '../../support/graph.ts';

const logger = pino({ level: 'silent' });
const driver = testDriver();
let own: Driver;
let executor: Executor;
beforeAll(async () => {
  own = createDriver({ uri: inject('neo4jUri'), user: 'neo4j', password: 'neo4j', retryMs: 2_000 });
  executor = createExecutor({ driver: own, database: 'neo4j', logger });
  await migrate(executor, logger);
});
afterAll(async () => {
  await own.close();
  await driver.close();
});

async function one<T>(query: string, params: Record<string, unknown> = {}): Promise<T> {
  const { records } = await driver.executeQuery(query, params);
  return records[0]!.get(0) as T;
}
const head = () => one<number>("MATCH (c:Counter {name: 'events'}) RETURN c.value");

/** A read Tx straight on the test driver. */
const reader: Tx = {
  unit: 'test.read',
  async run(query, params) {
    return (await driver.executeQuery(query, params ?? {})).records;
  },
};

/** `count` events of a batch: dataset versions with every other one a first version (no previous), runs, checkpoints. */
function batchEvents(projectId: string, count: number, tag: string): NewEvent[] {
  const kinds = ['DATASET_VERSION_CREATED', 'RUN_STARTED', 'RUN_FINISHED', 'CHECKPOINT_CREATED'] as const;
  return Array.from({ length: count }, (_, i) => ({
    kind: kinds[i % kinds.length]!,
    projectId,
    subjectId: `node_${tag}_${String(i).padStart(5, '0')}`,
    name: i % 7 === 0 ? null : `${tag}-${i % 5}`,
    previousId: i % 2 === 0 ? null : `prev_${tag}_${i}`,
    actor: 'usr_batch',
  }));
}

const singles = (projectId: string, count: number, tag: string): NewEvent[] =>
  Array.from({ length: count }, (_, i) => ({ kind: 'MODEL_VERSION_CREATED', projectId, subjectId: `single_${tag}_${i}`, name: tag, actor: null }));

/** The log's events of `projectId` in (after, through], read in windows of `window` seqs. */
async function readLog(projectId: string, after: number, through: number, window: number): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for (let from = after; from < through; from += window) {
    events.push(...(await eventsInRange(reader, { after: from, through: Math.min(through, from + window), limit: 100_000, columns: { projects: [projectId], kinds: null, names: null } })));
  }
  return events;
}

/** What the log should say of `given`: the stored fields, in order. */
const expected = (given: readonly NewEvent[]) =>
  given.map((e) => ({ kind: e.kind, projectId: e.projectId, subjectId: e.subjectId, name: e.name ?? null, previousId: e.previousId ?? null, alias: null, actor: e.actor }));
const fields = (events: readonly StoredEvent[]) =>
  events.map(({ kind, projectId, subjectId, name, previousId, alias, actor }) => ({ kind, projectId, subjectId, name, previousId, alias, actor }));

describe('the compact layout of large appends', () => {
  it('stores a large batch append as groups of at most EVENT_GROUP_MAX; small ones and appends without a summary event by event', async () => {
    const projectId = unique('prj_grp');
    const count = 2 * EVENT_GROUP_MAX + 17;
    await executor.write('test.append', (tx) => appendEvents(tx, batchEvents(projectId, count, 'big'), { summary: { created: count } }));
    await executor.write('test.append', (tx) => appendEvents(tx, batchEvents(projectId, EVENT_GROUP_MIN - 1, 'small'), { summary: { created: 1 } }));
    await executor.write('test.append', (tx) => appendEvents(tx, batchEvents(projectId, EVENT_GROUP_MIN, 'audited')));
    const { records } = await driver.executeQuery(
      'MATCH (e:Event {projectId: $projectId}) RETURN e.count AS count, count(*) AS nodes ORDER BY count',
      { projectId },
    );
    expect(records.map((r) => [r.get('count'), r.get('nodes')])).toEqual([
      [17, 1],
      [EVENT_GROUP_MAX, 2],
      [null, EVENT_GROUP_MIN - 1 + EVENT_GROUP_MIN],
    ]);
    // The batch's audit is its one summary entry; the append without one has an entry per event.
    expect(await one<number>('MATCH (a:AuditEntry {projectId: $projectId}) RETURN count(a)', { projectId })).toBe(2 + EVENT_GROUP_MIN);
    await createSequencer({ executor, logger, onSequenced: () => {} }).run();
  });

  it('sequencer steps number groups and single events gap-free, in append order, whatever the step size', async () => {
    const projectId = unique('prj_grp');
    const sequencer = createSequencer({ executor, logger, onSequenced: () => {} });
    await sequencer.run();
    const before = await head();
    const appends: NewEvent[][] = [
      singles(projectId, 3, 'a'),
      batchEvents(projectId, EVENT_GROUP_MAX + 250, 'b'),
      singles(projectId, 2, 'c'),
      batchEvents(projectId, 300, 'd'),
      singles(projectId, 4, 'e'),
    ];
    for (const events of appends) await executor.write('test.append', (tx) => appendEvents(tx, events, events.length > 10 ? { summary: {} } : {}));
    // Steps of two nodes: groups and singles share steps, and a group follows singles in one.
    await createSequencer({ executor, logger, onSequenced: () => {}, batch: 2 }).run();
    expect(await one<number>('MATCH (e:Unsequenced) RETURN count(e)')).toBe(0);
    const after = await head();
    const all = appends.flat();
    expect(after - before).toBe(all.length);

    const log = await readLog(projectId, before, after, 10_000);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: all.length }, (_, i) => before + i + 1));
    expect(fields(log)).toEqual(expected(all));
    expect(new Set(log.map((e) => e.id)).size).toBe(all.length);
    // Ids ascend within an append (sorted UUIDv7s): the group's order is the order given.
    const b = log.filter((e) => e.subjectId.startsWith('node_b_')).map((e) => e.id);
    expect(b).toEqual([...b].sort());
    // A group stores no ids and no kind per event: its first event has its id, the k-th groupEventId's.
    const { records } = await driver.executeQuery(
      'MATCH (e:Event {projectId: $projectId}) WHERE e.count IS NOT NULL RETURN e.id AS id, e.ids IS NULL AND e.kinds IS NULL AS slim, e.kindTable AS table ORDER BY e.seq',
      { projectId },
    );
    expect(records.map((r) => r.get('slim'))).toEqual([true, true, true]);
    const [firstGroup, secondGroup] = records.map((r) => r.get('id') as string);
    expect(b.slice(0, 3)).toEqual([firstGroup, groupEventId(firstGroup!, 1), groupEventId(firstGroup!, 2)]);
    expect(b[EVENT_GROUP_MAX - 1]).toBe(groupEventId(firstGroup!, EVENT_GROUP_MAX - 1));
    expect(b[EVENT_GROUP_MAX]).toBe(secondGroup);
    expect(records[0]!.get('table')).toEqual(['DATASET_VERSION_CREATED', 'RUN_STARTED', 'RUN_FINISHED', 'CHECKPOINT_CREATED']);
  });

  it('reads groups written with ids and kinds as lists (the layout before they were derived) the same way', async () => {
    const projectId = unique('prj_grp');
    await createSequencer({ executor, logger, onSequenced: () => {} }).run();
    const base = await one<number>(
      `MATCH (c:Counter {name: 'events'}) SET c.value = c.value + 3
       WITH c.value - 3 AS base
       CREATE (:Event {seq: base + 3, firstSeq: base + 1, count: 3, id: 'evt_old1', projectId: $projectId, actor: 'usr_old', occurredAt: datetime(),
         ids: ['evt_old1', 'evt_old2', 'evt_old3'], kinds: ['RUN_STARTED', 'RUN_FINISHED', 'CHECKPOINT_CREATED'],
         subjectIds: ['run_1', 'run_1', 'ckp_1'], names: ['r', 'r', ''], previousIds: ['', '', '']})
       RETURN base`,
      { projectId },
    );
    const log = await readLog(projectId, base, base + 3, 10);
    expect(log.map(({ seq, id, kind, subjectId, name }) => ({ seq, id, kind, subjectId, name }))).toEqual([
      { seq: base + 1, id: 'evt_old1', kind: 'RUN_STARTED', subjectId: 'run_1', name: 'r' },
      { seq: base + 2, id: 'evt_old2', kind: 'RUN_FINISHED', subjectId: 'run_1', name: 'r' },
      { seq: base + 3, id: 'evt_old3', kind: 'CHECKPOINT_CREATED', subjectId: 'ckp_1', name: null },
    ]);
    const { records } = await driver.executeQuery(`WITH $seq AS seq CALL (seq) { ${eventWithSeq('seq', 'event')} RETURN event } RETURN event.id AS id`, { seq: base + 2 });
    expect(records[0]!.get('id')).toBe('evt_old2');
  });

  it('a unit that numbers its own events gives each group its range, after the counter', async () => {
    const projectId = unique('prj_grp');
    await createSequencer({ executor, logger, onSequenced: () => {} }).run();
    const before = await head();
    const events = batchEvents(projectId, EVENT_GROUP_MAX + 1, 'inline');
    let announced: number | null = null;
    await executor.write('test.append', (tx) =>
      appendEvents({ ...tx, run: tx.run.bind(tx), sequenceInline: () => true, eventsSequenced: (last) => void (announced = last) }, events, { summary: {} }),
    );
    expect(announced).toBe(before + events.length);
    expect(await head()).toBe(before + events.length);
    expect(await one<number>('MATCH (e:Unsequenced {projectId: $projectId}) RETURN count(e)', { projectId })).toBe(0);
    const { records } = await driver.executeQuery('MATCH (e:Event {projectId: $projectId}) RETURN e.firstSeq AS first, e.seq AS last ORDER BY first', { projectId });
    expect(records.map((r) => [r.get('first'), r.get('last')])).toEqual([
      [before + 1, before + EVENT_GROUP_MAX],
      [before + EVENT_GROUP_MAX + 1, before + EVENT_GROUP_MAX + 1],
    ]);
    expect(fields(await readLog(projectId, before, before + events.length, 10_000))).toEqual(expected(events));
  });

  it('every window of the log, cut inside groups, reads the same events; filters and the limit apply per event', async () => {
    const projectId = unique('prj_grp');
    const sequencer = createSequencer({ executor, logger, onSequenced: () => {} });
    await sequencer.run();
    const before = await head();
    const all = [...batchEvents(projectId, 700, 'w'), ...singles(projectId, 3, 'x'), ...batchEvents(projectId, 450, 'y')];
    await executor.write('test.append', (tx) => appendEvents(tx, all.slice(0, 700), { summary: {} }));
    await executor.write('test.append', (tx) => appendEvents(tx, all.slice(700, 703)));
    await executor.write('test.append', (tx) => appendEvents(tx, all.slice(703), { summary: {} }));
    await sequencer.run();
    const through = before + all.length;
    const whole = await readLog(projectId, before, through, 10_000);
    expect(fields(whole)).toEqual(expected(all));
    for (const window of [1, 7, 128, 699, 1_000]) {
      expect(await readLog(projectId, before, through, window)).toEqual(whole);
    }
    // A window that starts and ends inside one group.
    expect(await eventsInRange(reader, { after: before + 10, through: before + 20, limit: 100 })).toEqual(whole.slice(10, 20));
    // The limit counts events, not nodes.
    expect(await eventsInRange(reader, { after: before + 650, through, limit: 60 })).toEqual(whole.slice(650, 710));
    // Column filters apply to each event of a group.
    const filtered = await eventsInRange(reader, {
      after: before,
      through,
      limit: 100_000,
      columns: { projects: [projectId], kinds: ['RUN_FINISHED'], names: ['w-2', 'y-2'] },
    });
    expect(filtered).toEqual(whole.filter((e) => e.kind === 'RUN_FINISHED' && (e.name === 'w-2' || e.name === 'y-2')));
    expect(filtered.length).toBeGreaterThan(10);
    expect(await eventsInRange(reader, { after: before, through, limit: 10, columns: { projects: ['prj_none'], kinds: null, names: null } })).toEqual([]);

    // The event at a seq (what webhook deliveries join on), inside a group, alone, and none.
    const at = async (seq: number) => {
      const { records } = await driver.executeQuery(`WITH $seq AS seq OPTIONAL CALL (seq) { ${eventWithSeq('seq', 'event')} RETURN event } RETURN event`, { seq });
      const event = records[0]!.get('event') as { id: string; seq: number } | null;
      return event === null ? null : { id: event.id, seq: Number(event.seq) };
    };
    for (const k of [0, 1, 699, 700, 702, 703, 1_000, all.length - 1]) expect(await at(before + k + 1)).toEqual({ id: whole[k]!.id, seq: whole[k]!.seq });
    expect(await at(through + 5_000)).toBeNull();
  });

  it('pruning deletes whole groups and leaves the log a contiguous suffix', async () => {
    const projectId = unique('prj_grp');
    const sequencer = createSequencer({ executor, logger, onSequenced: () => {} });
    await sequencer.run();
    const before = await head();
    await executor.write('test.append', (tx) => appendEvents(tx, batchEvents(projectId, 300, 'old'), { summary: {} }));
    await sequencer.run();
    await driver.executeQuery("MATCH (e:Event {projectId: $projectId}) SET e.occurredAt = datetime('2001-01-01T00:00:00Z')", { projectId });
    await executor.write('test.append', (tx) => appendEvents(tx, batchEvents(projectId, 200, 'new'), { summary: {} }));
    await sequencer.run();
    while ((await executor.write('test.prune', (tx) => pruneEventsBefore(tx, Date.now() - 3_600_000, 10_000))) > 0);
    expect(await one<number>("MATCH (p:Counter {name: 'events_pruned'}) RETURN p.value")).toBeGreaterThanOrEqual(before + 300);
    const left = await readLog(projectId, before, before + 500, 10_000);
    expect(left.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => before + 301 + i));
    expect(left.every((e) => e.subjectId.startsWith('node_new_'))).toBe(true);
  });

  it('a unit that rolls back after a grouped append leaves no group, no audit entry and the counter as it was', async () => {
    const projectId = unique('prj_grp');
    const before = await head();
    await expect(
      executor.write('test.failing', async (tx) => {
        await appendEvents({ ...tx, run: tx.run.bind(tx), sequenceInline: () => true }, batchEvents(projectId, 500, 'f'), { summary: {} });
        throw new Error('the unit fails after appending');
      }),
    ).rejects.toThrow('the unit fails after appending');
    expect(await one<number>('MATCH (e:Event {projectId: $projectId}) RETURN count(e)', { projectId })).toBe(0);
    expect(await one<number>('MATCH (a:AuditEntry {projectId: $projectId}) RETURN count(a)', { projectId })).toBe(0);
    expect(await head()).toBe(before);
  });
});
