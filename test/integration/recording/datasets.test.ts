import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { useGateway } from '../../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../../support/graph.ts';

const driver = testDriver();

const server = useGateway();
afterAll(async () => {
  await driver.close();
});

const sha = () => `sha256:${randomBytes(32).toString('hex')}`;

const REGISTER = `mutation($input: RegisterDatasetVersionInput!) {
  registerDatasetVersion(input: $input) { id number label digest uri displayName properties schema kind dataset { id name } }
}`;
const ARTIFACT = `mutation($input: RecordArtifactInput!) {
  recordArtifact(input: $input) { id type name digest displayName properties producedBy { id } kind }
}`;

interface Version {
  id: string;
  number: number;
  label: string | null;
  digest: string;
  displayName: string;
  properties: unknown;
  schema: unknown;
  kind: string;
  dataset: { id: string; name: string };
}

async function createProject(): Promise<string> {
  const data = await server.ok<{ createProject: { id: string } }>('mutation($name: String!) { createProject(input: { name: $name }) { id } }', {
    name: unique('ds-proj'),
  });
  return data.createProject.id;
}

/** A run written straight into the graph (runs are recorded by another part of the API). */
async function createRun(projectId: string): Promise<string> {
  const id = `run_${randomBytes(16).toString('hex')}`;
  await driver.executeQuery(
    `CREATE (:Run:LineageNode {id: $id, projectId: $projectId, name: 'r', type: 'OTHER', status: 'RUNNING', paramsJson: '{}',
       summaryMetricsJson: '{}', fingerprint: 'x', startedAt: datetime(), createdAt: datetime(), createdBy: null})`,
    { id, projectId },
  );
  return id;
}

async function register(input: Record<string, unknown>): Promise<Version> {
  return (await server.ok<{ registerDatasetVersion: Version }>(REGISTER, { input })).registerDatasetVersion;
}

describe('registerDatasetVersion', () => {
  it('numbers versions 1, 2, 3 and records an event per new version', async () => {
    const project = await createProject();
    const dataset = unique('ds');
    const versions: Version[] = [];
    for (const label of ['v1', 'v2', null]) {
      versions.push(await register({ project, dataset, uri: 's3://b/k', digest: sha(), label, properties: { b: 1, a: { z: 2 } } }));
    }
    expect(versions.map((v) => v.number)).toEqual([1, 2, 3]);
    expect(versions[0]!.id).toMatch(/^dsv_/);
    expect(versions[0]!.displayName).toBe(`${dataset}@1`);
    expect(versions[0]!.properties).toEqual({ a: { z: 2 }, b: 1 });
    expect(versions[0]!.kind).toBe('DATASET_VERSION');
    expect(new Set(versions.map((v) => v.dataset.id)).size).toBe(1);

    // The previous version's id is read and written by the version's own statement, into the
    // event and into its audit entry's JSON, exactly as JSON.stringify would write it.
    const { records } = await driver.executeQuery(
      `MATCH (e:Event {kind: 'DATASET_VERSION_CREATED', projectId: $project}) MATCH (a:AuditEntry {id: e.id})
       RETURN e.subjectId AS subject, e.previousId AS previous, e.name AS name, a.detailsJson AS details ORDER BY e.seq`,
      { project },
    );
    const details = (previousId: string | null) => JSON.stringify({ event: 'DATASET_VERSION_CREATED', name: dataset, alias: null, previousId });
    expect(records.map((r) => [r.get('subject'), r.get('previous'), r.get('name'), r.get('details')])).toEqual([
      [versions[0]!.id, null, dataset, details(null)],
      [versions[1]!.id, versions[0]!.id, dataset, details(versions[0]!.id)],
      [versions[2]!.id, versions[1]!.id, dataset, details(versions[1]!.id)],
    ]);

    const read = await server.ok<{ dataset: any }>(
      `query($project: ID!, $name: String!) { dataset(project: $project, name: $name) {
        name project { id } latestVersion { number previous { number previous { number previous { number } } } }
        version(number: 2) { id label } } }`,
      { project, name: dataset },
    );
    expect(read.dataset).toMatchObject({
      name: dataset,
      project: { id: project },
      latestVersion: { number: 3, previous: { number: 2, previous: { number: 1, previous: null } } },
      version: { id: versions[1]!.id, label: 'v2' },
    });
  });

  it('returns the existing version for the same digest and writes nothing', async () => {
    const project = await createProject();
    const input = { project, dataset: unique('ds'), uri: 's3://b/k', digest: sha(), label: 'first' };
    const first = await register(input);
    const before = await graphCounts(driver);
    const second = await register(input);
    const third = await register({ ...input, label: null, uri: 's3://elsewhere' });
    expect(second.id).toBe(first.id);
    expect(third.id).toBe(first.id);
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('gives 50 concurrent registrations of one digest exactly one version', async () => {
    const project = await createProject();
    const input = { project, dataset: unique('ds'), uri: 's3://b/k', digest: sha() };
    const before = await graphCounts(driver);
    const results = await Promise.all(Array.from({ length: 50 }, () => register(input)));
    expect(new Set(results.map((v) => v.id)).size).toBe(1);
    expect(results[0]!.number).toBe(1);
    const after = await graphCounts(driver);
    // One dataset, one version, one event; VERSION_OF.
    expect(after.events - before.events).toBe(1);
    expect(after.relationships - before.relationships).toBe(1);
  });

  it('numbers 50 concurrent different digests exactly 1..50', async () => {
    const project = await createProject();
    const dataset = unique('ds');
    const results = await Promise.all(Array.from({ length: 50 }, () => register({ project, dataset, uri: 's3://b/k', digest: sha() })));
    expect(results.map((v) => v.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const { records } = await driver.executeQuery(
      `MATCH (d:Dataset {projectId: $project, name: $dataset}) RETURN d.nextNumber AS next`,
      { project, dataset },
    );
    expect(records[0]!.get('next')).toBe(51);
  });

  it('paginates versions newest first with opaque cursors', async () => {
    const project = await createProject();
    const dataset = unique('ds');
    for (let i = 0; i < 5; i++) await register({ project, dataset, uri: 's3://b/k', digest: sha() });
    const query = `query($project: ID!, $name: String!, $after: String) { dataset(project: $project, name: $name) {
      versions(first: 2, after: $after) { nodes { number } pageInfo { hasNextPage endCursor } } } }`;
    const seen: number[][] = [];
    let after: string | null = null;
    for (;;) {
      const data: { dataset: { versions: { nodes: { number: number }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } } =
        await server.ok(query, { project, name: dataset, after });
      seen.push(data.dataset.versions.nodes.map((n) => n.number));
      if (!data.dataset.versions.pageInfo.hasNextPage) break;
      after = data.dataset.versions.pageInfo.endCursor;
    }
    expect(seen).toEqual([[5, 4], [3, 2], [1]]);

    const bad = await server.gql(query, { project, name: dataset, after: 'garbage' });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('lists a project’s datasets by name', async () => {
    const project = await createProject();
    for (const name of ['c', 'a', 'b']) await register({ project, dataset: name, uri: 's3://b/k', digest: sha() });
    const query = `query($id: ID!, $after: String) { project(id: $id) { datasets(first: 2, after: $after) { nodes { name latestVersion { number } } pageInfo { hasNextPage endCursor } } } }`;
    const page1 = await server.ok<{ project: any }>(query, { id: project });
    expect(page1.project.datasets.nodes.map((d: { name: string }) => d.name)).toEqual(['a', 'b']);
    expect(page1.project.datasets.pageInfo.hasNextPage).toBe(true);
    const page2 = await server.ok<{ project: any }>(query, { id: project, after: page1.project.datasets.pageInfo.endCursor });
    expect(page2.project.datasets).toMatchObject({ nodes: [{ name: 'c', latestVersion: { number: 1 } }], pageInfo: { hasNextPage: false } });
  });

  it('rejects a label reused with another digest as CONFLICT and writes nothing', async () => {
    const project = await createProject();
    const dataset = unique('ds');
    await register({ project, dataset, uri: 's3://b/k', digest: sha(), label: 'gold' });
    const before = await graphCounts(driver);
    const result = await server.gql(REGISTER, { input: { project, dataset, uri: 's3://b/k', digest: sha(), label: 'gold' } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT' });
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('rejects malformed input with BAD_USER_INPUT naming the field and writes nothing', async () => {
    const project = await createProject();
    const base = { project, dataset: unique('ds'), uri: 's3://b/k', digest: sha() };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ digest: 'not-a-digest' }, 'input.digest'],
      [{ digest: 'sha256:XYZ' }, 'input.digest'],
      [{ uri: 's3://b/\u0000k' }, 'input.uri'],
      [{ uri: '' }, 'input.uri'],
      [{ label: 'a\u0000b' }, 'input.label'],
      [{ properties: [1, 2] }, 'input.properties'],
      [{ properties: 'text' }, 'input.properties'],
      [{ properties: { blob: 'x'.repeat(10 * 1024 * 1024) } }, 'input.properties'],
      [{ properties: { k: 'a\u0000b' } }, 'input.properties'],
      [{ dataset: '  ' }, 'input.dataset'],
    ];
    const before = await graphCounts(driver);
    for (const [override, field] of cases) {
      const result = await server.gql(REGISTER, { input: { ...base, ...override } });
      expect(result.errors?.[0]?.extensions, field).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('answers NOT_FOUND for an unknown project or another project’s run, and writes nothing', async () => {
    const project = await createProject();
    const other = await createProject();
    const foreignRun = await createRun(other);
    const before = await graphCounts(driver);
    const unknown = await server.gql(REGISTER, { input: { project: 'prj_0000', dataset: 'd', uri: 's3://b/k', digest: sha() } });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.project' });
    const foreign = await server.gql(REGISTER, {
      input: { project, dataset: unique('ds'), uri: 's3://b/k', digest: sha(), producedBy: foreignRun },
    });
    expect(foreign.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.producedBy' });
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('links producedBy and consumedBy runs', async () => {
    const project = await createProject();
    const producer = await createRun(project);
    const consumer = await createRun(project);
    const version = await register({ project, dataset: unique('ds'), uri: 's3://b/k', digest: sha(), producedBy: producer });
    await driver.executeQuery('MATCH (r:Run {id: $consumer}), (v:DatasetVersion {id: $v}) CREATE (r)-[:USED {createdAt: datetime()}]->(v)', {
      consumer,
      v: version.id,
    });
    const data = await server.ok<{ node: any }>(
      'query($id: ID!) { node(id: $id) { ... on DatasetVersion { producedBy { id } consumedBy { id } project { id } } } }',
      { id: version.id },
    );
    expect(data.node).toEqual({ producedBy: { id: producer }, consumedBy: [{ id: consumer }], project: { id: project } });
  });
});

describe('recordArtifact', () => {
  it('deduplicates on digest, records an event per new artifact and links producedBy', async () => {
    const project = await createProject();
    const run = await createRun(project);
    const name = unique('art');
    const digest = sha();
    const input = { project, type: 'labels', name, digest, properties: { n: 1 }, producedBy: run };
    const first = (await server.ok<{ recordArtifact: any }>(ARTIFACT, { input })).recordArtifact;
    expect(first).toMatchObject({ type: 'labels', name, digest, displayName: `labels:${name}`, properties: { n: 1 }, producedBy: { id: run }, kind: 'ARTIFACT' });
    expect(first.id).toMatch(/^art_/);
    const before = await graphCounts(driver);
    const second = (await server.ok<{ recordArtifact: any }>(ARTIFACT, { input })).recordArtifact;
    expect(second.id).toBe(first.id);
    expect(await graphCounts(driver)).toEqual(before);

    const other = (await server.ok<{ recordArtifact: any }>(ARTIFACT, { input: { ...input, digest: sha() } })).recordArtifact;
    expect(other.id).not.toBe(first.id);
    const noDigest = (await server.ok<{ recordArtifact: any }>(ARTIFACT, { input: { project, type: 'report', name } })).recordArtifact;
    expect(noDigest).toMatchObject({ digest: null, producedBy: null, properties: {} });

    const { records } = await driver.executeQuery(`MATCH (e:Event {kind: 'ARTIFACT_CREATED', projectId: $project}) RETURN count(e) AS n`, { project });
    expect(records[0]!.get('n')).toBe(3);
  });

  it('rejects a bad type or digest and another project’s run, writing nothing', async () => {
    const project = await createProject();
    const foreignRun = await createRun(await createProject());
    const before = await graphCounts(driver);
    for (const [input, code, field] of [
      [{ project, type: 'Labels', name: 'n' }, 'BAD_USER_INPUT', 'input.type'],
      [{ project, type: 'labels', name: 'n', digest: 'md5' }, 'BAD_USER_INPUT', 'input.digest'],
      [{ project, type: 'labels', name: 'n', properties: [1] }, 'BAD_USER_INPUT', 'input.properties'],
      [{ project, type: 'labels', name: 'n', producedBy: foreignRun }, 'NOT_FOUND', 'input.producedBy'],
    ] as const) {
      const result = await server.gql(ARTIFACT, { input });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code, field });
    }
    expect(await graphCounts(driver)).toEqual(before);
  });
});
