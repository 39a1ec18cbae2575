/**
 * The event sequencer (docs/architecture.md): writers append events without a seq and without a shared
 * lock; sequencer steps number them under the events counter's lock. Checked here: steps from
 * four sequencers at once give every pending event exactly one seq, gap-free and in (occurredAt,
 * id) order; calls coalesce into few transactions; pruning keeps pending events; a rolled-back
 * unit leaves no event; a unit alone numbers its own events, and so do auto-commit units among
 * a few; and, through two gateway instances, concurrent mutations end with
 * gap-free unique seqs, nothing pending, and each mutation's event readable (polling and
 * replay) as soon as it answered.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import type { Driver } from 'neo4j-driver';
import { appendEvents, type NewEvent } from '../../../src/events/outbox.ts';
import { AUTO_COMMIT_INLINE_MAX, AUTO_COMMIT_INLINE_STARTS, withSequencing } from '../../../src/events/sequenced-writes.ts';
import { createSequencer } from '../../../src/events/sequencer.ts';
import { createDriver } from '../../../src/neo4j/driver.ts';
import { createExecutor, type Executor, type Tx } from '../../../src/neo4j/executor.ts';
import { migrate } from '../../../src/neo4j/migrations.ts';
import { pruneEventsBefore, sequencePending } from '../../../src/neo4j/queries/events.ts';
import { useGateway } from '../../support/gateway.ts';
import { testDriver, unique } from '../../support/graph.ts';
import { totalDbHits } from '../../support/lineage-graphs.ts';
import { createProject, headCursor, registerDataset, subscribe } from '../../support/events.ts';

const logger = pino({ level: 'silent' });
const driver = testDriver();
beforeAll(async () => {
  // The first tests run with no gateway (none may poll meanwhile), so migrate here.
  const { executor, driver: own } = bareExecutor();
  await migrate(executor, logger);
  await own.close();
});
afterAll(() => driver.close());

async function one<T>(query: string, params: Record<string, unknown> = {}): Promise<T> {
  const { records } = await driver.executeQuery(query, params);
  return records[0]!.get(0) as T;
}
const head = () => one<number>("MATCH (c:Counter {name: 'events'}) RETURN c.value");
const pendingCount = () => one<number>('MATCH (e:Unsequenced) RETURN count(e)');

/**
 * The log between two heads: every seq in (from, to] once, with its event. `occurredAt` is
 * [epoch seconds, nanoseconds]: Neo4j's toString drops trailing zeros (`.12Z` after `.125Z` as
 * strings), so only the numbers compare in time order.
 */
async function logBetween(from: number, to: number): Promise<{ seq: number; id: string; projectId: string; subjectId: string; occurredAt: [number, number] }[]> {
  const { records } = await driver.executeQuery(
    `MATCH (e:Event) WHERE e.seq > $from AND e.seq <= $to
     RETURN e.seq AS seq, e.id AS id, e.projectId AS projectId, e.subjectId AS subjectId, [e.occurredAt.epochSeconds, e.occurredAt.nanosecond] AS occurredAt ORDER BY e.seq`,
    { from, to },
  );
  return records.map((r) => r.toObject() as never);
}

/**
 * An executor of its own, without the gateway's sequencing hook: what it appends stays pending.
 * `units` gets each statement's unit, `autoCommits` whether it was its own transaction.
 */
function bareExecutor(units: string[] = [], autoCommits: boolean[] = []): { executor: Executor; driver: Driver } {
  const own = createDriver({ uri: inject('neo4jUri'), user: 'neo4j', password: 'neo4j', retryMs: 2_000 });
  const observer = { onQuery: ({ unit, autoCommit }: { unit: string; autoCommit: boolean }) => void (units.push(unit), autoCommits.push(autoCommit)) };
  return { executor: createExecutor({ driver: own, database: 'neo4j', logger }, [observer]), driver: own };
}

function fakeEvents(projectId: string, count: number, tag: string): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({ kind: 'RUN_STARTED', projectId, subjectId: `run_${tag}_${String(i).padStart(5, '0')}`, name: tag, actor: null }));
}

describe('sequencer steps (no gateway running)', () => {
  it('four sequencers at once number every pending event exactly once, gap-free, in append order', async () => {
    const { executor, driver: own } = bareExecutor();
    try {
      const projectId = unique('prj_seq');
      const before = await head();
      // 12 appends of 250 events each: 3,000 pending, several batches of every sequencer.
      for (let a = 0; a < 12; a += 1) await executor.write('test.append', (tx) => appendEvents(tx, fakeEvents(projectId, 250, `a${a}`)));
      expect(await pendingCount()).toBeGreaterThanOrEqual(3_000);

      // Four sequencers (as four gateways would) with small batches: many steps queue on the
      // counter's lock, and each must read the value the one before it left.
      const sequencers = [110, 170, 230, 400].map((batch) => createSequencer({ executor, logger, onSequenced: () => {}, batch }));
      await Promise.all(sequencers.flatMap((s) => [s.run(), s.run()]));

      expect(await pendingCount()).toBe(0);
      const after = await head();
      const log = await logBetween(before, after);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: after - before }, (_, i) => before + i + 1));
      const ours = log.filter((e) => e.projectId === projectId);
      expect(ours).toHaveLength(3_000);
      expect(new Set(ours.map((e) => e.id)).size).toBe(3_000);
      // Seq order follows (occurredAt, id); within one append that is the order given.
      for (let i = 1; i < ours.length; i += 1) {
        const [p, q] = [ours[i - 1]!, ours[i]!];
        const [ps, pn] = p.occurredAt;
        const [qs, qn] = q.occurredAt;
        expect(ps < qs || (ps === qs && (pn < qn || (pn === qn && p.id < q.id)))).toBe(true);
      }
      for (let k = 0; k < 12; k += 1) {
        const subjects = ours.filter((e) => e.subjectId.startsWith(`run_a${k}_`)).map((e) => e.subjectId);
        expect(subjects).toEqual([...subjects].sort());
      }
    } finally {
      await own.close();
    }
  });

  it('coalesces concurrent calls: 20 callers during a step share one more step', async () => {
    const units: string[] = [];
    const autoCommits: boolean[] = [];
    const { executor, driver: own } = bareExecutor(units, autoCommits);
    try {
      const projectId = unique('prj_seq');
      await executor.write('test.append', (tx) => appendEvents(tx, fakeEvents(projectId, 5, 'c')));
      const sequencer = createSequencer({ executor, logger, onSequenced: () => {} });
      units.length = 0;
      autoCommits.length = 0;
      await Promise.all(Array.from({ length: 21 }, () => sequencer.run()));
      // A step is one statement, its own transaction: one round trip.
      expect(autoCommits).toEqual([true, true]);
      // The first call's step numbers the 5 events; the other 20 share the next step, which
      // finds nothing pending.
      expect(units).toEqual(['events.sequence', 'events.sequence']);
      expect(await pendingCount()).toBe(0);
      // Idle: nothing written, not even the count of steps (no lock taken).
      const idle = await one<{ value: number; steps: number }>("MATCH (c:Counter {name: 'events'}) RETURN c {.value, .steps}");
      units.length = 0;
      await sequencer.run();
      expect(units).toHaveLength(1);
      expect(await one("MATCH (c:Counter {name: 'events'}) RETURN c {.value, .steps}")).toEqual(idle);
    } finally {
      await own.close();
    }
  });

  it('a step reads its events from the pending index in order: its cost follows the step, not the backlog', async () => {
    const { executor, driver: own } = bareExecutor();
    try {
      const projectId = unique('prj_seq');
      const sequencer = createSequencer({ executor, logger, onSequenced: () => {} });
      /** Db hits of one step of 100 events (run under PROFILE) with `backlog` events pending. */
      const stepHits = async (backlog: number, tag: string): Promise<number> => {
        await sequencer.run();
        for (let done = 0; done < backlog; done += 1_000) {
          await executor.write('test.append', (tx) => appendEvents(tx, fakeEvents(projectId, Math.min(1_000, backlog - done), `${tag}${done}`)));
        }
        let hits = 0;
        const profiled: Tx = {
          unit: 'test.profile',
          async run(query, params) {
            const result = await driver.executeQuery(`PROFILE ${query}`, params ?? {});
            hits += totalDbHits(result.summary.profile as never);
            return result.records;
          },
        };
        expect(await sequencePending(profiled, 100)).toMatchObject({ sequenced: 100 });
        await sequencer.run();
        return hits;
      };
      const small = await stepHits(300, 's');
      const large = await stepHits(6_000, 'l');
      // A sort of every pending event (a label scan then Top, the plan Neo4j picks for an
      // empty label unless told) costs about 20 times more here; the index's order costs the same.
      expect(large).toBeLessThan(small * 1.5);
      expect(await pendingCount()).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('pruning keeps pending events, however old; once numbered they sit after everything pruned', async () => {
    const { executor, driver: own } = bareExecutor();
    try {
      const projectId = unique('prj_seq');
      const sequencer = createSequencer({ executor, logger, onSequenced: () => {} });
      await executor.write('test.append', (tx) => appendEvents(tx, fakeEvents(projectId, 1, 'numbered')));
      await sequencer.run();
      await executor.write('test.append', (tx) => appendEvents(tx, fakeEvents(projectId, 1, 'pending')));
      // Both far older than the retention.
      await driver.executeQuery("MATCH (e:Event {projectId: $projectId}) SET e.occurredAt = datetime('2001-01-01T00:00:00Z')", { projectId });
      // Batch by batch until nothing is left, as the dispatcher prunes (earlier tests leave more than a batch).
      while ((await executor.write('test.prune', (tx) => pruneEventsBefore(tx, Date.now() - 3_600_000, 10_000))) > 0);
      const left = await driver.executeQuery('MATCH (e:Event {projectId: $projectId}) RETURN e.name AS name, e.seq AS seq, e:Unsequenced AS pending', { projectId });
      expect(left.records.map((r) => r.toObject())).toEqual([{ name: 'pending', seq: null, pending: true }]);
      await sequencer.run();
      const prunedThrough = await one<number>("MATCH (p:Counter {name: 'events_pruned'}) RETURN p.value");
      expect(await one<number>('MATCH (e:Event {projectId: $projectId}) RETURN e.seq', { projectId })).toBeGreaterThan(prunedThrough);
    } finally {
      await own.close();
    }
  });

  it('a unit that rolls back leaves no event, pending or not, and does not wait for the sequencer', async () => {
    let waits = 0;
    const own = createDriver({ uri: inject('neo4jUri'), user: 'neo4j', password: 'neo4j', retryMs: 2_000 });
    const executor = withSequencing(createExecutor({ driver: own, database: 'neo4j', logger }), async () => void (waits += 1));
    try {
      const projectId = unique('prj_seq');
      const before = await head();
      await expect(
        executor.write('test.failing', async (tx) => {
          await appendEvents(tx, fakeEvents(projectId, 3, 'f'));
          throw new Error('the unit fails after appending');
        }),
      ).rejects.toThrow('the unit fails after appending');
      expect(waits).toBe(0);
      expect(await one<number>('MATCH (e:Event {projectId: $projectId}) RETURN count(e)', { projectId })).toBe(0);
      expect(await one<number>('MATCH (a:AuditEntry {projectId: $projectId}) RETURN count(a)', { projectId })).toBe(0);
      expect(await head()).toBe(before);

      await executor.write('test.append', (tx) => appendEvents(tx, fakeEvents(projectId, 2, 'ok')));
      expect(waits).toBe(1); // a committed unit that appended events waits once
    } finally {
      await own.close();
    }
  });
});

describe('inline sequencing (a unit alone in its process numbers its own events)', () => {
  const steps = () => one<number>("MATCH (c:Counter {name: 'events'}) RETURN coalesce(c.steps, 0)");

  /** withSequencing as the gateway wires it, with a real sequencer; counts waits and inline heads. */
  function sequencedExecutor() {
    const own = createDriver({ uri: inject('neo4jUri'), user: 'neo4j', password: 'neo4j', retryMs: 2_000 });
    const base = createExecutor({ driver: own, database: 'neo4j', logger });
    const sequencer = createSequencer({ executor: base, logger, onSequenced: () => {} });
    const seen = { waits: 0, heads: [] as number[] };
    const executor = withSequencing(base, () => (seen.waits += 1, sequencer.settle()), { sequenced: (h) => seen.heads.push(h) });
    return { executor, seen, own };
  }

  it('a lone unit takes the next seqs in its own transaction: nothing pending, no sequencer step, no wait, its head reported', async () => {
    const { executor, seen, own } = sequencedExecutor();
    try {
      const projectId = unique('prj_inline');
      const before = await head();
      const stepsBefore = await steps();
      await executor.write('test.inline', (tx) => appendEvents(tx, fakeEvents(projectId, 3, 'inline')));
      const after = await head();
      expect(after).toBe(before + 3);
      expect(seen).toEqual({ waits: 0, heads: [after] });
      expect(await steps()).toBe(stepsBefore);
      expect(await one<number>('MATCH (e:Unsequenced {projectId: $projectId}) RETURN count(e)', { projectId })).toBe(0);
      const log = await logBetween(before, after);
      expect(log.map((e) => [e.seq, e.subjectId])).toEqual([
        [before + 1, 'run_inline_00000'],
        [before + 2, 'run_inline_00001'],
        [before + 3, 'run_inline_00002'],
      ]);
    } finally {
      await own.close();
    }
  });

  it('a lone unit that rolls back after numbering leaves the counter and the log as they were', async () => {
    const { executor, seen, own } = sequencedExecutor();
    try {
      const projectId = unique('prj_inline');
      const before = await head();
      await expect(
        executor.write('test.inline-failing', async (tx) => {
          await appendEvents(tx, fakeEvents(projectId, 2, 'gone'));
          throw new Error('fails after numbering');
        }),
      ).rejects.toThrow('fails after numbering');
      expect(await head()).toBe(before);
      expect(seen).toEqual({ waits: 0, heads: [] });
      expect(await one<number>('MATCH (e:Event {projectId: $projectId}) RETURN count(e)', { projectId })).toBe(0);
      expect(await one<number>('MATCH (a:AuditEntry {projectId: $projectId}) RETURN count(a)', { projectId })).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('concurrent units go pending and wait for shared steps; with lone ones between them the log stays gap-free and nothing is left pending', async () => {
    const { executor, seen, own } = sequencedExecutor();
    try {
      const projectId = unique('prj_inline');
      const before = await head();
      await Promise.all(Array.from({ length: 8 }, (_, i) => executor.write('test.concurrent', (tx) => appendEvents(tx, fakeEvents(projectId, 2, `c${i}`)))));
      // All eight were in flight before the first appended, so it went pending; the last ones
      // may find the others answered already and go inline. Each unit went exactly one way.
      expect(seen.waits).toBeGreaterThanOrEqual(1);
      expect(seen.waits + seen.heads.length).toBe(8);
      const inlineBefore = seen.heads.length;
      await executor.write('test.lone', (tx) => appendEvents(tx, fakeEvents(projectId, 1, 'lone')));
      expect(seen.heads).toHaveLength(inlineBefore + 1);
      const loneHead = seen.heads.at(-1)!;
      await Promise.all(Array.from({ length: 4 }, (_, i) => executor.write('test.concurrent', (tx) => appendEvents(tx, fakeEvents(projectId, 1, `d${i}`)))));
      expect(seen.waits + seen.heads.length).toBe(13);
      const after = await head();
      expect(await one<number>('MATCH (e:Unsequenced {projectId: $projectId}) RETURN count(e)', { projectId })).toBe(0);
      const ours = (await logBetween(before, after)).filter((e) => e.projectId === projectId);
      expect(ours).toHaveLength(21);
      expect(new Set(ours.map((e) => e.seq)).size).toBe(21);
      // The lone unit's event came after the first eight's and before the last four's.
      const seqOf = (subject: string) => ours.find((e) => e.subjectId === subject)!.seq;
      expect(ours.filter((e) => e.subjectId.startsWith('run_c')).every((e) => e.seq < seqOf('run_lone_00000'))).toBe(true);
      expect(ours.filter((e) => e.subjectId.startsWith('run_d')).every((e) => e.seq > seqOf('run_lone_00000'))).toBe(true);
      expect(loneHead).toBe(seqOf('run_lone_00000'));
    } finally {
      await own.close();
    }
  });

  it(`auto-commit units number inline alone at any rate and beside others while at most ${AUTO_COMMIT_INLINE_MAX} are in flight, and go pending beyond`, async () => {
    const { executor, seen, own } = sequencedExecutor();
    try {
      const projectId = unique('prj_autocommit');
      const before = await head();
      const stepsBefore = await steps();
      // As many at once as may go inline: every one does, and no step runs.
      await Promise.all(
        Array.from({ length: AUTO_COMMIT_INLINE_MAX }, (_, i) => executor.writeOne('test.autocommit', (tx) => appendEvents(tx, fakeEvents(projectId, 2, `a${i}`)))),
      );
      expect(seen.waits).toBe(0);
      expect(seen.heads).toHaveLength(AUTO_COMMIT_INLINE_MAX);
      expect(await steps()).toBe(stepsBefore);
      // One after another, each alone in flight, at any rate: all inline too.
      const sequential = 3 * AUTO_COMMIT_INLINE_STARTS;
      for (let i = 0; i < sequential; i += 1) await executor.writeOne('test.autocommit', (tx) => appendEvents(tx, fakeEvents(projectId, 1, `s${i}`)));
      expect(seen.waits).toBe(0);
      expect(seen.heads).toHaveLength(AUTO_COMMIT_INLINE_MAX + sequential);
      expect(await steps()).toBe(stepsBefore);
      // Two more than that at once: the first to append finds them all in flight and goes
      // pending; each unit goes exactly one way.
      const more = AUTO_COMMIT_INLINE_MAX + 2;
      await Promise.all(Array.from({ length: more }, (_, i) => executor.writeOne('test.autocommit', (tx) => appendEvents(tx, fakeEvents(projectId, 2, `b${i}`)))));
      expect(seen.waits).toBeGreaterThanOrEqual(1);
      expect(seen.waits + seen.heads.length).toBe(AUTO_COMMIT_INLINE_MAX + sequential + more);
      const after = await head();
      expect(await one<number>('MATCH (e:Unsequenced {projectId: $projectId}) RETURN count(e)', { projectId })).toBe(0);
      const log = await logBetween(before, after);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: after - before }, (_, i) => before + i + 1));
      const ours = log.filter((e) => e.projectId === projectId);
      expect(ours).toHaveLength(2 * (AUTO_COMMIT_INLINE_MAX + more) + sequential);
      // A unit's two events are adjacent in the log, whichever way it went.
      const pairs = ours.filter((e) => !e.subjectId.startsWith('run_s'));
      for (let i = 0; i < pairs.length; i += 2) expect(pairs[i]!.subjectId.replace(/_\d+$/, '')).toBe(pairs[i + 1]!.subjectId.replace(/_\d+$/, ''));
    } finally {
      await own.close();
    }
  });
});

describe('through two gateway instances', () => {
  const a = useGateway();
  const b = useGateway();

  it('concurrent writers on both get gap-free unique seqs, every event once, nothing left pending', async () => {
    const project = await createProject(a, unique('seq-two'));
    const before = await head();
    const versions = await Promise.all(Array.from({ length: 60 }, (_, i) => registerDataset(i % 2 === 0 ? a : b, project, `d${i % 4}`, 9_000 + i)));
    // Every mutation answered after its event got a seq: nothing of ours is pending.
    expect(await one<number>('MATCH (e:Unsequenced {projectId: $project}) RETURN count(e)', { project })).toBe(0);
    const after = await head();
    const log = await logBetween(before, after);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: after - before }, (_, i) => before + i + 1));
    const ours = log.filter((e) => e.projectId === project);
    expect(ours.map((e) => e.subjectId).sort()).toEqual([...versions].sort());
  });

  it('an event appended and left pending (its writer died before sequencing) is numbered by the next poll', async () => {
    const { executor, driver: own } = bareExecutor();
    try {
      const project = await createProject(a, unique('seq-orphan'));
      const start = await headCursor(b);
      const watcher = await subscribe(b.gateway.wsUrl, { filter: { projects: [project] }, after: start });
      const version = await registerDataset(a, project, 'clicks', 1);
      // An orphan: committed without the sequencing wait, as if its gateway was killed then.
      await executor.write('test.orphan', (tx) => appendEvents(tx, [{ kind: 'DATASET_VERSION_CREATED', projectId: project, subjectId: version, name: 'clicks', actor: null }]));
      await watcher.waitFor(2);
      expect(watcher.events.map((e) => e.subjectId)).toEqual([version, version]);
      expect(await one<number>('MATCH (e:Unsequenced {projectId: $project}) RETURN count(e)', { project })).toBe(0);
      await watcher.close();
    } finally {
      await own.close();
    }
  });

  it("a mutation's event is in the log as soon as it answers: polling and replay on the other instance see it", async () => {
    const project = await createProject(a, unique('seq-ryw'));
    const query = 'query($after: String, $p: ID!) { events(after: $after, filter: { projects: [$p] }) { nodes { subject { id } } } }';
    for (let i = 0; i < 10; i += 1) {
      const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
      const cursor = await headCursor(reader);
      const version = await registerDataset(writer, project, 'clicks', 20 + i);
      const polled = await reader.ok<any>(query, { after: cursor, p: project });
      expect(polled.events.nodes.map((n: any) => n.subject.id)).toEqual([version]);
    }
    // Replay: a subscription from a cursor taken before the last write, opened right after it.
    const cursor = await headCursor(b);
    const version = await registerDataset(a, project, 'clicks', 99);
    const replay = await subscribe(b.gateway.wsUrl, { filter: { projects: [project] }, after: cursor });
    await replay.waitFor(1);
    expect(replay.events.map((e) => e.subjectId)).toEqual([version]);
    await replay.close();
  });
});
