/**
 * Reads go through per-request DataLoaders: listing runs with their experiment, inputs,
 * outputs, checkpoints and the model versions derived from them costs a fixed number of
 * Cypher queries, whatever the number of runs.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../../support/gateway.ts';
import { unique } from '../../support/graph.ts';

const server = useGateway();

const sha = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

async function seed(runs: number): Promise<{ projectId: string; experiment: string }> {
  const projectId = (await server.ok<any>('mutation($n: String!) { createProject(input: { name: $n }) { id } }', { n: unique('qc') })).createProject.id;
  const experiment = 'sweep';
  const data = (await server.ok<any>(
    'mutation($i: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $i) { id } }',
    { i: { project: projectId, dataset: 'd', uri: 's3://d', digest: sha(runs) } },
  )).registerDatasetVersion.id;
  for (let i = 0; i < runs; i++) {
    const run = (await server.ok<any>('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', {
      i: { project: projectId, name: `r${i}`, type: 'TRAINING', experiment, params: { i }, inputs: [{ id: data, role: 'train' }] },
    })).startRun.id;
    const ckp = (await server.ok<any>('mutation($i: LogCheckpointInput!) { logCheckpoint(input: $i) { id } }', { i: { run, step: 1, uri: 's3://c' } })).logCheckpoint.id;
    if (i % 2 === 0) {
      await server.ok('mutation($i: RegisterModelVersionInput!) { registerModelVersion(input: $i) { id } }', { i: { project: projectId, model: `m${i % 10}`, source: ckp } });
    }
  }
  return { projectId, experiment };
}

const LIST = `query($p: ID!, $e: String!, $first: Int!) {
  experiment(project: $p, name: $e) {
    runs(first: $first) {
      nodes {
        id name status experiment { name } project { name } parent { id }
        inputs { role node { id kind ... on DatasetVersion { number dataset { name } } } }
        outputs { role node { id } }
        checkpoints { step run { id } }
      }
    }
  }
}`;

describe('DataLoader batching', () => {
  it('lists runs with their relations in the same number of queries for 20 and 200 runs', async () => {
    const small = await seed(20);
    const large = await seed(200);

    const a = await server.ok<any>(LIST, { p: small.projectId, e: small.experiment, first: 500 });
    const smallCount = server.lastQueryCount();
    const b = await server.ok<any>(LIST, { p: large.projectId, e: large.experiment, first: 500 });
    const largeCount = server.lastQueryCount();

    expect(a.experiment.runs.nodes).toHaveLength(20);
    expect(b.experiment.runs.nodes).toHaveLength(200);
    expect(b.experiment.runs.nodes.every((r: any) => r.inputs.length === 1 && r.checkpoints.length === 1)).toBe(true);
    expect(largeCount).toBe(smallCount);
    expect(largeCount).toBeLessThanOrEqual(15);
  }, 180_000);
});
