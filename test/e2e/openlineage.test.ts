/**
 * OpenLineage ingest end to end: the real openlineage-python client against a real gateway and
 * Neo4j. A pipeline's data lineage (extract -> clicks -> features) joins a training run recorded
 * through GraphQL, and the model version's upstream reaches back through both jobs.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { useGateway } from '../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../support/graph.ts';
import { runPython } from '../support/python.ts';

const SCRIPT = join(import.meta.dirname, '..', 'python', 'openlineage_emit.py');

const driver = testDriver();
let base: string;

const server = useGateway();
beforeAll(async () => {
  base = server.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await driver.close();
});

interface Dataset {
  namespace: string;
  name: string;
  version?: string;
  schema?: [string, string][];
  dataSource?: string;
}
interface EventSpec {
  eventType: 'START' | 'RUNNING' | 'COMPLETE' | 'FAIL' | 'ABORT' | 'OTHER';
  runId: string;
  job: { namespace: string; name: string };
  inputs?: Dataset[];
  outputs?: Dataset[];
  parent?: { runId: string; namespace: string; name: string };
  error?: string;
  code?: { url: string; path: string; commit: string };
}
type Emitted = { ok: true } | { ok: false; status: number; body: { code: string; message: string } };

/** Emits the events with openlineage-python, configured by OPENLINEAGE_URL and OPENLINEAGE_API_KEY. */
async function emit(url: string, token: string, events: EventSpec[]): Promise<Emitted[]> {
  const result = await runPython(inject('python'), [SCRIPT, JSON.stringify(events)], { OPENLINEAGE_URL: url, OPENLINEAGE_API_KEY: token });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Emitted);
}

async function createProject(): Promise<{ id: string; name: string }> {
  const name = unique('ol');
  const id = (await server.ok('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name })).createProject.id as string;
  return { id, name };
}

async function tokenFor(project: string, role: 'VIEWER' | 'WRITER' | 'ADMIN'): Promise<string> {
  const data = await server.ok('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', {
    input: { project, role, name: unique('tok') },
  });
  return data.createApiToken.token as string;
}

/** A RunEvent as the client would serialize it (for requests that do not go through the client). */
function rawEvent(spec: EventSpec): Record<string, unknown> {
  const facet = { _producer: 'https://example.com/producer', _schemaURL: 'https://openlineage.io/spec/facets/1-0-1/X.json' };
  const dataset = (d: Dataset) => ({ namespace: d.namespace, name: d.name, facets: d.version ? { version: { ...facet, datasetVersion: d.version } } : {} });
  return {
    eventType: spec.eventType,
    eventTime: new Date().toISOString(),
    producer: 'https://example.com/producer',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId: spec.runId, facets: spec.error ? { errorMessage: { ...facet, message: spec.error, programmingLanguage: 'PYTHON' } } : {} },
    job: { namespace: spec.job.namespace, name: spec.job.name, facets: {} },
    inputs: (spec.inputs ?? []).map(dataset),
    outputs: (spec.outputs ?? []).map(dataset),
  };
}

async function post(path: string, token: string | null, body: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** Sends the request, expects `status` and `code`, and checks that nothing was written. */
async function refused(path: string, token: string | null, body: unknown, status: number, code: string): Promise<Record<string, any>> {
  const before = await graphCounts(driver);
  const answer = await post(path, token, body);
  expect(answer.status, JSON.stringify(answer.body).slice(0, 500)).toBe(status);
  expect(answer.body['code']).toBe(code);
  expect(await graphCounts(driver)).toEqual(before);
  return answer.body;
}

interface StoredRun {
  id: string;
  name: string;
  status: string;
  jobNamespace: string;
  jobName: string;
  errorMessageJson: string | null;
  codeJson: string | null;
  parent: string | null;
}

async function runByExternalId(projectId: string, externalId: string): Promise<StoredRun[]> {
  const { records } = await driver.executeQuery(
    `MATCH (r:Run {projectId: $projectId, externalId: $externalId})
     OPTIONAL MATCH (r)-[:CHILD_OF]->(p:Run)
     RETURN r {.id, .name, .status, .jobNamespace, .jobName, .errorMessageJson, .codeJson} AS run, p.externalId AS parent`,
    { projectId, externalId },
  );
  return records.map((r) => ({ ...(r.get('run') as Omit<StoredRun, 'parent'>), parent: r.get('parent') as string | null }));
}

async function eventKinds(projectId: string): Promise<Record<string, number>> {
  const { records } = await driver.executeQuery('MATCH (e:Event {projectId: $projectId}) RETURN e.kind AS kind, count(*) AS n', { projectId });
  return Object.fromEntries(records.map((r) => [r.get('kind') as string, r.get('n') as number]));
}

async function versionsOf(projectId: string, name: string) {
  const data = await server.ok(
    `query($project: ID!, $name: String!) {
       dataset(project: $project, name: $name) {
         versions(first: 50) { nodes { id number label schema properties producedBy { id name status } } }
       }
     }`,
    { project: projectId, name },
  );
  return (data.dataset?.versions.nodes ?? []) as { id: string; number: number; label: string | null; schema: any; properties: any; producedBy: { id: string; name: string; status: string } | null }[];
}

describe('a pipeline recorded with openlineage-python joins a training run recorded with GraphQL', () => {
  it('upstream of the model version reaches both jobs and both datasets; downstream of clicks reaches the model version', async () => {
    const project = await createProject();
    const token = await tokenFor(project.id, 'WRITER');
    const url = `${base}/openlineage/${project.name}/`;
    const dagRun = randomUUID();
    const extract = randomUUID();
    const features = randomUUID();
    const parent = { runId: dagRun, namespace: 'airflow', name: 'daily_clicks' };
    const clicks: Dataset = { namespace: 'warehouse', name: 'clicks', version: '2026-11-30', schema: [['user_id', 'BIGINT'], ['ts', 'TIMESTAMP']], dataSource: 'postgres://db:5432/warehouse' };
    const extractJob = { namespace: 'airflow', name: 'extract' };
    const featuresJob = { namespace: 'airflow', name: 'features' };
    const code = { url: 'https://git.example.com/pipelines.git', path: 'dags/clicks.py', commit: '4f2a9c1' };

    const emitted = await emit(url, token, [
      { eventType: 'START', runId: extract, job: extractJob, outputs: [clicks], parent, code },
      { eventType: 'COMPLETE', runId: extract, job: extractJob, outputs: [clicks], parent, code },
      { eventType: 'START', runId: features, job: featuresJob, inputs: [{ namespace: 'warehouse', name: 'clicks' }], outputs: [{ namespace: 'warehouse', name: 'features' }], parent },
      { eventType: 'COMPLETE', runId: features, job: featuresJob, inputs: [{ namespace: 'warehouse', name: 'clicks' }], outputs: [{ namespace: 'warehouse', name: 'features' }], parent },
    ]);
    expect(emitted).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);

    const [clicksVersion, ...moreClicks] = await versionsOf(project.id, 'warehouse/clicks');
    expect(moreClicks).toEqual([]);
    expect(clicksVersion).toMatchObject({
      number: 1,
      label: '2026-11-30',
      schema: { fields: [{ name: 'user_id', type: 'BIGINT' }, { name: 'ts', type: 'TIMESTAMP' }] },
      properties: { openlineage: { namespace: 'warehouse', name: 'clicks' }, dataSource: { name: 'warehouse', uri: 'postgres://db:5432/warehouse' } },
      producedBy: { name: 'extract', status: 'COMPLETED' },
    });
    const [featuresVersion, ...moreFeatures] = await versionsOf(project.id, 'warehouse/features');
    expect(moreFeatures).toEqual([]);
    expect(featuresVersion!.producedBy).toMatchObject({ name: 'features', status: 'COMPLETED' });

    const [extractRun] = await runByExternalId(project.id, extract);
    expect(extractRun).toMatchObject({ name: 'extract', status: 'COMPLETED', jobNamespace: 'airflow', jobName: 'extract', parent: dagRun });
    expect(JSON.parse(extractRun!.codeJson!)).toMatchObject({ repository: code.url, commit: code.commit, path: code.path });
    const [featuresRun] = await runByExternalId(project.id, features);
    const inputs = await server.ok('query($id: ID!) { run(id: $id) { inputs { node { id } } } }', { id: featuresRun!.id });
    expect(inputs.run.inputs).toEqual([{ node: { id: clicksVersion!.id } }]);

    // Training through GraphQL on the features version, then a model version from that run.
    const train = await server.ok(
      'mutation($input: StartRunInput!) { startRun(input: $input) { id } }',
      { input: { project: project.id, name: 'train-ctr', type: 'TRAINING', inputs: [{ id: featuresVersion!.id }] } },
    );
    await server.ok('mutation($run: ID!) { finishRun(input: { run: $run, status: COMPLETED }) { id } }', { run: train.startRun.id });
    const model = await server.ok('mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id } }', {
      input: { project: project.id, model: 'ctr', source: train.startRun.id },
    });
    const modelVersion = model.registerModelVersion.id as string;

    const upstream = await server.ok('query($id: ID!) { node(id: $id) { upstream { nodes { node { id } } } } }', { id: modelVersion });
    const reached = new Set((upstream.node.upstream.nodes as { node: { id: string } }[]).map((hit) => hit.node.id));
    for (const id of [train.startRun.id, featuresVersion!.id, featuresRun!.id, clicksVersion!.id, extractRun!.id]) expect(reached).toContain(id);
    const downstream = await server.ok('query($id: ID!) { node(id: $id) { downstream { nodes { node { id } } } } }', { id: clicksVersion!.id });
    expect((downstream.node.downstream.nodes as { node: { id: string } }[]).map((hit) => hit.node.id)).toContain(modelVersion);

    // The same events as the mutations: two runs started and finished, one placeholder parent
    // run started, two dataset versions; and audit entries under the OpenLineage unit.
    expect(await eventKinds(project.id)).toMatchObject({ RUN_STARTED: 4, RUN_FINISHED: 3, DATASET_VERSION_CREATED: 2, MODEL_VERSION_CREATED: 1 });
    const { records } = await driver.executeQuery("MATCH (a:AuditEntry {projectId: $projectId, action: 'openlineage'}) RETURN count(a) AS n", { projectId: project.id });
    expect(records[0]!.get('n')).toBeGreaterThan(0);
  }, 240_000); // a Python interpreter importing the client, on a busy machine, plus the checks
});

describe('idempotence', () => {
  let project: { id: string; name: string };
  let token: string;
  beforeAll(async () => {
    project = await createProject();
    token = await tokenFor(project.id, 'WRITER');
  });
  const path = () => `/openlineage/${project.name}/api/v1/lineage`;

  it('COMPLETE before START, then duplicates of both: one run, one output version, one edge each, events once', async () => {
    const runId = randomUUID();
    const job = { namespace: 'spark', name: unique('job') };
    const spec = { runId, job, inputs: [{ namespace: 's3://lake', name: '/raw/events' }], outputs: [{ namespace: 's3://lake', name: '/clean/events' }] };
    expect((await post(path(), token, rawEvent({ ...spec, eventType: 'COMPLETE' }))).status).toBe(201);
    const after = await graphCounts(driver);
    for (const eventType of ['START', 'COMPLETE', 'START', 'RUNNING', 'COMPLETE'] as const) {
      const answer = await post(path(), token, rawEvent({ ...spec, eventType }));
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    }
    expect(await graphCounts(driver)).toEqual(after);
    const runs = await runByExternalId(project.id, runId);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('COMPLETED');
    // One `/` between namespace and name.
    expect(await versionsOf(project.id, 's3://lake/clean/events')).toHaveLength(1);
    expect((await versionsOf(project.id, 's3://lake/raw/events'))[0]).toMatchObject({ number: 1, producedBy: null });
    const { records } = await driver.executeQuery(
      'MATCH (r:Run {id: $id}) RETURN COUNT { (r)-[:USED]->() } AS used, COUNT { ()-[:GENERATED_BY]->(r) } AS generated',
      { id: runs[0]!.id },
    );
    expect([records[0]!.get('used'), records[0]!.get('generated')]).toEqual([1, 1]);
  });

  it('START then COMPLETE adds what COMPLETE names and finishes the run once', async () => {
    const runId = randomUUID();
    const job = { namespace: 'dbt', name: unique('model') };
    const before = await eventKinds(project.id);
    expect((await post(path(), token, rawEvent({ eventType: 'START', runId, job, inputs: [{ namespace: 'pg', name: 'a' }] }))).status).toBe(201);
    expect((await post(path(), token, rawEvent({ eventType: 'COMPLETE', runId, job, inputs: [{ namespace: 'pg', name: 'a' }], outputs: [{ namespace: 'pg', name: 'b' }] }))).status).toBe(201);
    expect((await post(path(), token, rawEvent({ eventType: 'COMPLETE', runId, job }))).status).toBe(201);
    const after = await eventKinds(project.id);
    expect((after['RUN_STARTED'] ?? 0) - (before['RUN_STARTED'] ?? 0)).toBe(1);
    expect((after['RUN_FINISHED'] ?? 0) - (before['RUN_FINISHED'] ?? 0)).toBe(1);
    expect((await versionsOf(project.id, 'pg/b'))[0]!.producedBy).toMatchObject({ status: 'COMPLETED' });
  });

  it('cost: COMPLETE after START is four reads and the state change; a duplicate writes nothing', async () => {
    const runId = randomUUID();
    const spec = { runId, job: { namespace: 'spark', name: unique('job') }, inputs: [{ namespace: 'pg', name: 'in' }], outputs: [{ namespace: 'pg', name: unique('out') }] };
    expect((await post(path(), token, rawEvent({ ...spec, eventType: 'START' }))).status).toBe(201);
    expect((await post(path(), token, rawEvent({ ...spec, eventType: 'COMPLETE' }))).status).toBe(201);
    // The project by name, four reads sent together (the run, its edges, versions by digest,
    // input versions), then finishRun's lock, change and event: no batch, since nothing is new.
    expect(server.lastQueryCount()).toBe(8);
    const before = await graphCounts(driver);
    expect((await post(path(), token, rawEvent({ ...spec, eventType: 'COMPLETE' }))).status).toBe(201);
    expect(server.lastQueryCount()).toBe(6);
    expect(server.lastStatements().filter((q) => /\bCREATE\b/.test(q))).toEqual([]);
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('a version facet names one version however many runs name it; an input without one links the newest', async () => {
    const dataset = { namespace: 'warehouse', name: unique('orders') };
    for (const version of ['v1', 'v2']) {
      for (let i = 0; i < 2; i++) {
        const answer = await post(path(), token, rawEvent({ eventType: 'COMPLETE', runId: randomUUID(), job: { namespace: 'etl', name: 'load' }, outputs: [{ ...dataset, version }] }));
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      }
    }
    const versions = await versionsOf(project.id, `warehouse/${dataset.name}`);
    expect(versions.map((v) => v.label)).toEqual(['v2', 'v1']);
    const reader = randomUUID();
    await post(path(), token, rawEvent({ eventType: 'START', runId: reader, job: { namespace: 'etl', name: 'read' }, inputs: [dataset] }));
    const [run] = await runByExternalId(project.id, reader);
    const inputs = await server.ok('query($id: ID!) { run(id: $id) { inputs { node { id } } } }', { id: run!.id });
    expect(inputs.run.inputs).toEqual([{ node: { id: versions[0]!.id } }]);
  });

  it('FAIL keeps the error message; a different end for a finished run is a conflict and writes nothing', async () => {
    const runId = randomUUID();
    const job = { namespace: 'spark', name: unique('job') };
    await post(path(), token, rawEvent({ eventType: 'START', runId, job }));
    expect((await post(path(), token, rawEvent({ eventType: 'FAIL', runId, job, error: 'Table or view not found: clicks' }))).status).toBe(201);
    const [run] = await runByExternalId(project.id, runId);
    expect(run!.status).toBe('FAILED');
    expect(JSON.parse(run!.errorMessageJson!)).toEqual({ message: 'Table or view not found: clicks', programmingLanguage: 'PYTHON' });
    const body = await refused(path(), token, rawEvent({ eventType: 'COMPLETE', runId, job, outputs: [{ namespace: 'x', name: 'y' }] }), 409, 'CONFLICT');
    expect(body['message']).toMatch(/already FAILED/);
  });
});

describe('refusals', () => {
  let project: { id: string; name: string };
  let other: { id: string; name: string };
  let writer: string;
  beforeAll(async () => {
    project = await createProject();
    other = await createProject();
    writer = await tokenFor(project.id, 'WRITER');
  });
  const event = () => rawEvent({ eventType: 'START', runId: randomUUID(), job: { namespace: 'ns', name: 'job' }, outputs: [{ namespace: 'ns', name: 'out' }] });
  const path = () => `/openlineage/${project.name}/api/v1/lineage`;

  it('an invalid event: 400 with the validator messages, nothing written', async () => {
    const body = await refused(path(), writer, { ...event(), eventType: 'DONE', run: { runId: 'not-a-uuid' }, eventTime: 'yesterday' }, 400, 'BAD_USER_INPUT');
    expect(body['errors']).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/event\.eventType must be equal to one of the allowed values/),
        expect.stringMatching(/event\.run\.runId must match format "uuid"/),
        expect.stringMatching(/event\.eventTime must match format "date-time"/),
      ]),
    );
    await refused(path(), writer, { ...event(), job: { namespace: 'ns' } }, 400, 'BAD_USER_INPUT');
    await refused(path(), writer, '{"eventType": "START",', 400, 'BAD_USER_INPUT');
  });

  it('a VIEWER token is refused (the client raises), nothing written', async () => {
    const viewer = await tokenFor(project.id, 'VIEWER');
    const before = await graphCounts(driver);
    const [answer] = await emit(`${base}/openlineage/${project.name}/`, viewer, [{ eventType: 'START', runId: randomUUID(), job: { namespace: 'ns', name: 'job' } }]);
    expect(answer).toMatchObject({ ok: false, status: 403, body: { code: 'FORBIDDEN' } });
    expect(await graphCounts(driver)).toEqual(before);
  });

  it("another project's prefix is refused, by name and by id, nothing written", async () => {
    await refused(`/openlineage/${other.name}/api/v1/lineage`, writer, event(), 404, 'NOT_FOUND');
    await refused(`/openlineage/${other.id}/api/v1/lineage`, writer, event(), 404, 'NOT_FOUND');
  });

  it('an unknown project, no credential: clear errors, nothing written', async () => {
    await refused('/openlineage/no-such-project/api/v1/lineage', writer, event(), 404, 'NOT_FOUND');
    await refused(path(), null, event(), 401, 'UNAUTHENTICATED');
  });

  it('a URL without the trailing slash (project dropped by urljoin) gets an error that says what to fix', async () => {
    const [answer] = await emit(`${base}/openlineage/${project.name}`, writer, [{ eventType: 'START', runId: randomUUID(), job: { namespace: 'ns', name: 'job' } }]);
    expect(answer).toMatchObject({ ok: false, status: 400 });
    expect((answer as { body: { message: string } }).body.message).toMatch(/trailing slash/);
  });

  it('a 10 MB facet, 10,001 datasets, a NUL character: clear errors, nothing written', async () => {
    const big = event() as { run: { facets: Record<string, unknown> } };
    big.run.facets['blob'] = { _producer: 'https://example.com/p', _schemaURL: 'https://example.com/s', data: 'x'.repeat(10 * 1024 * 1024) };
    expect((await refused(path(), writer, big, 413, 'LIMIT_EXCEEDED'))['message']).toMatch(/facet event\.run\.facets\.blob is \d+ bytes/);

    const many = { ...event(), outputs: [], inputs: Array.from({ length: 10_001 }, (_, i) => ({ namespace: 'ns', name: `t${i}` })) };
    expect((await refused(path(), writer, many, 413, 'LIMIT_EXCEEDED'))['message']).toMatch(/at most \d+ input and output datasets; this one names 10001/);

    const nul = { ...event(), outputs: [{ namespace: 'ns', name: 'bad\u0000name' }] };
    expect((await refused(path(), writer, nul, 400, 'BAD_USER_INPUT'))['message']).toMatch(/event\.outputs\[0\]\.name must not contain NUL/);
  });

  it("Marquez's plain /api/v1/lineage records in the project of a project token; a server-wide credential must name one", async () => {
    const runId = randomUUID();
    const answer = await post('/api/v1/lineage', writer, rawEvent({ eventType: 'START', runId, job: { namespace: 'ns', name: 'plain' } }));
    expect(answer.status).toBe(201);
    expect(await runByExternalId(project.id, runId)).toHaveLength(1);
    const body = await refused('/api/v1/lineage', 'test-admin-token-0123456789', event(), 400, 'BAD_USER_INPUT');
    expect(body['message']).toMatch(/\/openlineage\/<project>\/api\/v1\/lineage/);
  });

  it('job and dataset events are validated and acknowledged without a run to record', async () => {
    const before = await graphCounts(driver);
    const base = { eventTime: new Date().toISOString(), producer: 'https://example.com/p', schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent' };
    expect((await post(path(), writer, { ...base, job: { namespace: 'ns', name: 'static' } })).body).toEqual({ accepted: 'JobEvent', recorded: false });
    expect((await post(path(), writer, { ...base, dataset: { namespace: 'ns', name: 'static' } })).body).toEqual({ accepted: 'DatasetEvent', recorded: false });
    expect(await graphCounts(driver)).toEqual(before);
    await refused(path(), writer, { ...base, dataset: { namespace: 'ns' } }, 400, 'BAD_USER_INPUT');
  });
});
