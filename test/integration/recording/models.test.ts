import { afterAll, describe, expect, it } from 'vitest';
import { useGateway } from '../../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../../support/graph.ts';
import { createCheckpointFixture, createRunFixture } from '../../support/fixtures.ts';

const driver = testDriver();

const server = useGateway();
afterAll(async () => {
  await driver.close();
});

const CREATE_PROJECT = 'mutation($name: String!) { createProject(input: { name: $name }) { id } }';
const REGISTER = `mutation($input: RegisterModelVersionInput!) {
  registerModelVersion(input: $input) {
    id number semver status displayName aliases metrics kind
    model { id name }
    sourceCheckpoint { id }
    producedBy { id }
  }
}`;
const SET_STATUS = 'mutation($input: SetModelVersionStatusInput!) { setModelVersionStatus(input: $input) { id status } }';
const SET_ALIAS = `mutation($input: SetModelAliasInput!) {
  setModelAlias(input: $input) { name version { id number } history { from { id } to { id } } }
}`;
const DEPLOY = `mutation($input: DeployModelVersionInput!) {
  deployModelVersion(input: $input) { id status environment displayName replaces { id } modelVersion { id } }
}`;
const ROLLBACK = `mutation($input: RollbackDeploymentInput!) {
  rollbackDeployment(input: $input) { id status displayName replaces { id status } modelVersion { id number } }
}`;

interface Version {
  id: string;
  number: number;
  semver: string | null;
  status: string;
  displayName: string;
  aliases: string[];
  metrics: unknown;
  kind: string;
  model: { id: string; name: string };
  sourceCheckpoint: { id: string } | null;
  producedBy: { id: string } | null;
}

async function project(): Promise<string> {
  const data = await server.ok<{ createProject: { id: string } }>(CREATE_PROJECT, { name: unique('models') });
  return data.createProject.id;
}

async function register(input: Record<string, unknown>): Promise<Version> {
  return (await server.ok<{ registerModelVersion: Version }>(REGISTER, { input })).registerModelVersion;
}

async function events(subjectId: string): Promise<{ kind: string; name: string | null; previousId: string | null; alias: string | null }[]> {
  const { records } = await driver.executeQuery(
    'MATCH (e:Event {subjectId: $subjectId}) RETURN e.kind AS kind, e.name AS name, e.previousId AS previousId, e.alias AS alias ORDER BY e.seq',
    { subjectId },
  );
  return records.map((r) => ({ kind: r.get('kind'), name: r.get('name'), previousId: r.get('previousId'), alias: r.get('alias') }));
}

describe('the model registry', () => {
  it('tells the story: register, validate, alias, deploy, supersede, roll back', async () => {
    const projectId = await project();
    const runId = await createRunFixture(driver, projectId);
    const ckp1 = await createCheckpointFixture(driver, projectId, runId, 100);
    const name = unique('resnet');

    const v1 = await register({ project: projectId, model: name, source: ckp1, semver: '1.0.0', metrics: { acc: 0.91 } });
    expect(v1).toMatchObject({
      number: 1,
      semver: '1.0.0',
      status: 'REGISTERED',
      displayName: `${name}@1`,
      kind: 'MODEL_VERSION',
      metrics: { acc: 0.91 },
      aliases: [],
      model: { name },
      sourceCheckpoint: { id: ckp1 },
      producedBy: { id: runId },
    });
    expect(v1.id).toMatch(/^mv_/);
    const modelId = v1.model.id;
    const { records: edges } = await driver.executeQuery(
      'MATCH (v:ModelVersion {id: $id})-[r:DERIVED_FROM]->(c:Checkpoint) RETURN c.id AS c, r.createdAt IS NOT NULL AS stamped',
      { id: v1.id },
    );
    expect(edges.map((r) => [r.get('c'), r.get('stamped')])).toEqual([[ckp1, true]]);
    expect(await events(v1.id)).toEqual([{ kind: 'MODEL_VERSION_CREATED', name, previousId: null, alias: null }]);

    const validated = await server.ok<{ setModelVersionStatus: { status: string } }>(SET_STATUS, {
      input: { version: v1.id, status: 'VALIDATED', reason: 'passed the offline evaluation' },
    });
    expect(validated.setModelVersionStatus.status).toBe('VALIDATED');
    // The reason is kept in the audit trail, with the transition it explains.
    const audit = await server.ok<{ auditLog: { nodes: any[] } }>('query($p: ID!) { auditLog(project: $p, first: 1) { nodes { action subject { id } details } } }', { p: projectId });
    expect(audit.auditLog.nodes).toEqual([
      {
        action: 'setModelVersionStatus',
        subject: { id: v1.id },
        details: { event: 'MODEL_VERSION_STATUS_CHANGED', name, alias: null, previousId: null, from: 'REGISTERED', to: 'VALIDATED', reason: 'passed the offline evaluation' },
      },
    ]);

    const alias = await server.ok<{ setModelAlias: any }>(SET_ALIAS, { input: { model: modelId, alias: 'champion', version: v1.id } });
    expect(alias.setModelAlias).toEqual({ name: 'champion', version: { id: v1.id, number: 1 }, history: [{ from: null, to: { id: v1.id } }] });

    const staging = (await server.ok<{ deployModelVersion: any }>(DEPLOY, { input: { version: v1.id, environment: 'staging' } })).deployModelVersion;
    const prod1 = (await server.ok<{ deployModelVersion: any }>(DEPLOY, { input: { version: v1.id, environment: 'prod', endpoint: 'https://x/v1' } }))
      .deployModelVersion;
    expect(prod1).toMatchObject({ status: 'ACTIVE', environment: 'prod', displayName: `${name}@1 -> prod`, replaces: null, modelVersion: { id: v1.id } });
    expect(staging.id).toMatch(/^dep_/);

    const v2 = await register({ project: projectId, model: name, source: runId, semver: '1.1.0', aliases: ['candidate'] });
    expect(v2).toMatchObject({ number: 2, aliases: ['candidate'], sourceCheckpoint: null, producedBy: { id: runId } });
    expect(await events(v2.id)).toEqual([
      { kind: 'MODEL_VERSION_CREATED', name, previousId: v1.id, alias: null },
      { kind: 'MODEL_ALIAS_MOVED', name, previousId: null, alias: 'candidate' },
    ]);

    const prod2 = (await server.ok<{ deployModelVersion: any }>(DEPLOY, { input: { version: v2.id, environment: 'prod' } })).deployModelVersion;
    expect(prod2).toMatchObject({ status: 'ACTIVE', replaces: { id: prod1.id }, modelVersion: { id: v2.id } });
    expect(await events(prod2.id)).toEqual([{ kind: 'DEPLOYMENT_CREATED', name, previousId: prod1.id, alias: null }]);
    expect(await events(prod1.id)).toEqual([
      { kind: 'DEPLOYMENT_CREATED', name, previousId: null, alias: null },
      { kind: 'DEPLOYMENT_STATUS_CHANGED', name, previousId: null, alias: null },
    ]);
    const { records: replaces } = await driver.executeQuery('MATCH (:Deployment {id: $a})-[:REPLACES]->(b:Deployment) RETURN b.id AS id, b.status AS status', {
      a: prod2.id,
    });
    expect(replaces.map((r) => [r.get('id'), r.get('status')])).toEqual([[prod1.id, 'SUPERSEDED']]);

    const rolled = (await server.ok<{ rollbackDeployment: any }>(ROLLBACK, { input: { model: modelId, environment: 'prod' } })).rollbackDeployment;
    expect(rolled).toMatchObject({ status: 'ACTIVE', replaces: { id: prod2.id, status: 'ROLLED_BACK' }, modelVersion: { id: v1.id, number: 1 } });
    expect(rolled.displayName).toBe(`${name}@1 -> prod`);

    const read = await server.ok<{ model: any }>(
      `query($project: ID!, $name: String!) {
        model(project: $project, name: $name) {
          id name project { id }
          latestVersion { number }
          version(number: 1) { id semver status aliases deployments { id status environment } }
          alias(name: "champion") { id }
          versions(first: 1) { nodes { number } pageInfo { hasNextPage endCursor } }
          active: deployments { id environment status }
          all: deployments(environment: "prod", activeOnly: false) { id status endedAt }
          aliases { name version { number } updatedBy { id } history { from { number } to { number } at } }
        }
      }`,
      { project: projectId, name },
    );
    const model = read.model;
    expect(model).toMatchObject({ id: modelId, name, project: { id: projectId }, latestVersion: { number: 2 }, alias: { id: v1.id } });
    expect(model.version).toMatchObject({ id: v1.id, semver: '1.0.0', status: 'VALIDATED', aliases: ['champion'] });
    expect(model.version.deployments.map((d: any) => [d.environment, d.status])).toEqual([
      ['prod', 'ACTIVE'],
      ['prod', 'SUPERSEDED'],
      ['staging', 'ACTIVE'],
    ]);
    expect(model.versions.nodes).toEqual([{ number: 2 }]);
    expect(model.versions.pageInfo.hasNextPage).toBe(true);
    expect(model.active.map((d: any) => d.environment).sort()).toEqual(['prod', 'staging']);
    expect(model.active.find((d: any) => d.environment === 'prod').id).toBe(rolled.id);
    expect(model.all.map((d: any) => d.status)).toEqual(['ACTIVE', 'ROLLED_BACK', 'SUPERSEDED']);
    expect(model.all[1].endedAt).toEqual(expect.any(String));
    expect(model.aliases.map((a: any) => [a.name, a.version.number])).toEqual([
      ['candidate', 2],
      ['champion', 1],
    ]);

    const next = await server.ok<{ model: any }>(
      'query($project: ID!, $name: String!, $after: String) { model(project: $project, name: $name) { versions(first: 5, after: $after) { nodes { number } pageInfo { hasNextPage } } } }',
      { project: projectId, name, after: model.versions.pageInfo.endCursor },
    );
    expect(next.model.versions).toEqual({ nodes: [{ number: 1 }], pageInfo: { hasNextPage: false } });

    const models = await server.ok<{ project: any }>('query($id: ID) { project(id: $id) { models { nodes { name } pageInfo { hasNextPage } } } }', { id: projectId });
    expect(models.project.models).toEqual({ nodes: [{ name }], pageInfo: { hasNextPage: false } });
  });

  it("writes a version's event, with the previous version read under the model's lock, in the version's own statement", async () => {
    const projectId = await project();
    const runId = await createRunFixture(driver, projectId);
    const name = unique('ranker');
    const v1 = await register({ project: projectId, model: name, source: runId });
    const v2 = await register({ project: projectId, model: name, source: runId });
    expect([v1.number, v2.number]).toEqual([1, 2]);
    expect(await events(v2.id)).toEqual([{ kind: 'MODEL_VERSION_CREATED', name, previousId: v1.id, alias: null }]);
    // The audit entry's JSON, with the statement's previous id in it, exactly as JSON.stringify writes it.
    const { records } = await driver.executeQuery(
      'UNWIND $ids AS id MATCH (a:AuditEntry {subjectId: id}) RETURN a.action AS action, a.detailsJson AS details ORDER BY a.at',
      { ids: [v1.id, v2.id] },
    );
    expect(records.map((r) => [r.get('action'), r.get('details')])).toEqual([
      ['registerModelVersion', JSON.stringify({ event: 'MODEL_VERSION_CREATED', name, alias: null, previousId: null })],
      ['registerModelVersion', JSON.stringify({ event: 'MODEL_VERSION_CREATED', name, alias: null, previousId: v1.id })],
    ]);
  });

  it('keeps alias history newest first and ignores a move to the same version', async () => {
    const projectId = await project();
    const runId = await createRunFixture(driver, projectId);
    const name = unique('bert');
    const v1 = await register({ project: projectId, model: name, source: runId, aliases: ['prod'] });
    const v2 = await register({ project: projectId, model: name, source: runId });
    const modelId = v1.model.id;

    const moved = await server.ok<{ setModelAlias: any }>(SET_ALIAS, { input: { model: modelId, alias: 'prod', version: v2.id } });
    expect(moved.setModelAlias).toEqual({
      name: 'prod',
      version: { id: v2.id, number: 2 },
      history: [
        { from: { id: v1.id }, to: { id: v2.id } },
        { from: null, to: { id: v1.id } },
      ],
    });
    const movedEvents = (await events(v2.id)).filter((e) => e.kind === 'MODEL_ALIAS_MOVED');
    expect(movedEvents).toEqual([{ kind: 'MODEL_ALIAS_MOVED', name, previousId: v1.id, alias: 'prod' }]);
    const { records } = await driver.executeQuery('MATCH (a:Alias {modelId: $modelId, name: "prod"})-[:POINTS_TO]->(v) RETURN v.id AS id', { modelId });
    expect(records.map((r) => r.get('id'))).toEqual([v2.id]);

    const before = await graphCounts(driver);
    const again = await server.ok<{ setModelAlias: any }>(SET_ALIAS, { input: { model: modelId, alias: 'prod', version: v2.id } });
    expect(again.setModelAlias.history).toHaveLength(2);
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('numbers 30 parallel registrations 1..30 without gaps', async () => {
    const projectId = await project();
    const runId = await createRunFixture(driver, projectId);
    const name = unique('parallel');
    const versions = await Promise.all(Array.from({ length: 30 }, () => register({ project: projectId, model: name, source: runId })));
    expect(versions.map((v) => v.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(new Set(versions.map((v) => v.model.id)).size).toBe(1);
  });

  it('rejects misuse and writes nothing', async () => {
    const projectId = await project();
    const otherProject = await project();
    const runId = await createRunFixture(driver, projectId);
    const otherRun = await createRunFixture(driver, otherProject);
    const otherCkp = await createCheckpointFixture(driver, otherProject, otherRun, 1);
    const name = unique('misuse');
    const v1 = await register({ project: projectId, model: name, source: runId, semver: '2.0.0' });
    const rejected = await register({ project: projectId, model: name, source: runId });
    await server.ok(SET_STATUS, { input: { version: rejected.id, status: 'REJECTED' } });
    const otherModelVersion = await register({ project: projectId, model: unique('other'), source: runId });

    const before = await graphCounts(driver);
    const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
      [REGISTER, { input: { project: projectId, model: name, source: runId, semver: '1.0' } }, { code: 'BAD_USER_INPUT', field: 'input.semver' }],
      [REGISTER, { input: { project: projectId, model: name, source: runId, semver: '01.0.0' } }, { code: 'BAD_USER_INPUT', field: 'input.semver' }],
      [REGISTER, { input: { project: projectId, model: '  ', source: runId } }, { code: 'BAD_USER_INPUT', field: 'input.model' }],
      [REGISTER, { input: { project: projectId, model: name, source: runId, metrics: [1] } }, { code: 'BAD_USER_INPUT', field: 'input.metrics' }],
      [REGISTER, { input: { project: projectId, model: name, source: runId, aliases: ['Bad Alias'] } }, { code: 'BAD_USER_INPUT', field: 'input.aliases[0]' }],
      [REGISTER, { input: { project: projectId, model: name, source: runId, semver: '2.0.0' } }, { code: 'CONFLICT' }],
      [REGISTER, { input: { project: projectId, model: name, source: otherCkp } }, { code: 'NOT_FOUND', field: 'input.source' }],
      [REGISTER, { input: { project: projectId, model: name, source: otherRun } }, { code: 'NOT_FOUND', field: 'input.source' }],
      [REGISTER, { input: { project: projectId, model: unique('fresh'), source: 'ckp_00000000000000000000000000000000' } }, { code: 'NOT_FOUND' }],
      [REGISTER, { input: { project: 'prj_00000000000000000000000000000000', model: name, source: runId } }, { code: 'NOT_FOUND', field: 'input.project' }],
      [REGISTER, { input: { project: projectId, model: name, source: v1.id } }, { code: 'BAD_USER_INPUT', field: 'input.source' }],
      [SET_STATUS, { input: { version: rejected.id, status: 'VALIDATED' } }, { code: 'CONFLICT' }],
      [SET_STATUS, { input: { version: 'mv_00000000000000000000000000000000', status: 'VALIDATED' } }, { code: 'NOT_FOUND' }],
      [SET_ALIAS, { input: { model: v1.model.id, alias: 'champion', version: otherModelVersion.id } }, { code: 'BAD_USER_INPUT', field: 'input.version' }],
      [SET_ALIAS, { input: { model: v1.model.id, alias: '1bad', version: v1.id } }, { code: 'BAD_USER_INPUT', field: 'input.alias' }],
      [DEPLOY, { input: { version: rejected.id, environment: 'prod' } }, { code: 'CONFLICT' }],
      [DEPLOY, { input: { version: v1.id, environment: 'Prod!' } }, { code: 'BAD_USER_INPUT', field: 'input.environment' }],
      [ROLLBACK, { input: { model: v1.model.id, environment: 'prod' } }, { code: 'CONFLICT' }],
    ];
    for (const [query, variables, extensions] of cases) {
      const result = await server.gql(query, variables);
      expect(result.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject(extensions);
    }
    expect(await graphCounts(driver)).toEqual(before);

    // Same status again is a no-op; a rollback with nothing replaced is a CONFLICT.
    await server.ok(SET_STATUS, { input: { version: rejected.id, status: 'REJECTED' } });
    await server.ok(DEPLOY, { input: { version: v1.id, environment: 'prod' } });
    const afterDeploy = await graphCounts(driver);
    const rollback = await server.gql(ROLLBACK, { input: { model: v1.model.id, environment: 'prod' } });
    expect(rollback.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT' });
    expect(await graphCounts(driver)).toEqual(afterDeploy);
  });
});
