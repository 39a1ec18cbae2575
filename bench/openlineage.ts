/**
 * OpenLineage ingest against its limit. A realistic stream: PAIRS job runs, each a START and a
 * COMPLETE event naming 3 input datasets (without a version facet: they link the newest
 * version) and 1 output dataset (a new version per run), over a warehouse of 200 tables.
 *
 * - Pedigree: the events POSTed to /openlineage/<project>/api/v1/lineage of a gateway child
 *   process (validation, the recordLineage unit of work, events and audit), WORKERS at a time.
 * - Limit: hand-written Cypher through the same driver writing the same nodes and edges (run,
 *   datasets, versions, USED, GENERATED_BY, VERSION_OF, an Event and an AuditEntry per change),
 *   one single-statement transaction per event, WORKERS at a time, in a project of its own.
 *
 * Prints events/s, median and p99 per event, and the ratio. Not a test.
 *
 *   [NEO4J_URI=bolt://...] node bench/openlineage.ts [pairs=10000] [workers=4]
 */
import { randomUUID } from 'node:crypto';
import neo4j from 'neo4j-driver';
import { newId } from '../src/domain/ids.ts';
import { fetchOnce, startBenchGateway } from './lib/gateway.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { createProject } from './lib/pedigree.ts';
import { summarize } from './lib/stats.ts';

const PAIRS = Number(process.argv[2] ?? 10_000);
const WORKERS = Number(process.argv[3] ?? 4);
const TABLES = 200;

interface Job {
  readonly runId: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly output: string;
}

/** Job i reads three tables and writes a fourth; the same stream for both contenders. */
function stream(): Job[] {
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: PAIRS }, (_, i) => {
    const inputs = new Set<string>();
    while (inputs.size < 3) inputs.add(`t${Math.floor(random() * TABLES)}`);
    const output = `t${(i * 7) % TABLES}`;
    inputs.delete(output);
    return { runId: randomUUID(), name: `job${i % 50}`, inputs: [...inputs], output };
  });
}

function event(job: Job, eventType: 'START' | 'COMPLETE'): Record<string, unknown> {
  const dataset = (name: string) => ({ namespace: 'warehouse', name, facets: {} });
  return {
    eventType,
    eventTime: new Date().toISOString(),
    producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId: job.runId, facets: {} },
    job: { namespace: 'airflow', name: job.name, facets: {} },
    inputs: job.inputs.map(dataset),
    outputs: [dataset(job.output)],
  };
}

/** Runs every job's START then COMPLETE, WORKERS jobs at a time; per-event times in ms. */
async function drive(jobs: readonly Job[], send: (job: Job, eventType: 'START' | 'COMPLETE') => Promise<void>): Promise<{ seconds: number; times: number[] }> {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        for (const eventType of ['START', 'COMPLETE'] as const) {
          const t = performance.now();
          await send(job, eventType);
          times.push(performance.now() - t);
        }
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, times };
}

// The limit: one statement per event. The run by externalId; each input table's version the run
// already used, else its newest (version 1 created when it has none); the output's version of this run (numbered under the
// dataset's lock); the edges; an Event and an AuditEntry per change.
const LIMIT_EVENT = `
MERGE (r:Run:LineageNode {projectId: $projectId, externalId: $runId})
ON CREATE SET r.id = $newRunId, r.name = $name, r.type = 'DATA_PROCESSING', r.status = 'RUNNING', r.paramsJson = '{}',
  r.summaryMetricsJson = '{}', r.createdAt = datetime(), r.startedAt = datetime(), r.createdBy = 'bench', r.__new = true
WITH r, coalesce(r.__new, false) AS runCreated
REMOVE r.__new
WITH r, runCreated
CALL (r) {
  UNWIND $inputs AS input
  MERGE (d:Dataset {projectId: $projectId, name: input.name})
  ON CREATE SET d.id = input.datasetId, d.nextNumber = 1, d.createdAt = datetime()
  SET d._lock = true REMOVE d._lock
  WITH d, input
  OPTIONAL MATCH (r)-[:USED]->(used:DatasetVersion {datasetId: d.id})
  WITH d, input, head(collect(used)) AS used
  OPTIONAL MATCH (newest:DatasetVersion {datasetId: d.id, number: d.nextNumber - 1})
  WITH d, input, coalesce(used, newest) AS v
  CALL (d, v, input) {
    WITH d, v, input WHERE v IS NULL
    CREATE (n:DatasetVersion:LineageNode {id: input.versionId, projectId: $projectId, datasetId: d.id, number: 1, digest: input.digest,
      uri: input.name, propertiesJson: '{}', createdAt: datetime(), createdBy: 'bench'})-[:VERSION_OF]->(d)
    SET d.nextNumber = 2
    CREATE (:Event:Unsequenced {id: randomUUID(), kind: 'DATASET_VERSION_CREATED', projectId: $projectId, subjectId: n.id, occurredAt: datetime()})
    RETURN n AS created
    UNION
    WITH v WHERE v IS NOT NULL
    RETURN v AS created
  }
  MERGE (r)-[u:USED]->(created) ON CREATE SET u.createdAt = datetime()
  RETURN count(*) AS inputs
}
CALL (r) {
  MERGE (d:Dataset {projectId: $projectId, name: $output.name})
  ON CREATE SET d.id = $output.datasetId, d.nextNumber = 1, d.createdAt = datetime()
  SET d._lock = true REMOVE d._lock
  WITH d
  MERGE (v:DatasetVersion:LineageNode {datasetId: d.id, digest: $output.digest})
  ON CREATE SET v.id = $output.versionId, v.projectId = $projectId, v.number = d.nextNumber, v.uri = $output.name,
    v.propertiesJson = '{}', v.createdAt = datetime(), v.createdBy = 'bench', v.__new = true, d.nextNumber = d.nextNumber + 1
  WITH d, v, coalesce(v.__new, false) AS versionCreated
  REMOVE v.__new
  MERGE (v)-[g:GENERATED_BY]->(r) ON CREATE SET g.createdAt = datetime()
  MERGE (v)-[:VERSION_OF]->(d)
  FOREACH (_ IN CASE WHEN versionCreated THEN [1] ELSE [] END |
    CREATE (:Event:Unsequenced {id: randomUUID(), kind: 'DATASET_VERSION_CREATED', projectId: $projectId, subjectId: v.id, occurredAt: datetime()}))
  RETURN count(*) AS outputs
}
WITH r, runCreated
FOREACH (_ IN CASE WHEN runCreated THEN [1] ELSE [] END |
  CREATE (:Event:Unsequenced {id: randomUUID(), kind: 'RUN_STARTED', projectId: $projectId, subjectId: r.id, occurredAt: datetime()}))
FOREACH (_ IN CASE WHEN $complete AND r.status = 'RUNNING' THEN [1] ELSE [] END |
  SET r.status = 'COMPLETED', r.endedAt = datetime()
  CREATE (:Event:Unsequenced {id: randomUUID(), kind: 'RUN_FINISHED', projectId: $projectId, subjectId: r.id, occurredAt: datetime()}))
CREATE (:AuditEntry {id: randomUUID(), projectId: $projectId, at: datetime(), actor: 'bench', action: 'openlineage', subjectId: r.id})`;

const database = await benchNeo4j({ heap: '1g', pagecache: '512m' });
const gateway = await startBenchGateway(database.uri);
const driver = neo4j.driver(database.uri, neo4j.auth.basic('neo4j', 'neo4j'), { disableLosslessIntegers: true });
try {
  const jobs = stream();
  const project = await createProject(gateway, `openlineage-bench-${Date.now()}`);
  const token = (
    await gateway.post<{ createApiToken: { token: string } }>('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', {
      input: { project, role: 'WRITER', name: 'bench' },
    })
  ).createApiToken.token;
  const endpoint = gateway.url.replace(/\/graphql$/, `/openlineage/${project}/api/v1/lineage`);

  const digest = (...parts: string[]) => `sha256:${Buffer.from(parts.join('/')).toString('hex').padEnd(16, '0')}`;
  const limitProject = `prj_limit_${Date.now()}`;
  const sendLimit = async (job: Job, eventType: 'START' | 'COMPLETE') => {
    await driver.executeQuery(
      LIMIT_EVENT,
      {
        projectId: limitProject,
        runId: job.runId,
        newRunId: newId('Run'),
        name: job.name,
        complete: eventType === 'COMPLETE',
        inputs: job.inputs.map((name) => ({ name, datasetId: newId('Dataset'), versionId: newId('DatasetVersion'), digest: digest(name, 'first') })),
        output: { name: job.output, datasetId: newId('Dataset'), versionId: newId('DatasetVersion'), digest: digest(job.output, job.runId) },
      },
      { database: 'neo4j' },
    );
  };
  const sendPedigree = async (job: Job, eventType: 'START' | 'COMPLETE') => {
    const response = await fetchOnce(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(event(job, eventType)),
    });
    if (response.status !== 201) throw new Error(`event refused: ${response.status} ${await response.text()}`);
  };

  // Warm-up on jobs of their own (plans cached, the JIT warm), then the timed stream.
  const warm = stream().slice(0, Math.min(200, PAIRS)).map((job) => ({ ...job, runId: randomUUID() }));
  await drive(warm, sendLimit);
  await drive(warm, sendPedigree);
  const limit = await drive(jobs, sendLimit);
  const pedigree = await drive(jobs, sendPedigree);

  const check = await driver.executeQuery(
    `MATCH (r:Run) WHERE r.projectId IN [$a, $b] AND r.status = 'COMPLETED'
     RETURN r.projectId AS project, count(r) AS runs, sum(COUNT { (r)-[:USED]->() }) AS used, sum(COUNT { ()-[:GENERATED_BY]->(r) }) AS generated`,
    { a: project, b: limitProject },
  );
  const shape = Object.fromEntries(check.records.map((r) => [r.get('project') === project ? 'pedigree' : 'limit', `${r.get('runs')} runs, ${r.get('used')} USED, ${r.get('generated')} GENERATED_BY`]));

  const row = (name: string, result: { seconds: number; times: number[] }) => {
    const s = summarize(result.times);
    return { name, rate: result.times.length / result.seconds, median: s.median, p99: s.p99 };
  };
  const rows = [row('hand-written Cypher (limit)', limit), row('Pedigree POST /openlineage/.../api/v1/lineage', pedigree)];
  console.log(`\nOpenLineage ingest: ${PAIRS} START/COMPLETE pairs (3 inputs, 1 output each), ${WORKERS} concurrent clients, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log('| contender | events/s | median ms/event | p99 ms/event |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.name} | ${r.rate.toFixed(0)} | ${r.median.toFixed(1)} | ${r.p99.toFixed(1)} |`);
  console.log(`\nPedigree / limit (events/s): ${(rows[1]!.rate / rows[0]!.rate).toFixed(2)}x (target >= 0.5x)`);
  console.log(`written: limit ${shape['limit']}; Pedigree ${shape['pedigree']}`);
} finally {
  await driver.close();
  await gateway.stop();
  await database.stop();
}
