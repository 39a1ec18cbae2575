/**
 * The explorer is a client of the public API only: every operation it sends is valid against
 * the schema and within the default depth, alias and cost limits the gateway enforces.
 */
import { parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createSchema } from '../../../src/graphql/schema/index.ts';
import { validationRules } from '../../../src/graphql/schema/limits.ts';
import { operationWork } from '../../../src/graphql/schema/work.ts';
import * as operations from '../../../web/src/api/queries.ts';

const schema = createSchema();
const rules = [...specifiedRules, ...validationRules(loadConfig({}).limits, { introspection: false })];
const documents: [string, string][] = Object.entries(operations as Record<string, unknown>).flatMap(([name, value]) =>
  typeof value === 'string' && /^(query|subscription|mutation) /.test(value) ? [[name, value] as [string, string]] : [],
);

describe('the explorer operations', () => {
  it('are the ones the page sends', () => {
    expect(documents.map(([name]) => name).sort()).toEqual(['CATALOG', 'DETAIL', 'LINEAGE_PATH', 'METRIC_HISTORY', 'NEIGHBOURHOOD', 'NODE_BY_ID', 'PROJECTS', 'QUARANTINES', 'RELEASE_CHECK', 'VERSION_EVENTS']);
  });

  it.each(documents)('%s validates within the default limits', (_name, document) => {
    expect(validate(schema, parse(document), rules).map((error) => error.message)).toEqual([]);
  });

  it('looks versions up for as many names as search asks for, within the limits', () => {
    expect(validate(schema, parse(operations.versionsOf(6, 6)), rules).map((error) => error.message)).toEqual([]);
    expect(operations.versionsOf(1, 2)).toContain('m1: model(project: $project, name: $m1)');
  });

  it('asks for the quarantines and their downstream ids within the default work limit', () => {
    const limits = loadConfig({}).limits;
    const work = operationWork(schema, parse(operations.QUARANTINES), 'Quarantines', { project: 'p', asOf: null, reach: operations.QUARANTINE_REACH }, limits.representations);
    expect(work).toBeGreaterThan(operations.QUARANTINE_REACH); // the reach is charged
    expect(work).toBeLessThanOrEqual(limits.work);
  });
});
