/**
 * What the event outbox costs a large batch (recordLineage ingest), by index layout: the time to
 * append N events in one transaction (statement and COMMIT) and then to number them the way
 * the sequencer does (src/neo4j/queries/events.ts `sequencePending`: steps of SEQUENCE_BATCH
 * under a counter's lock, each reading its batch in order from the pending index where the
 * layout has one, setting `seq` and removing the pending label). Layouts, each on labels of its
 * own so they do not share indexes:
 *   A  Pedigree's: unique id, unique seq, occurredAt index, pending (occurredAt, id) index;
 *   B  A without the occurredAt index;
 *   C  B without the pending index (the pending label's scan is sorted instead);
 *   E  C without the unique id;
 *   D  one pending batch node per transaction numbered as a range (`firstSeq`), events keyed
 *      by (batch, offset): numbering costs one node, whatever N (not what Pedigree stores).
 * Medians of 5 rounds after 2 warm-up rounds. Not a test.
 *
 *   [NEO4J_URI=bolt://...] node bench/event-layouts.ts [events per batch=9000]
 *
 * Without NEO4J_URI it starts a throwaway embedded Neo4j (bench/lib/neo4j.ts).
 */
import neo4j, { type ManagedTransaction } from 'neo4j-driver';
import { benchNeo4j } from './lib/neo4j.ts';
import { percentile } from './lib/stats.ts';
import { SEQUENCE_BATCH } from '../src/events/sequencer.ts';

const median = (samples: readonly number[]) => percentile(samples, 50);

const N = Number(process.argv[2] ?? 9_000);
const STEP = SEQUENCE_BATCH;
const LAYOUTS = {
  A: ['CREATE CONSTRAINT FOR (e:ProbeEvA) REQUIRE e.id IS UNIQUE', 'CREATE CONSTRAINT FOR (e:ProbeEvA) REQUIRE e.seq IS UNIQUE', 'CREATE INDEX FOR (e:ProbeEvA) ON (e.occurredAt)', 'CREATE INDEX FOR (e:ProbePendA) ON (e.occurredAt, e.id)'],
  B: ['CREATE CONSTRAINT FOR (e:ProbeEvB) REQUIRE e.id IS UNIQUE', 'CREATE CONSTRAINT FOR (e:ProbeEvB) REQUIRE e.seq IS UNIQUE', 'CREATE INDEX FOR (e:ProbePendB) ON (e.occurredAt, e.id)'],
  C: ['CREATE CONSTRAINT FOR (e:ProbeEvC) REQUIRE e.id IS UNIQUE', 'CREATE CONSTRAINT FOR (e:ProbeEvC) REQUIRE e.seq IS UNIQUE'],
  E: ['CREATE CONSTRAINT FOR (e:ProbeEvE) REQUIRE e.seq IS UNIQUE'],
  D: ['CREATE CONSTRAINT FOR (e:ProbeEvD) REQUIRE e.id IS UNIQUE', 'CREATE INDEX FOR (e:ProbeEvD) ON (e.batch, e.offset)', 'CREATE INDEX FOR (b:ProbeBatchD) ON (b.firstSeq)'],
} as const;
type Layout = keyof typeof LAYOUTS;
/** Layouts with the pending (occurredAt, id) index, read in its order as the sequencer does. */
const PENDING_INDEX = new Set<Layout>(['A', 'B']);

const database = await benchNeo4j({ heap: '2g', pagecache: '1g' });
const driver = neo4j.driver(database.uri, neo4j.auth.basic('neo4j', 'neo4j'), { disableLosslessIntegers: true });

async function timedTransaction(work: (tx: ManagedTransaction) => Promise<unknown>): Promise<number> {
  const session = driver.session();
  try {
    const started = performance.now();
    await session.executeWrite(work);
    return performance.now() - started;
  } finally {
    await session.close();
  }
}

const events = () =>
  Array.from({ length: N }, (_, i) => ({ id: crypto.randomUUID(), kind: 'RUN_STARTED', projectId: 'prj_probe', subjectId: `run_${i}`, name: 'train', actor: 'usr_probe', offset: i }));

const PROPERTIES = 'id: e.id, kind: e.kind, projectId: e.projectId, subjectId: e.subjectId, name: e.name, previousId: null, alias: null, actor: e.actor, occurredAt: now';

async function round(layout: Layout): Promise<{ append: number; sequence: number }> {
  if (layout === 'D') {
    const batch = crypto.randomUUID();
    const append = await timedTransaction((tx) =>
      tx.run(
        `WITH datetime() AS now CREATE (:ProbeBatchD:ProbePendD {id: $batch, occurredAt: now, size: size($events)})
         WITH now UNWIND $events AS e CREATE (:ProbeEvD {${PROPERTIES}, batch: $batch, offset: e.offset})`,
        { events: events(), batch },
      ),
    );
    const sequence = await timedTransaction(async (tx) => {
      await tx.run("MATCH (c:Counter {name: 'probe-events'}) SET c.steps = c.steps + 1");
      await tx.run(
        `MATCH (c:Counter {name: 'probe-events'}) MATCH (b:ProbePendD) WITH c, b ORDER BY b.occurredAt LIMIT ${STEP}
         SET b.firstSeq = c.value + 1, c.value = c.value + b.size REMOVE b:ProbePendD`,
      );
    });
    return { append, sequence };
  }
  const [event, pending] = [`ProbeEv${layout}`, `ProbePend${layout}`];
  const append = await timedTransaction((tx) => tx.run(`WITH datetime() AS now UNWIND $events AS e CREATE (:${event}:${pending} {${PROPERTIES}})`, { events: events() }));
  let sequence = 0;
  for (let numbered = STEP; numbered === STEP; ) {
    sequence += await timedTransaction(async (tx) => {
      await tx.run(`MATCH (:${pending}) WITH 1 AS any LIMIT 1 MATCH (c:Counter {name: 'probe-events'}) SET c.steps = c.steps + 1`);
      const result = await tx.run(
        `MATCH (c:Counter {name: 'probe-events'}) WITH c, c.value AS head
         CALL (head) {
           MATCH (e:${pending}) ${PENDING_INDEX.has(layout) ? `USING INDEX e:${pending}(occurredAt, id) WHERE e.occurredAt IS NOT NULL AND e.id IS NOT NULL` : ''}
           WITH e ORDER BY e.occurredAt, e.id LIMIT ${STEP}
           WITH collect(e) AS batch UNWIND range(0, size(batch) - 1) AS i
           WITH batch[i] AS e, head + i + 1 AS seq SET e.seq = seq REMOVE e:${pending}
           RETURN count(*) AS numbered
         }
         SET c.value = head + numbered RETURN numbered`,
      );
      numbered = (result.records[0]?.get('numbered') as number | undefined) ?? 0;
    });
  }
  return { append, sequence };
}

try {
  const setup = driver.session();
  try {
    for (const statement of Object.values(LAYOUTS).flat()) await setup.run(statement);
    await setup.run('CALL db.awaitIndexes(300)');
    await setup.run("CREATE (:Counter {name: 'probe-events', value: 0, steps: 0})");
  } finally {
    await setup.close();
  }
  const times = new Map<Layout, { append: number[]; sequence: number[] }>();
  for (let i = 0; i < 7; i++) {
    for (const layout of Object.keys(LAYOUTS) as Layout[]) {
      const { append, sequence } = await round(layout);
      if (i < 2) continue;
      const entry = times.get(layout) ?? { append: [], sequence: [] };
      entry.append.push(append);
      entry.sequence.push(sequence);
      times.set(layout, entry);
    }
  }
  console.log(`| layout (${N.toLocaleString('en')} events) | append + COMMIT (ms) | numbering (ms) | total (ms) |\n|---|---:|---:|---:|`);
  for (const [layout, { append, sequence }] of times) {
    console.log(`| ${layout} | ${median(append).toFixed(0)} | ${median(sequence).toFixed(0)} | ${(median(append) + median(sequence)).toFixed(0)} |`);
  }
} finally {
  await driver.close();
  await database.stop();
}
