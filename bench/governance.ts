/**
 * What the release gate costs a deployment: `deployModelVersion` through a real gateway, in one
 * run, with
 *  - no policy (the gate lock and an empty policy lookup only),
 *  - five policies in the project, two of which apply to the deploy (project-wide: VALIDATED,
 *    accuracy and one approval; the model's own: three metrics), three on other targets,
 *  - a clean-lineage policy over a version with about 1,000 nodes upstream (a layered graph of
 *    runs and dataset versions, each run reading two of the layer below) and an unrelated
 *    quarantined node in the project, so the upstream search runs in full.
 * Every deploy is allowed (the whole evaluation runs and the deployment is written). The cases
 * run round-robin, so the machine's drift hits them alike. Medians and p99 of the client's round
 * trip; the target is the gated deploy within 1.5x of the ungated one. Not a test.
 *
 *   [NEO4J_URI=bolt://...] node bench/governance.ts [rounds=150]
 */
import { performance } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import { fetchOnce, startBenchGateway } from './lib/gateway.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { fmtMs, summarize } from './lib/stats.ts';

const ROUNDS = Number(process.argv[2] ?? 150);
const WARMUP = 20;
const JWT_SECRET = 'bench-governance-jwt-secret-0123456789';
const WIDTH = 50;
const LAYERS = 10;

const database = await benchNeo4j({ heap: '1g', pagecache: '256m' });
const gateway = await startBenchGateway(database.uri, { PEDIGREE_JWT_SECRET: JWT_SECRET });

async function postAs<T>(authorization: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetchOnce(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 2000)}`);
  return body.data!;
}

const DEPLOY = 'mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }';
const SET_POLICY = 'mutation($input: SetReleasePolicyInput!) { setReleasePolicy(input: $input) { id } }';
const RECORD_LINEAGE = 'mutation($input: LineageBatchInput!) { recordLineage(input: $input) { ids } }';

async function createProject(name: string): Promise<string> {
  return (await gateway.post<{ createProject: { id: string } }>('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name })).createProject.id;
}

/**
 * A validated model version in its own project, produced by a training run that read the top
 * layer of `layers` layers of WIDTH runs and dataset versions; returns the version and a node
 * outside its upstream.
 */
async function versionWithUpstream(projectId: string, layers: number, metrics: Record<string, number>): Promise<{ version: string; outside: string }> {
  const nodes: Array<{ key: string; kind: string; fields: Record<string, unknown> }> = [];
  const edges: Array<{ from: string; to: string; kind: string }> = [];
  const ds = (layer: number, j: number) => `ds-${layer}-${j}`;
  let digest = 0;
  const dataset = (key: string) => nodes.push({ key, kind: 'DATASET_VERSION', fields: { dataset: key.replace(/-\d+$/, ''), uri: `s3://bench/${key}`, digest: `sha256:${(++digest).toString(16).padStart(64, '0')}` } });
  for (let j = 0; j < WIDTH; j++) dataset(ds(0, j));
  for (let layer = 1; layer <= layers; layer++) {
    for (let j = 0; j < WIDTH; j++) {
      const run = `run-${layer}-${j}`;
      nodes.push({ key: run, kind: 'RUN', fields: { name: run, type: 'DATA_PROCESSING', params: {}, status: 'COMPLETED' } });
      edges.push({ from: run, to: ds(layer - 1, j), kind: 'USED' }, { from: run, to: ds(layer - 1, (j + 1) % WIDTH), kind: 'USED' });
      dataset(ds(layer, j));
      edges.push({ from: ds(layer, j), to: run, kind: 'GENERATED_BY' });
    }
  }
  nodes.push({ key: 'train', kind: 'RUN', fields: { name: 'train', type: 'TRAINING', params: {}, status: 'COMPLETED' } });
  for (let j = 0; j < WIDTH; j++) edges.push({ from: 'train', to: ds(layers, j), kind: 'USED' });
  nodes.push({ key: 'outside', kind: 'DATASET_VERSION', fields: { dataset: 'outside', uri: 's3://bench/outside', digest: `sha256:${'f'.repeat(64)}` } });
  const { ids } = (await gateway.post<{ recordLineage: { ids: string[] } }>(RECORD_LINEAGE, { input: { project: projectId, nodes, edges } })).recordLineage;
  const train = ids[nodes.findIndex((n) => n.key === 'train')]!;
  const outside = ids[nodes.findIndex((n) => n.key === 'outside')]!;
  const version = (await gateway.post<{ registerModelVersion: { id: string } }>(
    'mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id } }',
    { input: { project: projectId, model: 'gated', source: train, metrics } },
  )).registerModelVersion.id;
  await gateway.post('mutation($input: SetModelVersionStatusInput!) { setModelVersionStatus(input: $input) { id } }', { input: { version, status: 'VALIDATED' } });
  return { version, outside };
}

const metrics = { accuracy: 0.95, f1: 0.9, auc: 0.97, latency_ms: 20 };
const stamp = Date.now().toString(36);

// No policy: a small lineage (one layer).
const ungatedProject = await createProject(`gov-ungated-${stamp}`);
const ungated = await versionWithUpstream(ungatedProject, 1, metrics);

// Five policies, two of which apply to deployments of 'gated' into prod.
const policyProject = await createProject(`gov-policies-${stamp}`);
const policied = await versionWithUpstream(policyProject, 1, metrics);
for (const input of [
  { targetKind: 'ENVIRONMENT', target: 'prod', requiredStatus: 'VALIDATED', metrics: [{ key: 'accuracy', comparison: 'GTE', value: 0.9 }], requiredApprovals: 1 },
  { targetKind: 'ENVIRONMENT', target: 'prod', model: 'gated', metrics: [{ key: 'f1', comparison: 'GTE', value: 0.8 }, { key: 'auc', comparison: 'GT', value: 0.9 }, { key: 'latency_ms', comparison: 'LTE', value: 50 }] },
  { targetKind: 'ENVIRONMENT', target: 'staging', requiredStatus: 'VALIDATED' },
  { targetKind: 'ALIAS', target: 'champion', requiredApprovals: 2 },
  { targetKind: 'ALIAS', target: 'challenger', metrics: [{ key: 'accuracy', comparison: 'GTE', value: 0.5 }] },
]) {
  await gateway.post(SET_POLICY, { input: { project: policyProject, ...input } });
}
const reviewer = `Bearer ${await new SignJWT({ sub: 'reviewer', pedigree_roles: { [policyProject]: 'WRITER' } })
  .setProtectedHeader({ alg: 'HS256' })
  .setExpirationTime('2h')
  .sign(new TextEncoder().encode(JWT_SECRET))}`;
await postAs(reviewer, 'mutation($input: ApproveModelVersionInput!) { approveModelVersion(input: $input) { at } }', {
  input: { version: policied.version, targetKind: 'ENVIRONMENT', target: 'prod' },
});

// Clean lineage over about 1,000 upstream nodes, with a quarantine elsewhere in the project.
const lineageProject = await createProject(`gov-lineage-${stamp}`);
const deep = await versionWithUpstream(lineageProject, LAYERS, metrics);
await gateway.post(SET_POLICY, { input: { project: lineageProject, targetKind: 'ENVIRONMENT', target: 'prod', requireCleanLineage: true } });
await gateway.post('mutation($input: QuarantineInput!) { quarantine(input: $input) { at } }', { input: { node: deep.outside, reason: 'bench: not upstream' } });
const upstreamCount = (await gateway.post<{ node: { upstream: { reachableCount: number } } }>(
  'query($id: ID!) { node(id: $id) { upstream(maxDepth: 1000, limit: 1) { reachableCount } } }',
  { id: deep.version },
)).node.upstream.reachableCount;

const cases = [
  { name: 'no policy', version: ungated.version },
  { name: 'five policies (two apply: status, 4 metrics, 1 approval)', version: policied.version },
  { name: `clean lineage, ${upstreamCount.toLocaleString('en')} nodes upstream`, version: deep.version },
] as const;
const samples = cases.map(() => [] as number[]);
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  for (const [i, c] of cases.entries()) {
    const started = performance.now();
    await gateway.post(DEPLOY, { input: { version: c.version, environment: 'prod' } });
    if (round >= WARMUP) samples[i]!.push(performance.now() - started);
  }
}

const base = summarize(samples[0]!);
console.log(`### deployModelVersion behind the release gate (${ROUNDS} deploys per case after ${WARMUP} warm-up rounds, round-robin)\n`);
console.log('| case | median ms | p99 ms | median vs no policy | p99 vs no policy |');
console.log('|---|---:|---:|---:|---:|');
for (const [i, c] of cases.entries()) {
  const s = summarize(samples[i]!);
  console.log(`| ${c.name} | ${fmtMs(s.median)} | ${fmtMs(s.p99)} | ${(s.median / base.median).toFixed(2)}x | ${(s.p99 / base.p99).toFixed(2)}x |`);
}

await gateway.stop();
await database.stop();
