/**
 * registerDatasetVersion as a service, in process against the real Neo4j (test/support/services.ts):
 * gap-free numbers under concurrency with one event each, idempotent retries, and refusals that
 * write nothing in the project.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { registerDatasetVersion } from '../../src/recording/datasets.ts';
import { refusalOf, useServices } from '../support/services.ts';

const services = useServices();
const sha = () => `sha256:${randomBytes(32).toString('hex')}`;

describe('registerDatasetVersion (service)', () => {
  it('numbers 20 concurrent versions of one dataset 1..20 without gaps, each with one sequenced event', async () => {
    const project = await services.project('svc-ds');
    const before = await services.projectCounts(project);
    const versions = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        registerDatasetVersion(services.deps(), { project, dataset: 'clicks', digest: sha(), uri: `s3://b/clicks/${i}` }),
      ),
    );
    expect(versions.map((v) => v.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const after = await services.projectCounts(project);
    expect(after.events - before.events).toBe(20);
    const [pending] = await services.executor.readOne('test.pending', (tx) =>
      tx.run('MATCH (e:Event {projectId: $project}) WHERE e.seq IS NULL RETURN count(e) AS n', { project }),
    );
    expect(pending!.get('n')).toBe(0);
  });

  it('returns the existing version for a repeated digest and writes nothing more', async () => {
    const project = await services.project('svc-ds');
    const input = { project, dataset: 'clicks', digest: sha(), uri: 's3://b/clicks/1' };
    const first = await registerDatasetVersion(services.deps(), input);
    const counts = await services.projectCounts(project);
    const again = await registerDatasetVersion(services.deps(), input);
    expect(again.id).toBe(first.id);
    expect(again.number).toBe(1);
    expect(await services.projectCounts(project)).toEqual(counts);
  });

  it('refuses bad input, another digest under a taken label, and a VIEWER, writing nothing in the project', async () => {
    const project = await services.project('svc-ds');
    await registerDatasetVersion(services.deps(), { project, dataset: 'clicks', digest: sha(), uri: 's3://b/1', label: 'v1' });
    const counts = await services.projectCounts(project);

    expect(await refusalOf(registerDatasetVersion(services.deps(), { project, dataset: 'clicks', digest: 'sha256:NOT-HEX', uri: 's3://b/2' }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.digest',
    });
    expect(await refusalOf(registerDatasetVersion(services.deps(), { project, dataset: 'clicks', digest: sha(), uri: 's3://b/3', label: 'v1' }))).toEqual({
      code: 'CONFLICT',
      field: 'input.label',
    });
    const viewer = services.member(project, 'VIEWER');
    expect((await refusalOf(registerDatasetVersion(services.deps(viewer), { project, dataset: 'clicks', digest: sha(), uri: 's3://b/4' }))).code).toBe('FORBIDDEN');

    expect(await services.projectCounts(project)).toEqual(counts);
  });

  it('counts what one project holds, not what others write', async () => {
    const [mine, theirs] = [await services.project('svc-ds'), await services.project('svc-ds')];
    const before = await services.projectCounts(mine);
    await registerDatasetVersion(services.deps(), { project: theirs, dataset: 'clicks', digest: sha(), uri: 's3://b/1' });
    expect(await services.projectCounts(mine)).toEqual(before);
    await registerDatasetVersion(services.deps(), { project: mine, dataset: 'clicks', digest: sha(), uri: 's3://b/1' });
    const after = await services.projectCounts(mine);
    // The new dataset, its version and their audit entries (nodes and edges) and one event.
    expect(after.nodes).toBeGreaterThan(before.nodes);
    expect(after.relationships).toBeGreaterThan(before.relationships);
    expect(after.events - before.events).toBe(1);
  });
});
