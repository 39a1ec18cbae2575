/**
 * The event stream through real HTTP and graphql-ws clients: what each mutation appends, replay
 * then live, filters on both paths, ordering under concurrent writers, resume, upstreamOf.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../support/graph.ts';
import { createProject, headCursor, pollAll, registerDataset, subscribe, type ReceivedEvent } from '../support/events.ts';

const server = useGateway();

const seqOf = (cursor: string) => Number(Buffer.from(cursor, 'base64url').toString().split(':')[1]);
const ascending = (events: readonly ReceivedEvent[]) => events.every((e, i) => i === 0 || seqOf(e.cursor) > seqOf(events[i - 1]!.cursor));

async function mutate(query: string, input: Record<string, unknown>): Promise<any> {
  const data = await server.ok<any>(query, { input });
  return Object.values(data)[0];
}
const START_RUN = 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }';
const FINISH_RUN = 'mutation($input: FinishRunInput!) { finishRun(input: $input) { id } }';
const CHECKPOINT = 'mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id } }';
const ARTIFACT = 'mutation($input: RecordArtifactInput!) { recordArtifact(input: $input) { id } }';
const REGISTER_MODEL = 'mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id model { id } } }';
const SET_ALIAS = 'mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { name } }';
const SET_STATUS = 'mutation($input: SetModelVersionStatusInput!) { setModelVersionStatus(input: $input) { id } }';
const DEPLOY = 'mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }';
const ROLLBACK = 'mutation($input: RollbackDeploymentInput!) { rollbackDeployment(input: $input) { id } }';

/** dataset v(digest) -> run -> checkpoint -> model version -> deployment; returns the ids. */
async function trainedDeployment(project: string, dataset: string, digest: number, model: string) {
  const data = await registerDataset(server, project, dataset, digest);
  const run = (await mutate(START_RUN, { project, name: `train-${model}`, type: 'TRAINING', inputs: [{ id: data, role: 'train' }] })).id;
  const checkpoint = (await mutate(CHECKPOINT, { run, step: 100, uri: `s3://ckpt/${model}/100` })).id;
  await mutate(FINISH_RUN, { run, status: 'COMPLETED' });
  const version = await mutate(REGISTER_MODEL, { project, model, source: checkpoint });
  const deployment = (await mutate(DEPLOY, { version: version.id, environment: 'prod' })).id;
  return { data, run, checkpoint, version: version.id, model: version.model.id, deployment };
}

describe('the outbox', () => {
  it('appends one event per change, in the same transaction, and none for a deduplicated or no-op call', async () => {
    const project = await createProject(server, unique('ev-kinds'));
    const driver = testDriver();
    try {
      const t = await trainedDeployment(project, 'clicks', 1, 'ranker');
      const before = await graphCounts(driver);
      await registerDataset(server, project, 'clicks', 1); // same digest
      await mutate(START_RUN, { project, name: 'again', type: 'TRAINING', idempotencyKey: 'k1' });
      await mutate(START_RUN, { project, name: 'again', type: 'TRAINING', idempotencyKey: 'k1' }); // same key: no second event
      await mutate(CHECKPOINT, { run: t.run, step: 100, uri: `s3://ckpt/ranker/100` }); // same step
      await mutate(FINISH_RUN, { run: t.run, status: 'COMPLETED' }); // already finished
      await mutate(SET_STATUS, { version: t.version, status: 'VALIDATED' });
      await mutate(SET_STATUS, { version: t.version, status: 'VALIDATED' }); // no-op
      await mutate(SET_ALIAS, { model: t.model, alias: 'champion', version: t.version });
      await mutate(SET_ALIAS, { model: t.model, alias: 'champion', version: t.version }); // already there
      await mutate(ARTIFACT, { project, type: 'report', name: 'eval', digest: 'sha256:00000000000000aa' });
      await mutate(ARTIFACT, { project, type: 'report', name: 'eval', digest: 'sha256:00000000000000aa' }); // same digest
      const v2 = await mutate(REGISTER_MODEL, { project, model: 'ranker', source: t.checkpoint, aliases: ['champion'] });
      await mutate(DEPLOY, { version: v2.id, environment: 'prod' });
      await mutate(ROLLBACK, { model: t.model, environment: 'prod' });
      const after = await graphCounts(driver);
      expect(after.events - before.events).toBe(10);
    } finally {
      await driver.close();
    }
    const kinds = (await pollAll(server, { projects: [project] })).map((e) => e.kind);
    expect(kinds).toEqual([
      'DATASET_VERSION_CREATED',
      'RUN_STARTED',
      'CHECKPOINT_CREATED',
      'RUN_FINISHED',
      'MODEL_VERSION_CREATED',
      'DEPLOYMENT_CREATED',
      'RUN_STARTED',
      'MODEL_VERSION_STATUS_CHANGED',
      'MODEL_ALIAS_MOVED',
      'ARTIFACT_CREATED',
      'MODEL_VERSION_CREATED',
      'MODEL_ALIAS_MOVED',
      'DEPLOYMENT_CREATED',
      'DEPLOYMENT_STATUS_CHANGED',
      'DEPLOYMENT_CREATED',
      'DEPLOYMENT_STATUS_CHANGED',
    ]);
  });
});

describe('versionEvents', () => {
  it('replays after a cursor, then continues live, with the same events and cursors as polling', async () => {
    const project = await createProject(server, unique('ev-replay'));
    const start = await headCursor(server);
    await registerDataset(server, project, 'clicks', 1);
    await registerDataset(server, project, 'clicks', 2);
    const subscriber = await subscribe(server.gateway.wsUrl, { filter: { projects: [project] }, after: start });
    await subscriber.waitFor(2);
    await registerDataset(server, project, 'clicks', 3);
    await registerDataset(server, project, 'clicks', 2); // deduplicated: no event
    await registerDataset(server, project, 'views', 1);
    await subscriber.waitFor(4);
    const polled = await pollAll(server, { projects: [project] }, start);
    expect(polled.map((e) => e.kind)).toEqual(Array(4).fill('DATASET_VERSION_CREATED'));
    expect(subscriber.events).toEqual(polled);
    await subscriber.close();
    expect(subscriber.errors).toEqual([]);
  });

  it('delivers to each of 5 filtered subscribers exactly its events, in log order, while 3 writers make 1,000 changes', async () => {
    const a = await createProject(server, unique('ev-load-a'));
    const b = await createProject(server, unique('ev-load-b'));
    const start = await headCursor(server);
    const filters: Record<string, unknown>[] = [
      { projects: [a, b] },
      { projects: [a] },
      { projects: [a, b], kinds: ['RUN_STARTED'] },
      { projects: [a, b], names: ['w0-d0', 'w2-d1'] },
      { projects: [b], kinds: ['DATASET_VERSION_CREATED'] },
    ];
    const subscribers = await Promise.all(filters.map((filter) => subscribe(server.gateway.wsUrl, { filter, after: start })));
    const writer = async (w: number, changes: number) => {
      const project = w === 2 ? b : a;
      for (let i = 0; i < changes; i += 1) {
        if (i % 10 === 9) await mutate(START_RUN, { project, name: `w${w}-run`, type: 'TRAINING' });
        else await registerDataset(server, project, `w${w}-d${i % 3}`, w * 100_000 + i);
      }
    };
    await Promise.all([writer(0, 334), writer(1, 333), writer(2, 333)]);
    const log = await pollAll(server, { projects: [a, b] }, start);
    expect(log).toHaveLength(1_000);
    expect(ascending(log)).toBe(true);
    for (const [i, filter] of filters.entries()) {
      const expected = await pollAll(server, filter, start);
      await subscribers[i]!.waitFor(expected.length);
      expect(subscribers[i]!.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      expect(subscribers[i]!.events.map((e) => e.cursor)).toEqual(expected.map((e) => e.cursor));
    }
    // The polled filters agree with filtering the whole log by hand.
    expect((await pollAll(server, filters[2], start)).length).toBe(log.filter((e) => e.kind === 'RUN_STARTED').length);
    expect((await pollAll(server, filters[4], start)).length).toBe(log.filter((e) => e.projectId === b && e.kind === 'DATASET_VERSION_CREATED').length);
    await Promise.all(subscribers.map((s) => s.close()));
    for (const s of subscribers) expect(s.errors).toEqual([]);
  }, 240_000);

  it('resumes from the last cursor after a disconnect: the union of what it received is the log, without gaps', async () => {
    const project = await createProject(server, unique('ev-resume'));
    const start = await headCursor(server);
    const filter = { projects: [project] };
    const first = await subscribe(server.gateway.wsUrl, { filter, after: start });
    const writing = (async () => {
      for (let i = 0; i < 120; i += 1) await registerDataset(server, project, 'clicks', i + 1);
    })();
    await first.waitFor(20);
    await first.close();
    const received = [...first.events];
    const second = await subscribe(server.gateway.wsUrl, { filter, after: received.at(-1)!.cursor });
    await writing;
    const log = await pollAll(server, filter, start);
    expect(log).toHaveLength(120);
    await second.waitFor(log.length - received.length);
    const union = [...received, ...second.events];
    const distinct = [...new Map(union.map((e) => [e.id, e])).values()];
    expect(distinct.map((e) => e.id)).toEqual(log.map((e) => e.id));
    expect(union.length - distinct.length).toBeLessThanOrEqual(1);
    await second.close();
  });

  it('upstreamOf: a new version of the training data notifies the watcher of that deployment only, and follows lineage added later', async () => {
    const project = await createProject(server, unique('ev-stale'));
    const clicks = await trainedDeployment(project, 'clicks', 3, 'ctr');
    const other = await trainedDeployment(project, 'weather', 1, 'forecast');
    const start = await headCursor(server);
    const watchClicks = await subscribe(server.gateway.wsUrl, { filter: { upstreamOf: clicks.deployment }, after: start });
    const watchOther = await subscribe(server.gateway.wsUrl, { filter: { upstreamOf: other.deployment }, after: start });

    const clicksV4 = await registerDataset(server, project, 'clicks', 4);
    const weatherV2 = await registerDataset(server, project, 'weather', 2);
    await watchClicks.waitFor(1);
    await watchOther.waitFor(1);
    expect(watchClicks.events.map((e) => e.subjectId)).toEqual([clicksV4]);
    expect(watchOther.events.map((e) => e.subjectId)).toEqual([weatherV2]); // not clicks v4, which came first

    // New lineage: clicks v3 turns out to be the output of an ingest run that read raw v1.
    const raw = await registerDataset(server, project, 'raw-clicks', 1);
    const ingest = (await mutate(START_RUN, { project, name: 'ingest', type: 'DATA_PROCESSING', inputs: [{ id: raw }] })).id;
    await mutate(FINISH_RUN, { run: ingest, status: 'COMPLETED', outputs: [{ id: clicks.data }] });
    const rawV2 = await registerDataset(server, project, 'raw-clicks', 2);
    await watchClicks.waitFor(2);
    expect(watchClicks.events.map((e) => e.subjectId)).toEqual([clicksV4, rawV2]);
    const polled = await pollAll(server, { upstreamOf: clicks.deployment }, start);
    expect(polled.map((e) => e.subjectId)).toEqual([clicksV4, rawV2]);
    await Promise.all([watchClicks.close(), watchOther.close()]);
  });
});

describe('bad input', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a project id that is not one', { filter: { projects: ['ds_x'] } }, 'filter.projects[0]'],
    ['an empty list', { filter: { kinds: [] } }, 'filter.kinds'],
    ['an empty name', { filter: { names: [''] } }, 'filter.names[0]'],
    ['upstreamOf that is not a lineage id', { filter: { upstreamOf: 'prj_123' } }, 'filter.upstreamOf'],
    ['a cursor we did not make', { after: 'not-a-cursor' }, 'after'],
  ];
  for (const [what, variables, field] of cases) {
    it(`answers BAD_USER_INPUT on ${field} for ${what}, on both transports`, async () => {
      const polled = await server.gql('query($filter: EventFilter, $after: String) { events(filter: $filter, after: $after) { nodes { id } } }', variables);
      expect(polled.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      const subscriber = await subscribe(server.gateway.wsUrl, variables as never);
      await subscriber.done;
      expect(subscriber.errors[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
      expect(subscriber.events).toEqual([]);
    });
  }

  it('rejects an unknown event kind and a page size out of range', async () => {
    const kind = await server.gql('{ events(filter: { kinds: [NOPE] }) { nodes { id } } }');
    expect(kind.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    const first = await server.gql('{ events(first: 0) { nodes { id } } }');
    expect(first.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('answers NOT_FOUND for upstreamOf a node that does not exist', async () => {
    const result = await server.gql('{ events(filter: { upstreamOf: "dsv_0000" }) { nodes { id } } }');
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'filter.upstreamOf' });
  });
});
