/**
 * The raw commit limit behind the event outbox (what bounds fan-out writers): how many tiny write
 * transactions per second Neo4j commits here when each one, like `appendEvents` did before the
 * sequencer, increments one counter node (so they serialize on its lock) and creates an Event
 * and an AuditEntry; at concurrency 1, 4 and 8, through one neo4j-driver. For comparison, the
 * same transactions without the counter (CREATE only, nothing shared), and the sequencer's
 * shape (src/events/sequencer.ts): writers create pending events without the counter and, like
 * the executor, each waits after its commit for a coalesced sequencer step (counter lock, number
 * the pending events, one transaction for many writers); "steps" counts those transactions.
 * Uses a counter and labels of its own, deleted at the end. Not a test.
 *
 *   [NEO4J_URI=bolt://...] node bench/event-commits.ts [seconds per case=5]
 *
 * Without NEO4J_URI it starts a throwaway embedded Neo4j (bench/lib/neo4j.ts).
 */
import neo4j from 'neo4j-driver';
import { benchNeo4j } from './lib/neo4j.ts';

const database = await benchNeo4j({ heap: '1g', pagecache: '256m' });
const seconds = Number(process.argv[2] ?? 5);
const driver = neo4j.driver(database.uri, neo4j.auth.basic('neo4j', 'neo4j'), { disableLosslessIntegers: true });
const COUNTER = `probe-${Date.now()}`;
const WITH_COUNTER = `MATCH (c:Counter {name: $counter}) SET c.value = c.value + 1
  WITH c.value AS seq
  CREATE (:ProbeEvent {seq: seq, id: randomUUID(), kind: 'DATASET_VERSION_CREATED', occurredAt: datetime()})
  CREATE (:ProbeAudit {id: randomUUID(), at: datetime()})`;
const WITHOUT_COUNTER = `CREATE (:ProbeEvent {seq: -1, id: randomUUID(), kind: 'DATASET_VERSION_CREATED', occurredAt: datetime()})
  CREATE (:ProbeAudit {id: randomUUID(), at: datetime()})`;
const PENDING = `CREATE (:ProbeEvent:ProbePending {id: randomUUID(), kind: 'DATASET_VERSION_CREATED', occurredAt: datetime()})
  CREATE (:ProbeAudit {id: randomUUID(), at: datetime()})`;
// The two statements of sequencePending (src/neo4j/queries/events.ts), on the probe labels.
const STEP_CHECK_AND_LOCK = `MATCH (e:ProbePending) WITH e LIMIT 1
  OPTIONAL MATCH (c:Counter {name: $counter}) SET c.steps = coalesce(c.steps, 0) + 1
  RETURN c IS NOT NULL AS locked`;
const STEP_ASSIGN = `MATCH (c:Counter {name: $counter})
  WITH c, c.value AS head
  CALL (head) {
    MATCH (e:ProbePending)
    WITH e ORDER BY e.occurredAt, e.id LIMIT 1000
    WITH collect(e) AS pending
    UNWIND range(0, size(pending) - 1) AS i
    WITH pending[i] AS e, head + i + 1 AS seq
    SET e.seq = seq REMOVE e:ProbePending
    RETURN count(*) AS n
  }
  SET c.value = head + n
  RETURN n`;

let steps = 0;
let running: Promise<void> | null = null;
let next: Promise<void> | null = null;
/** The coalescing of createSequencer: callers during a step share the one next step. */
function sequence(): Promise<void> {
  if (!running) {
    running = (async () => {
      const session = driver.session();
      try {
        await session.executeWrite(async (tx) => {
          if ((await tx.run(STEP_CHECK_AND_LOCK, { counter: COUNTER })).records.length === 0) return;
          steps += 1;
          await tx.run(STEP_ASSIGN, { counter: COUNTER });
        });
      } finally {
        await session.close();
      }
    })().finally(() => (running = null));
    return running;
  }
  next ??= running.then(() => {
    next = null;
    return sequence();
  });
  return next;
}

await driver.executeQuery('CREATE (:Counter {name: $counter, value: 0})', { counter: COUNTER });
console.log('| transaction | concurrency | commits/s | p50 ms | p99 ms | sequencer steps/s |');
console.log('|---|---:|---:|---:|---:|---:|');
const CASES = [
  ['counter + event + audit', WITH_COUNTER, false],
  ['event + audit (no counter)', WITHOUT_COUNTER, false],
  ['pending event + audit, then wait for a sequencer step', PENDING, true],
] as const;
for (const [name, query, sequenced] of CASES) {
  for (const concurrency of [1, 4, 8]) {
    const times: number[] = [];
    steps = 0;
    const end = performance.now() + seconds * 1_000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const session = driver.session();
        try {
          while (performance.now() < end) {
            const start = performance.now();
            await session.executeWrite((tx) => tx.run(query, { counter: COUNTER }));
            if (sequenced) await sequence();
            times.push(performance.now() - start);
          }
        } finally {
          await session.close();
        }
      }),
    );
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(1);
    const stepRate = sequenced ? (steps / seconds).toFixed(0) : '–';
    console.log(`| ${name} | ${concurrency} | ${(times.length / seconds).toFixed(0)} | ${pct(50)} | ${pct(99)} | ${stepRate} |`);
  }
}
const cleanup = driver.session();
await cleanup.run('MATCH (n) WHERE n:ProbeEvent OR n:ProbeAudit OR (n:Counter AND n.name = $counter) CALL (n) { DETACH DELETE n } IN TRANSACTIONS', { counter: COUNTER });
await cleanup.close();
await driver.close();
await database.stop();
