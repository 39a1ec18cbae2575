/**
 * startRun as a service (test/support/services.ts): the run, its links and its event are sent
 * together, so a repeat with the same idempotency key must find the earlier run and write
 * nothing at all.
 */
import { describe, expect, it } from 'vitest';
import { startRun } from '../../src/recording/runs.ts';
import { useServices } from '../support/services.ts';

const services = useServices();

describe('startRun (service)', () => {
  it('a repeat with the same idempotency key returns the earlier run and writes nothing: no run, no link, no event', async () => {
    const project = await services.project('svc-run');
    const input = { project, name: 'train', type: 'TRAINING' as const, experiment: 'e', idempotencyKey: 'k' };
    const first = await startRun(services.deps(), input);
    const before = await services.projectCounts(project);
    const again = await startRun(services.deps(), input);
    expect(again.id).toBe(first.id);
    expect(await services.projectCounts(project)).toEqual(before);
  });
});
