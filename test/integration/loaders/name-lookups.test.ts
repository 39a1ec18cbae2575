/**
 * Lookups by name answer a name that exists only in a project the viewer cannot read exactly
 * like a missing name: the same statements (so no extra work that timing could reveal) and the
 * same answer. Shapes are asserted, never wall-clock times.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useGateway } from '../../support/gateway.ts';
import { unique } from '../../support/graph.ts';

let viewer: Record<string, string>;
let hidden: { id: string; name: string };
const server = useGateway();
beforeAll(async () => {
  const create = async (name: string) =>
    (await server.ok<any>('mutation($input: CreateProjectInput!) { createProject(input: $input) { id name } }', { input: { name } })).createProject as { id: string; name: string };
  const mine = await create(unique('names-mine'));
  hidden = await create(unique('names-hidden'));
  await server.ok('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', { i: { project: hidden.id, name: 'train', type: 'TRAINING', experiment: 'tuning' } });
  const token = (await server.ok<any>('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', { input: { project: mine.id, role: 'VIEWER', name: unique('tok') } }))
    .createApiToken.token as string;
  viewer = { authorization: `Bearer ${token}` };
  await server.gql('{ projects { id } }', {}, viewer); // the credential is known before the requests compared
});

/** The answer and the statements of one request as the viewer. */
async function probe(query: string, variables: Record<string, unknown>) {
  const response = await server.gql(query, variables, viewer);
  return { response, statements: server.lastQueries() };
}

describe('a name of another project and a missing name', () => {
  it('project(name): the same single statement and the same null', async () => {
    const query = 'query($name: String) { project(name: $name) { id } }';
    const other = await probe(query, { name: hidden.name });
    const missing = await probe(query, { name: unique('names-missing') });
    expect(other.response).toEqual({ data: { project: null } });
    expect(missing.response).toEqual(other.response);
    expect(other.statements).toEqual([{ unit: 'projects.byName', autoCommit: true }]);
    expect(missing.statements).toEqual(other.statements);
  });

  it('experiment(project, name): the same single statement and the same null', async () => {
    const query = 'query($project: ID!, $name: String!) { experiment(project: $project, name: $name) { id } }';
    const other = await probe(query, { project: hidden.id, name: 'tuning' });
    const missing = await probe(query, { project: hidden.id, name: 'no-such-experiment' });
    expect(other.response).toEqual({ data: { experiment: null } });
    expect(missing.response).toEqual(other.response);
    expect(other.statements).toEqual([{ unit: 'experiments.byName', autoCommit: true }]);
    expect(missing.statements).toEqual(other.statements);
  });

  it('the OpenLineage project segment: the same statement and the same NOT_FOUND, naming only the segment', async () => {
    const post = async (segment: string) => {
      const response = await fetch(`${server.url.replace(/\/graphql$/, '')}/openlineage/${segment}/api/v1/lineage`, {
        method: 'POST',
        headers: { ...viewer, 'content-type': 'application/json' },
        body: JSON.stringify({ eventType: 'START', eventTime: new Date().toISOString(), run: { runId: '01890f4e-0000-7000-8000-000000000000' }, job: { namespace: 'n', name: 'j' }, producer: 'test', schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent' }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const missingName = unique('names-missing');
    const other = await post(hidden.name);
    const missing = await post(missingName);
    expect(other.status).toBe(404);
    expect(other.body['code']).toBe('NOT_FOUND');
    expect(missing.status).toBe(other.status);
    // Apart from echoing the segment given, the answers are the same.
    const masked = (body: Record<string, unknown>, segment: string) => JSON.parse(JSON.stringify(body).replaceAll(segment, '<segment>')) as unknown;
    expect(masked(missing.body, missingName)).toEqual(masked(other.body, hidden.name));
  });
});
