/**
 * The raw commit limit behind the event outbox (issue #9, fan-out): how many tiny write
 * transactions per second Neo4j commits here when each one, like `appendEvents`
 * (src/events/outbox.ts), increments one counter node (so they serialize on its lock) and
 * creates an Event and an AuditEntry; at concurrency 1, 4 and 8, through one neo4j-driver.
 * For comparison, the same transactions without the counter (CREATE only, nothing shared).
 * Uses a counter and labels of its own, deleted at the end. Not a test.
 *
 *   NEO4J_URI=bolt://... node bench/event-commits.ts [seconds per case=5]
 */
import neo4j from 'neo4j-driver';

const uri = process.env['NEO4J_URI'];
if (!uri) throw new Error('set NEO4J_URI');
const seconds = Number(process.argv[2] ?? 5);
const driver = neo4j.driver(uri, neo4j.auth.basic('neo4j', 'neo4j'), { disableLosslessIntegers: true });
const COUNTER = `probe-${Date.now()}`;
const WITH_COUNTER = `MATCH (c:Counter {name: $counter}) SET c.value = c.value + 1
  WITH c.value AS seq
  CREATE (:ProbeEvent {seq: seq, id: randomUUID(), kind: 'DATASET_VERSION_CREATED', occurredAt: datetime()})
  CREATE (:ProbeAudit {id: randomUUID(), at: datetime()})`;
const WITHOUT_COUNTER = `CREATE (:ProbeEvent {seq: -1, id: randomUUID(), kind: 'DATASET_VERSION_CREATED', occurredAt: datetime()})
  CREATE (:ProbeAudit {id: randomUUID(), at: datetime()})`;

await driver.executeQuery('CREATE (:Counter {name: $counter, value: 0})', { counter: COUNTER });
console.log('| transaction | concurrency | commits/s | p50 ms | p99 ms |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, query] of [['counter + event + audit', WITH_COUNTER], ['event + audit (no counter)', WITHOUT_COUNTER]] as const) {
  for (const concurrency of [1, 4, 8]) {
    const times: number[] = [];
    const end = performance.now() + seconds * 1_000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const session = driver.session();
        try {
          while (performance.now() < end) {
            const start = performance.now();
            await session.executeWrite((tx) => tx.run(query, { counter: COUNTER }));
            times.push(performance.now() - start);
          }
        } finally {
          await session.close();
        }
      }),
    );
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(1);
    console.log(`| ${name} | ${concurrency} | ${(times.length / seconds).toFixed(0)} | ${pct(50)} | ${pct(99)} |`);
  }
}
const cleanup = driver.session();
await cleanup.run('MATCH (n) WHERE n:ProbeEvent OR n:ProbeAudit OR (n:Counter AND n.name = $counter) CALL (n) { DETACH DELETE n } IN TRANSACTIONS', { counter: COUNTER });
await cleanup.close();
await driver.close();
