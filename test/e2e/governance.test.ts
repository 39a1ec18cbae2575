/**
 * Release governance through GraphQL, as a release engineer, a reviewer and a CI pipeline use
 * it: policies that gate deployments and alias moves, approvals, quarantine of bad lineage,
 * and the races a gate must win.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, useGateway, type GraphQLResponse } from '../support/gateway.ts';
import { testDriver, unique } from '../support/graph.ts';

const JWT_SECRET = 'a-jwt-secret-for-the-governance-suite-0123';

let driver: Driver;
const server = useGateway({ env: { PEDIGREE_JWT_SECRET: JWT_SECRET } });
beforeAll(async () => {
  driver = testDriver();
});
afterAll(async () => {
  await driver.close();
});

const sha = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

async function bearer(sub: string, roles: Record<string, string>): Promise<Record<string, string>> {
  const token = await new SignJWT({ sub, pedigree_roles: roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(JWT_SECRET));
  return { authorization: `Bearer ${token}` };
}

/** Data of a request made as `as` that must succeed. */
async function okAs<T = any>(as: Record<string, string>, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables, as);
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data as T;
}

const code = (r: GraphQLResponse) => r.errors?.[0]?.extensions?.['code'];

interface Counts {
  nodes: number;
  relationships: number;
  events: number;
  audit: number;
}

/** Nodes (and their relationships), events and audit entries of one project: what "nothing written" compares. */
async function projectCounts(projectId: string): Promise<Counts> {
  const { records } = await driver.executeQuery(
    `CALL () { MATCH (n) WHERE n.projectId = $p OR n.id = $p RETURN count(n) AS nodes }
     CALL () { MATCH (n)-[r]-() WHERE n.projectId = $p OR n.id = $p RETURN count(DISTINCT r) AS relationships }
     CALL () { MATCH (e:Event {projectId: $p}) RETURN sum(coalesce(e.count, 1)) AS events }
     CALL () { MATCH (a:AuditEntry {projectId: $p}) RETURN count(a) AS audit }
     RETURN nodes, relationships, events, audit`,
    { p: projectId },
  );
  const r = records[0]!;
  return { nodes: r.get('nodes'), relationships: r.get('relationships'), events: r.get('events'), audit: r.get('audit') };
}

const CREATE_PROJECT = 'mutation($name: String!) { createProject(input: { name: $name }) { id } }';
const REGISTER_DATASET = 'mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }';
const START_RUN = 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }';
const LOG_METRICS = 'mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }';
const FINISH_RUN = 'mutation($input: FinishRunInput!) { finishRun(input: $input) { id } }';
const REGISTER_MODEL = 'mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id number } }';
const SET_STATUS = 'mutation($input: SetModelVersionStatusInput!) { setModelVersionStatus(input: $input) { id status } }';
const DEPLOY = 'mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id status modelVersion { id } } }';
const ROLLBACK = 'mutation($input: RollbackDeploymentInput!) { rollbackDeployment(input: $input) { id modelVersion { id } } }';
const SET_ALIAS = 'mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { name version { id } } }';
const SET_POLICY = `mutation($input: SetReleasePolicyInput!) { setReleasePolicy(input: $input) {
  id targetKind target model { name } requiredStatus metrics { key comparison value } requiredApprovals requireCleanLineage createdBy { id } } }`;
const APPROVE = 'mutation($input: ApproveModelVersionInput!) { approveModelVersion(input: $input) { version { id } targetKind target by { id } comment at } }';
const QUARANTINE = `mutation($input: QuarantineInput!) { quarantine(input: $input) {
  node { id kind } reason at by { id } liftedAt affectedDeployments { id environment status modelVersion { id } } } }`;
const LIFT = 'mutation($node: ID!) { liftQuarantine(node: $node) { node { id } reason liftedAt liftedBy { id } affectedDeployments { id } } }';
const RELEASE_CHECK = `query($version: ID!, $kind: ReleaseTargetKind!, $target: String!) { releaseCheck(version: $version, targetKind: $kind, target: $target) {
  allowed failures { rule message policy { id } quarantined { id kind } } } }`;

/** A project with a raw dataset version, a training run reading it and logging accuracy, ready for model versions. */
async function project(prefix: string) {
  const { createProject } = await server.ok<{ createProject: { id: string } }>(CREATE_PROJECT, { name: unique(prefix) });
  const id = createProject.id;
  const alice = await bearer(`alice-${id}`, { [id]: 'WRITER' });
  const bob = await bearer(`bob-${id}`, { [id]: 'WRITER' });
  const viewer = await bearer(`vic-${id}`, { [id]: 'VIEWER' });
  return { id, alice, bob, viewer };
}

async function trainingRun(p: { id: string; alice: Record<string, string> }, raw: string, name: string, accuracy: number): Promise<string> {
  const run = (await okAs(p.alice, START_RUN, { input: { project: p.id, name, type: 'TRAINING', inputs: [{ id: raw, role: 'train' }] } })).startRun.id as string;
  await okAs(p.alice, LOG_METRICS, { input: { run, metrics: [{ key: 'accuracy', value: accuracy, step: 1 }] } });
  return run;
}

// Each story sends a few dozen requests; on a busy machine one can take seconds.
const STORY = { timeout: 240_000 };

const rules = (failures: { rule: string }[]) => failures.map((f) => f.rule).sort();

describe('the release story', STORY, () => {
  it('refuses an unvalidated, unapproved, not good enough version with every failing rule, then allows it', async () => {
    const p = await project('release');
    const raw = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'clicks-raw', uri: 's3://raw/1', digest: sha(1) } })).registerDatasetVersion.id;
    const run = await trainingRun(p, raw, 'train', 0.85);
    const v1 = (await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: 'churn', source: run } })).registerModelVersion.id as string;

    const policy = (await server.ok<any>(SET_POLICY, {
      input: { project: p.id, targetKind: 'ENVIRONMENT', target: 'prod', requiredStatus: 'VALIDATED', metrics: [{ key: 'accuracy', comparison: 'GTE', value: 0.9 }], requiredApprovals: 1 },
    })).setReleasePolicy;
    expect(policy).toMatchObject({ targetKind: 'ENVIRONMENT', target: 'prod', model: null, requiredStatus: 'VALIDATED', requiredApprovals: 1, requireCleanLineage: false, createdBy: { id: 'admin' } });
    expect(policy.metrics).toEqual([{ key: 'accuracy', comparison: 'GTE', value: 0.9 }]);

    // CI asks first: the dry run lists the same three failures and writes nothing.
    const check = (await okAs(p.viewer, RELEASE_CHECK, { version: v1, kind: 'ENVIRONMENT', target: 'prod' })).releaseCheck;
    expect(check.allowed).toBe(false);
    expect(rules(check.failures)).toEqual(['approvals', 'metric:accuracy', 'status']);
    expect(check.failures.every((f: any) => f.policy.id === policy.id)).toBe(true);
    expect(check.failures.find((f: any) => f.rule === 'metric:accuracy').message).toContain('accuracy is 0.85');

    const before = await projectCounts(p.id);
    const refused = await server.gql(DEPLOY, { input: { version: v1, environment: 'prod' } });
    expect(code(refused)).toBe('POLICY_VIOLATION');
    const failures = refused.errors![0]!.extensions!['failures'] as { rule: string; message: string; policy: string }[];
    expect(rules(failures)).toEqual(['approvals', 'metric:accuracy', 'status']);
    expect(failures.every((f) => typeof f.message === 'string' && f.message.length > 0 && f.policy === policy.id)).toBe(true);
    expect(await projectCounts(p.id)).toEqual(before);

    // Another environment has no policy: the same version deploys to staging.
    await server.ok(DEPLOY, { input: { version: v1, environment: 'staging' } });

    await okAs(p.alice, SET_STATUS, { input: { version: v1, status: 'VALIDATED' } });
    const approval = (await okAs(p.bob, APPROVE, { input: { version: v1, targetKind: 'ENVIRONMENT', target: 'prod', comment: 'looked at the eval' } })).approveModelVersion;
    expect(approval).toMatchObject({ version: { id: v1 }, targetKind: 'ENVIRONMENT', target: 'prod', by: { id: `bob-${p.id}` }, comment: 'looked at the eval' });
    const still = await server.gql(DEPLOY, { input: { version: v1, environment: 'prod' } });
    expect(code(still)).toBe('POLICY_VIOLATION');
    expect(rules(still.errors![0]!.extensions!['failures'])).toEqual(['metric:accuracy']);

    // The version has no accuracy of its own: the producing run's latest value counts.
    await okAs(p.alice, LOG_METRICS, { input: { run, metrics: [{ key: 'accuracy', value: 0.93, step: 2 }] } });
    await okAs(p.alice, FINISH_RUN, { input: { run, status: 'COMPLETED' } });
    expect((await okAs(p.viewer, RELEASE_CHECK, { version: v1, kind: 'ENVIRONMENT', target: 'prod' })).releaseCheck).toEqual({ allowed: true, failures: [] });
    const deployed = (await server.ok<any>(DEPLOY, { input: { version: v1, environment: 'prod' } })).deployModelVersion;
    expect(deployed).toMatchObject({ status: 'ACTIVE', modelVersion: { id: v1 } });

    const approvals = (await okAs(p.viewer, 'query($id: ID!) { node(id: $id) { ... on ModelVersion { approvals { target by { id } } } } }', { id: v1 })).node.approvals;
    expect(approvals).toEqual([{ target: 'prod', by: { id: `bob-${p.id}` } }]);
  });

  it('blocks every model version downstream of a quarantined dataset version, names the prod deployment affected, and unblocks on lifting', async () => {
    const p = await project('quarantine');
    const raw = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'clicks-raw', uri: 's3://raw/1', digest: sha(1) } })).registerDatasetVersion.id;
    const other = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'other-raw', uri: 's3://raw/2', digest: sha(2) } })).registerDatasetVersion.id;
    // A diamond: prep reads raw, two feature sets come out of it, training reads both.
    const prep = (await okAs(p.alice, START_RUN, { input: { project: p.id, name: 'prep', type: 'DATA_PROCESSING', inputs: [{ id: raw, role: 'raw' }] } })).startRun.id;
    const a = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'features-a', uri: 's3://f/a', digest: sha(3), producedBy: prep } })).registerDatasetVersion.id;
    const b = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'features-b', uri: 's3://f/b', digest: sha(4), producedBy: prep } })).registerDatasetVersion.id;
    await okAs(p.alice, FINISH_RUN, { input: { run: prep, status: 'COMPLETED', outputs: [{ id: a, role: 'a' }, { id: b, role: 'b' }] } });
    const train = (await okAs(p.alice, START_RUN, { input: { project: p.id, name: 'train', type: 'TRAINING', inputs: [{ id: a, role: 'a' }, { id: b, role: 'b' }] } })).startRun.id;
    const clean = await trainingRun(p, other, 'train-other', 0.99);
    const v1 = (await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: 'churn', source: train } })).registerModelVersion.id;
    const v2 = (await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: 'churn', source: train } })).registerModelVersion.id;
    const w1 = (await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: 'ranker', source: train } })).registerModelVersion.id;
    const c1 = (await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: 'churn', source: clean } })).registerModelVersion.id;

    await server.ok(SET_POLICY, { input: { project: p.id, targetKind: 'ENVIRONMENT', target: 'prod', requireCleanLineage: true } });
    const prodDeployment = (await server.ok<any>(DEPLOY, { input: { version: v1, environment: 'prod' } })).deployModelVersion.id;
    await server.ok(DEPLOY, { input: { version: c1, environment: 'staging' } });

    const q = (await okAs(p.bob, QUARANTINE, { input: { node: raw, reason: 'labels leaked from the future' } })).quarantine;
    expect(q).toMatchObject({ node: { id: raw, kind: 'DATASET_VERSION' }, reason: 'labels leaked from the future', by: { id: `bob-${p.id}` }, liftedAt: null });
    expect(q.affectedDeployments).toEqual([{ id: prodDeployment, environment: 'prod', status: 'ACTIVE', modelVersion: { id: v1 } }]);

    // Idempotent: the quarantine in force comes back, and no second event is appended.
    const counts = await projectCounts(p.id);
    const again = (await okAs(p.alice, QUARANTINE, { input: { node: raw, reason: 'another reason' } })).quarantine;
    expect(again).toMatchObject({ reason: 'labels leaked from the future', at: q.at });
    expect(await projectCounts(p.id)).toEqual(counts);

    for (const [version, model] of [
      [v2, 'churn'],
      [w1, 'ranker'],
    ] as const) {
      const refused = await server.gql(DEPLOY, { input: { version, environment: 'prod' } });
      expect(code(refused)).toBe('POLICY_VIOLATION');
      const failures = refused.errors![0]!.extensions!['failures'] as { rule: string; quarantined: string[] }[];
      expect(failures.map((f) => f.rule)).toEqual(['clean-lineage']);
      expect(failures[0]!.quarantined).toEqual([raw]);
      expect(refused.errors![0]!.message).toContain(`${model}@`);
    }
    const check = (await okAs(p.viewer, RELEASE_CHECK, { version: v2, kind: 'ENVIRONMENT', target: 'prod' })).releaseCheck;
    expect(check).toMatchObject({ allowed: false, failures: [{ rule: 'clean-lineage', quarantined: [{ id: raw, kind: 'DATASET_VERSION' }] }] });
    expect(await projectCounts(p.id)).toEqual(counts);
    // A version whose lineage does not reach the quarantined node is not blocked.
    await server.ok(DEPLOY, { input: { version: c1, environment: 'prod' } });
    // Rolling back onto the version it would restore is gated too: v1 is downstream of raw.
    const rollback = await server.gql(ROLLBACK, { input: { model: (await modelId(v1)), environment: 'prod', toVersion: v1 } });
    expect(code(rollback)).toBe('POLICY_VIOLATION');

    const listed = (await okAs(p.viewer, `query($p: ID!) { quarantines(project: $p) { node { id } affectedDeployments { id } } }`, { p: p.id })).quarantines;
    expect(listed).toEqual([{ node: { id: raw }, affectedDeployments: [] }]); // c1 replaced v1 in prod

    expect(code(await server.gql(LIFT, { node: raw }, p.bob))).toBe('FORBIDDEN');
    const lifted = (await server.ok<any>(LIFT, { node: raw })).liftQuarantine;
    expect(lifted).toMatchObject({ node: { id: raw }, reason: 'labels leaked from the future', liftedBy: { id: 'admin' } });
    expect(lifted.liftedAt).not.toBeNull();
    expect(code(await server.gql(LIFT, { node: raw }))).toBe('CONFLICT');

    await server.ok(DEPLOY, { input: { version: v2, environment: 'prod' } });
    expect((await okAs(p.viewer, `query($p: ID!) { quarantines(project: $p) { reason } }`, { p: p.id })).quarantines).toEqual([]);
    expect((await okAs(p.viewer, `query($p: ID!) { quarantines(project: $p, includeLifted: true) { reason liftedBy { id } } }`, { p: p.id })).quarantines).toEqual([
      { reason: 'labels leaked from the future', liftedBy: { id: 'admin' } },
    ]);

    const events = (await server.ok<any>(
      `query($p: ID!) { events(filter: { projects: [$p], kinds: [NODE_QUARANTINED, QUARANTINE_LIFTED] }) { nodes { kind subject { id } actor { id } } } }`,
      { p: p.id },
    )).events.nodes;
    expect(events).toEqual([
      { kind: 'NODE_QUARANTINED', subject: { id: raw }, actor: { id: `bob-${p.id}` } },
      { kind: 'QUARANTINE_LIFTED', subject: { id: raw }, actor: { id: 'admin' } },
    ]);
    const audit = (await server.ok<any>(`query($p: ID!) { auditLog(project: $p, first: 100) { nodes { action subject { id } details } } }`, { p: p.id })).auditLog.nodes;
    expect(audit.filter((e: any) => e.action === 'quarantine' || e.action === 'liftQuarantine').map((e: any) => [e.action, e.subject.id, e.details.reason])).toEqual([
      ['liftQuarantine', raw, 'labels leaked from the future'],
      ['quarantine', raw, 'labels leaked from the future'],
    ]);
  });

  it('gates alias moves: setModelAlias and aliases given at registration', async () => {
    const p = await project('alias');
    const raw = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'd', uri: 's3://d', digest: sha(1) } })).registerDatasetVersion.id;
    const run = await trainingRun(p, raw, 'train', 0.9);
    const v1 = (await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: 'churn', source: run } })).registerModelVersion.id;
    await server.ok(SET_POLICY, { input: { project: p.id, targetKind: 'ALIAS', target: 'champion', model: 'churn', requiredApprovals: 2 } });

    const before = await projectCounts(p.id);
    const refused = await server.gql(SET_ALIAS, { input: { model: await modelId(v1), alias: 'champion', version: v1 } });
    expect(code(refused)).toBe('POLICY_VIOLATION');
    expect(refused.errors![0]!.extensions!['failures']).toMatchObject([{ rule: 'approvals', message: expect.stringContaining('0 of 2') }]);
    const atRegistration = await server.gql(REGISTER_MODEL, { input: { project: p.id, model: 'churn', source: run, aliases: ['champion'] } });
    expect(code(atRegistration)).toBe('POLICY_VIOLATION');
    expect(await projectCounts(p.id)).toEqual(before);

    // An approval for another target does not count; the creator's own cannot be given.
    await okAs(p.bob, APPROVE, { input: { version: v1, targetKind: 'ENVIRONMENT', target: 'champion' } });
    await okAs(p.bob, APPROVE, { input: { version: v1, targetKind: 'ALIAS', target: 'champion' } });
    expect(code(await server.gql(SET_ALIAS, { input: { model: await modelId(v1), alias: 'champion', version: v1 } }))).toBe('POLICY_VIOLATION');
    await server.ok(APPROVE, { input: { version: v1, targetKind: 'ALIAS', target: 'champion' } });
    const moved = (await server.ok<any>(SET_ALIAS, { input: { model: await modelId(v1), alias: 'champion', version: v1 } })).setModelAlias;
    expect(moved).toEqual({ name: 'champion', version: { id: v1 } });
    // Other aliases are not governed.
    await server.ok(SET_ALIAS, { input: { model: await modelId(v1), alias: 'candidate', version: v1 } });
  });
});

describe('the CI example of docs/governance.md', STORY, () => {
  it('refuses to deploy what releaseCheck refuses, and deploys once the rules hold', async () => {
    const doc = await readFile(join(import.meta.dirname, '..', '..', 'docs', 'governance.md'), 'utf8');
    const script = /```sh\n([\s\S]*?)```/.exec(doc)![1]!;
    const p = await project('ci');
    const raw = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'd', uri: 's3://d', digest: sha(1) } })).registerDatasetVersion.id;
    const run = await trainingRun(p, raw, 'train', 0.9);
    const v1 = (await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: 'churn', source: run } })).registerModelVersion.id;
    await server.ok(SET_POLICY, { input: { project: p.id, targetKind: 'ENVIRONMENT', target: 'prod', requiredStatus: 'VALIDATED' } });
    const ci = () =>
      promisify(execFile)('sh', ['-c', script], { env: { PATH: process.env['PATH']!, PEDIGREE_URL: server.url, PEDIGREE_TOKEN: ADMIN_TOKEN, VERSION: v1 } }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
    expect(await ci()).toEqual({ code: 1, stderr: 'refused: status: the version is REGISTERED; VALIDATED is required\n' });
    await okAs(p.alice, SET_STATUS, { input: { version: v1, status: 'VALIDATED' } });
    expect(await ci()).toEqual({ code: 0, stderr: '' });
    const deployments = (await server.ok<any>('query($id: ID!) { node(id: $id) { ... on ModelVersion { deployments { environment status } } } }', { id: v1 })).node.deployments;
    expect(deployments).toEqual([{ environment: 'prod', status: 'ACTIVE' }]);
  });
});

async function modelId(versionId: string): Promise<string> {
  return (await server.ok<any>('query($id: ID!) { node(id: $id) { ... on ModelVersion { model { id } } } }', { id: versionId })).node.model.id;
}

describe('governance misuse', STORY, () => {
  it('answers bad input with a clear code and writes nothing', async () => {
    const p = await project('misuse');
    const raw = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'd', uri: 's3://d', digest: sha(1) } })).registerDatasetVersion.id;
    const run = await trainingRun(p, raw, 'train', 0.9);
    const v1 = (await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: 'churn', source: run } })).registerModelVersion.id;
    await okAs(p.bob, APPROVE, { input: { version: v1, targetKind: 'ENVIRONMENT', target: 'prod' } });
    const policy = { project: p.id, targetKind: 'ENVIRONMENT', target: 'prod' };

    const cases: Array<[string, string, () => Promise<GraphQLResponse>]> = [
      ['unknown comparison', 'BAD_USER_INPUT', () => server.gql(SET_POLICY, { input: { ...policy, metrics: [{ key: 'accuracy', comparison: 'ABOUT', value: 1 }] } })],
      ['negative approvals', 'BAD_USER_INPUT', () => server.gql(SET_POLICY, { input: { ...policy, requiredApprovals: -1 } })],
      ['a target that is not an environment name', 'BAD_USER_INPUT', () => server.gql(SET_POLICY, { input: { ...policy, target: 'Prod Env' } })],
      ['a policy for a missing model name', 'NOT_FOUND', () => server.gql(SET_POLICY, { input: { ...policy, model: 'no-such-model' } })],
      ['a policy set by a WRITER', 'FORBIDDEN', () => server.gql(SET_POLICY, { input: policy }, p.alice)],
      ['approving one\'s own version', 'FORBIDDEN', () => server.gql(APPROVE, { input: { version: v1, targetKind: 'ENVIRONMENT', target: 'prod' } }, p.alice)],
      ['approving twice', 'CONFLICT', () => server.gql(APPROVE, { input: { version: v1, targetKind: 'ENVIRONMENT', target: 'prod' } }, p.bob)],
      ['approving as a VIEWER', 'FORBIDDEN', () => server.gql(APPROVE, { input: { version: v1, targetKind: 'ENVIRONMENT', target: 'prod' } }, p.viewer)],
      ['quarantining as a VIEWER', 'FORBIDDEN', () => server.gql(QUARANTINE, { input: { node: raw, reason: 'bad' } }, p.viewer)],
      ['quarantining with a blank reason', 'BAD_USER_INPUT', () => server.gql(QUARANTINE, { input: { node: raw, reason: '  ' } }, p.bob)],
      ['quarantining a project id', 'NOT_FOUND', () => server.gql(QUARANTINE, { input: { node: p.id, reason: 'bad' } }, p.bob)],
      ['lifting a quarantine that is not in force', 'CONFLICT', () => server.gql(LIFT, { node: raw })],
    ];
    for (const [what, expected, attempt] of cases) {
      const before = await projectCounts(p.id);
      const response = await attempt();
      expect(code(response), what).toBe(expected);
      expect(await projectCounts(p.id), what).toEqual(before);
    }
  });

  it("treats another project's ids as missing", async () => {
    const mine = await project('mine');
    const theirs = await project('theirs');
    const raw = (await okAs(theirs.alice, REGISTER_DATASET, { input: { project: theirs.id, dataset: 'd', uri: 's3://d', digest: sha(1) } })).registerDatasetVersion.id;
    const run = await trainingRun(theirs, raw, 'train', 0.9);
    const v1 = (await okAs(theirs.alice, REGISTER_MODEL, { input: { project: theirs.id, model: 'churn', source: run } })).registerModelVersion.id;
    const policy = (await server.ok<any>(SET_POLICY, { input: { project: theirs.id, targetKind: 'ENVIRONMENT', target: 'prod', requiredApprovals: 1 } })).setReleasePolicy.id;
    const before = await projectCounts(theirs.id);
    const admin = await bearer(`admin-${mine.id}`, { [mine.id]: 'ADMIN' });
    for (const [what, response] of [
      ['approve', await server.gql(APPROVE, { input: { version: v1, targetKind: 'ENVIRONMENT', target: 'prod' } }, mine.bob)],
      ['quarantine', await server.gql(QUARANTINE, { input: { node: raw, reason: 'bad' } }, mine.bob)],
      ['lift', await server.gql(LIFT, { node: raw }, admin)],
      ['delete policy', await server.gql('mutation($id: ID!) { deleteReleasePolicy(id: $id) }', { id: policy }, admin)],
      ['set policy', await server.gql(SET_POLICY, { input: { project: theirs.id, targetKind: 'ENVIRONMENT', target: 'prod' } }, admin)],
      ['releaseCheck', await server.gql(RELEASE_CHECK, { version: v1, kind: 'ENVIRONMENT', target: 'prod' }, admin)],
      ['releasePolicies', await server.gql('query($p: ID!) { releasePolicies(project: $p) { id } }', { p: theirs.id }, admin)],
      ['quarantines', await server.gql('query($p: ID!) { quarantines(project: $p) { reason } }', { p: theirs.id }, admin)],
    ] as const) {
      expect(code(response), what).toBe('NOT_FOUND');
    }
    expect(await projectCounts(theirs.id)).toEqual(before);
  });

  it('upserts a policy on its target and model, and deletes it', async () => {
    const p = await project('upsert');
    const raw = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'd', uri: 's3://d', digest: sha(1) } })).registerDatasetVersion.id;
    const run = await trainingRun(p, raw, 'train', 0.9);
    await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: 'churn', source: run } });
    const input = { project: p.id, targetKind: 'ENVIRONMENT', target: 'prod' };
    const first = (await server.ok<any>(SET_POLICY, { input: { ...input, requiredApprovals: 2 } })).setReleasePolicy;
    const second = (await server.ok<any>(SET_POLICY, { input: { ...input, requireCleanLineage: true } })).setReleasePolicy;
    expect(second).toMatchObject({ id: first.id, requiredApprovals: 0, requireCleanLineage: true });
    const perModel = (await server.ok<any>(SET_POLICY, { input: { ...input, model: 'churn', requiredStatus: 'VALIDATED' } })).setReleasePolicy;
    expect(perModel.id).not.toBe(first.id);
    expect(perModel.model).toEqual({ name: 'churn' });
    const listed = (await okAs(p.viewer, 'query($p: ID!) { releasePolicies(project: $p) { id } }', { p: p.id })).releasePolicies.map((x: any) => x.id);
    expect(listed.sort()).toEqual([first.id, perModel.id].sort());
    expect((await server.ok<any>('mutation($id: ID!) { deleteReleasePolicy(id: $id) }', { id: first.id })).deleteReleasePolicy).toBe(true);
    expect((await okAs(p.viewer, 'query($p: ID!) { releasePolicies(project: $p) { id } }', { p: p.id })).releasePolicies).toEqual([{ id: perModel.id }]);
    expect(code(await server.gql('mutation($id: ID!) { deleteReleasePolicy(id: $id) }', { id: first.id }))).toBe('NOT_FOUND');
  });
});

describe('races', STORY, () => {
  it('lets no deployment that commits after a concurrent quarantine through', async () => {
    const p = await project('race');
    const raw = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'd', uri: 's3://d', digest: sha(1) } })).registerDatasetVersion.id;
    const run = await trainingRun(p, raw, 'train', 0.9);
    const versions: string[] = [];
    for (let i = 0; i < 20; i++) versions.push((await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: `m${i}`, source: run } })).registerModelVersion.id);
    await server.ok(SET_POLICY, { input: { project: p.id, targetKind: 'ENVIRONMENT', target: 'prod', requireCleanLineage: true } });

    const deploys = versions.map(async (version, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 3));
      return server.gql(DEPLOY, { input: { version, environment: 'prod' } });
    });
    const quarantined = new Promise((resolve) => setTimeout(resolve, 25)).then(() => okAs(p.bob, QUARANTINE, { input: { node: raw, reason: 'corrupt' } }));
    const [results, q] = await Promise.all([Promise.all(deploys), quarantined]);

    const committed = results.filter((r) => !r.errors).map((r) => (r.data as any).deployModelVersion.id as string);
    const refused = results.filter((r) => r.errors);
    expect(committed.length + refused.length).toBe(20);
    for (const r of refused) {
      expect(code(r)).toBe('POLICY_VIOLATION');
      expect(r.errors![0]!.extensions!['failures']).toMatchObject([{ rule: 'clean-lineage', quarantined: [raw] }]);
    }
    // Commit order: each deployment's and the quarantine's events carry the time of the statement
    // that appended them, which ran under the gate lock, so they order the two commits.
    const { records } = await driver.executeQuery(
      `MATCH (q:Event {projectId: $p, kind: 'NODE_QUARANTINED'})
       MATCH (e:Event {projectId: $p, kind: 'DEPLOYMENT_CREATED'})
       RETURN e.subjectId AS subject, e.seq < q.seq AS seqBefore, e.occurredAt < q.occurredAt AS before`,
      { p: p.id },
    );
    expect(records.map((r) => r.get('subject')).sort()).toEqual([...committed].sort());
    for (const r of records) expect([r.get('seqBefore'), r.get('before')]).toEqual([true, true]);
    // Everything ACTIVE downstream of the quarantined node is what committed before it.
    expect((q as any).quarantine.affectedDeployments.map((d: any) => d.id).sort()).toEqual([...committed].sort());
  });

  it('lets no release through that a concurrently set stricter policy forbids', async () => {
    const p = await project('race-policy');
    const raw = (await okAs(p.alice, REGISTER_DATASET, { input: { project: p.id, dataset: 'd', uri: 's3://d', digest: sha(1) } })).registerDatasetVersion.id;
    const run = await trainingRun(p, raw, 'train', 0.9);
    const versions: string[] = [];
    for (let i = 0; i < 20; i++) versions.push((await okAs(p.alice, REGISTER_MODEL, { input: { project: p.id, model: `m${i}`, source: run } })).registerModelVersion.id);

    const deploys = versions.map(async (version, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 3));
      return server.gql(DEPLOY, { input: { version, environment: 'prod' } });
    });
    const policy = new Promise((resolve) => setTimeout(resolve, 25)).then(() =>
      server.ok(SET_POLICY, { input: { project: p.id, targetKind: 'ENVIRONMENT', target: 'prod', requiredStatus: 'VALIDATED' } }),
    );
    const [results] = await Promise.all([Promise.all(deploys), policy]);
    const committed = results.filter((r) => !r.errors).map((r) => (r.data as any).deployModelVersion.id as string);
    for (const r of results.filter((r) => r.errors)) expect(code(r)).toBe('POLICY_VIOLATION');
    // The policy write leaves an audit entry under the gate lock: every deployment committed before it.
    const { records } = await driver.executeQuery(
      `MATCH (d:Deployment {projectId: $p}) WITH collect(d) AS ds
       MATCH (a:AuditEntry {projectId: $p, action: 'setReleasePolicy'})
       RETURN [d IN ds | {id: d.id, before: d.createdAt < a.at}] AS ds`,
      { p: p.id },
    );
    const deployments = records[0]!.get('ds') as { id: string; before: boolean }[];
    expect(deployments.map((d) => d.id).sort()).toEqual([...committed].sort());
    expect(deployments.every((d) => d.before)).toBe(true);
  });
});
