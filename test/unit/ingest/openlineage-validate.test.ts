/** The OpenLineage request checks: the 2-0-2 schema by event kind, then Pedigree's limits. */
import { describe, expect, it } from 'vitest';
import { PedigreeError } from '../../../src/domain/errors.ts';
import { datasetName } from '../../../src/ingest/openlineage/mapping.ts';
import { checkEvent, MAX_DATASETS_PER_EVENT, MAX_FACET_BYTES } from '../../../src/ingest/openlineage/validate.ts';

const facet = { _producer: 'https://example.com/p', _schemaURL: 'https://openlineage.io/spec/facets/1-0-1/X.json' };
const base = { eventTime: '2026-11-30T06:00:00.000Z', producer: 'https://example.com/p', schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent' };
const runEvent = () => ({
  ...base,
  eventType: 'START',
  run: { runId: '0193d1c2-7a51-7cc0-9b1e-2f5e3d4c5b6a', facets: { parent: { ...facet, run: { runId: '0193d1c2-7a51-7cc0-9b1e-2f5e3d4c5b6b' }, job: { namespace: 'airflow', name: 'dag' } } } },
  job: { namespace: 'airflow', name: 'extract', facets: { sourceCodeLocation: { ...facet, type: 'git', url: 'https://git.example.com/p.git' } } },
  inputs: [{ namespace: 'warehouse', name: 'raw', facets: { version: { ...facet, datasetVersion: '7' } }, inputFacets: {} }],
  outputs: [{ namespace: 'warehouse', name: 'clicks', facets: { schema: { ...facet, fields: [{ name: 'id', type: 'BIGINT' }] } }, outputFacets: {} }],
});

function failure(body: unknown): PedigreeError {
  try {
    checkEvent(body);
  } catch (error) {
    if (error instanceof PedigreeError) return error;
    throw error;
  }
  throw new Error('the event was accepted');
}

describe('checkEvent', () => {
  it('accepts a RunEvent with the facets Pedigree reads, a JobEvent and a DatasetEvent', () => {
    expect(checkEvent(runEvent()).kind).toBe('RunEvent');
    expect(checkEvent({ ...base, job: { namespace: 'n', name: 'j' } }).kind).toBe('JobEvent');
    expect(checkEvent({ ...base, dataset: { namespace: 'n', name: 'd' } }).kind).toBe('DatasetEvent');
  });

  it('reports the schema violations of the kind the body claims to be, with their paths', () => {
    const error = failure({ ...runEvent(), eventType: 'DONE', producer: 'not a uri' });
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details['errors']).toEqual(
      expect.arrayContaining(['event.eventType must be equal to one of the allowed values (START, RUNNING, COMPLETE, ABORT, FAIL, OTHER)', 'event.producer must match format "uri"']),
    );
  });

  it('checks the facets it reads against their own specs, and every other facet as a base facet', () => {
    const event = runEvent();
    (event.inputs[0]!.facets.version as Record<string, unknown>)['datasetVersion'] = 7;
    expect(failure(event).details['errors']).toContain('event.inputs.0.facets.version.datasetVersion must be string');
    const bare = runEvent();
    (bare.run.facets as Record<string, unknown>)['custom'] = { anything: true };
    expect(failure(bare).details['errors']).toContain("event.run.facets.custom must have required property '_producer'");
  });

  it('refuses a job event that carries a run, and a dataset event without a dataset name', () => {
    expect(failure({ ...base, dataset: { namespace: 'n' } }).details['errors']).toContain("event.dataset must have required property 'name'");
    expect(failure({ ...runEvent(), run: undefined }).code).toBe('BAD_USER_INPUT');
  });

  it('limits datasets per event and bytes per facet, and refuses NUL in values and keys', () => {
    const many = { ...runEvent(), inputs: Array.from({ length: MAX_DATASETS_PER_EVENT }, (_, i) => ({ namespace: 'n', name: `t${i}` })) };
    expect(failure(many).code).toBe('LIMIT_EXCEEDED');
    const big = runEvent();
    (big.job.facets as Record<string, unknown>)['blob'] = { ...facet, data: 'x'.repeat(MAX_FACET_BYTES) };
    expect(failure(big).details['field']).toBe('event.job.facets.blob');
    expect(failure({ ...runEvent(), job: { namespace: 'n', name: 'a\u0000b' } }).details['field']).toBe('event.job.name');
    const key = runEvent();
    (key.run.facets as Record<string, unknown>)['x\u0000'] = facet;
    expect(failure(key).message).toMatch(/keys of event\.run\.facets must not contain NUL/);
  });
});

describe('datasetName', () => {
  it('joins namespace and name with exactly one slash', () => {
    expect(datasetName({ namespace: 'warehouse', name: 'clicks' })).toBe('warehouse/clicks');
    expect(datasetName({ namespace: 's3://lake/', name: '/raw/events' })).toBe('s3://lake/raw/events');
    expect(datasetName({ namespace: 'postgres://db:5432', name: 'shop.public.orders' })).toBe('postgres://db:5432/shop.public.orders');
  });
});
