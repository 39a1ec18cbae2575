import { describe, expect, it } from 'vitest';
import { compareRuns, flatten } from '../../src/experiments/compare.ts';
import type { RunRow } from '../../src/domain/rows.ts';

const run = (params: unknown, metrics: Record<string, number>) => ({ paramsJson: JSON.stringify(params), summaryMetricsJson: JSON.stringify(metrics) }) as RunRow;

describe('compareRuns', () => {
  it('flattens params three levels deep to dotted keys', () => {
    expect([...flatten({ a: { b: { c: 1 } }, d: [1, { e: 2 }], f: {} })]).toEqual([
      ['a.b.c', 1],
      ['d', [1, { e: 2 }]],
      ['f', {}],
    ]);
  });

  it('lists only differing params, and every metric, in the order of the runs', () => {
    const result = compareRuns([
      run({ opt: { name: 'adam', lr: 0.1, betas: { b1: 0.9 } }, epochs: 10 }, { loss: 0.3, acc: 0.9 }),
      run({ opt: { name: 'adam', lr: 0.01, betas: { b1: 0.9 } }, epochs: 10, seed: 1 }, { loss: 0.2 }),
    ]);
    expect(result.differingParams).toEqual([
      { key: 'opt.lr', values: [0.1, 0.01] },
      { key: 'seed', values: [null, 1] },
    ]);
    expect(result.metrics).toEqual([
      { key: 'acc', values: [0.9, null] },
      { key: 'loss', values: [0.3, 0.2] },
    ]);
  });

  it('finds nothing differing between identical runs', () => {
    expect(compareRuns([run({ a: { b: 1 } }, {}), run({ a: { b: 1 } }, {})]).differingParams).toEqual([]);
  });
});
