import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway, useGateway, wsCollect } from '../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../support/graph.ts';
import { freePort } from '../support/ports.ts';

const driver = testDriver();

const server = useGateway();
afterAll(async () => {
  await driver.close();
});

describe('the gateway over HTTP', () => {
  it('serves the subgraph SDL with federation keys', async () => {
    const data = await server.ok<{ _service: { sdl: string } }>('{ _service { sdl } }');
    expect(data._service.sdl).toContain('type DatasetVersion implements LineageNode @key(fields: "id")');
    expect(data._service.sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.9"');
  });

  it('answers health and readiness once Neo4j is migrated', async () => {
    const base = server.url.replace('/graphql', '');
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ neo4j: true, migrated: true });
  });

  it('exposes Prometheus metrics, Cypher statements included', async () => {
    await server.ok('{ projects { id } }');
    const text = await (await fetch(server.url.replace('/graphql', '/metrics'))).text();
    expect(text).toMatch(/pedigree_http_requests_total\{route="\/graphql",status="200"\} \d+/);
    expect(text).toMatch(/pedigree_cypher_queries_total\{unit="projects.all",mode="read"\} \d+/);
  });

  it('creates a project once per name', async () => {
    const name = unique('proj');
    const before = await graphCounts(driver);
    const create = `mutation($name: String!) { createProject(input: { name: $name, description: "d" }) { id name description } }`;
    const first = await server.ok<{ createProject: { id: string } }>(create, { name });
    const second = await server.ok<{ createProject: { id: string } }>(create, { name });
    expect(second.createProject.id).toBe(first.createProject.id);
    expect(first.createProject.id).toMatch(/^prj_/);
    expect((await graphCounts(driver)).nodes).toBe(before.nodes + 1);

    const byName = await server.ok<{ project: { id: string } }>('query($name: String) { project(name: $name) { id } }', { name });
    expect(byName.project.id).toBe(first.createProject.id);
  });

  it('rejects a blank or NUL-carrying project name and writes nothing', async () => {
    const before = await graphCounts(driver);
    for (const name of ['   ', 'a\u0000b']) {
      const result = await server.gql('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    }
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('puts the error code, the field and a request id on every error', async () => {
    const result = await server.gql('{ provenanceManifest(of: "run_1") { __typename } }');
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'of' });
    expect(result.errors?.[0]?.extensions?.['requestId']).toEqual(expect.any(String));
  });

  it('keeps CSRF prevention on for simple requests', async () => {
    const response = await fetch(`${server.url}?query=${encodeURIComponent('{ projects { id } }')}`);
    expect(response.status).toBe(400);
  });
});

describe('the gateway over WebSocket', () => {
  it('runs queries on the same schema through graphql-ws', async () => {
    const name = unique('ws');
    await server.ok('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name });
    const results = await wsCollect(server.ws(), '{ projects { name } }');
    expect(results).toHaveLength(1);
    expect(results[0]!.data?.['projects']).toEqual(expect.arrayContaining([{ name }]));
  });

  it('applies the same error vocabulary to subscriptions', async () => {
    const results = await wsCollect(server.ws(), 'subscription { versionEvents(filter: { projects: ["nope"] }) { id } }');
    expect(results[0]!.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'filter.projects[0]' });
  });

  it('rejects invalid operations with a validation error, not a crash', async () => {
    const results = await wsCollect(server.ws(), '{ noSuchField }');
    expect(results[0]!.errors?.[0]?.message).toMatch(/Cannot query field "noSuchField"/);
  });
});

describe('start-up and shutdown', () => {
  it('answers 503 on /health/ready while Neo4j is unreachable, 200 on /health/live', async () => {
    const deadPort = await freePort();
    await using offline = await startTestGateway({
      neo4jUri: `bolt://127.0.0.1:${deadPort}`,
      waitReady: false,
      config: { neo4j: { startupTimeoutMs: 60_000 } },
    });
    const base = offline.url.replace('/graphql', '');
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ neo4j: false, migrated: false });
    const result = await offline.gql('{ projects { id } }');
    expect(result.errors?.[0]?.extensions?.['code']).toBe('UNAVAILABLE');
  });

  it('drains WebSocket clients and closes the driver on stop', async () => {
    const other = await startTestGateway();
    const client = other.ws();
    const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
    await wsCollect(client, '{ projects { id } }');
    await other.gateway.stop();
    expect(await closed).toBe(1001);
    await expect(other.gateway.driver.verifyConnectivity()).rejects.toThrow();
  });
});
