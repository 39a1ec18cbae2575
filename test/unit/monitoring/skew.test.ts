/**
 * Skew distances against values worked out by hand (in the comments), and the input checks of
 * profiles and windows. NaN and Infinity cannot travel in GraphQL's JSON, so they are checked here.
 */
import { describe, expect, it } from 'vitest';
import { PedigreeError } from '../../../src/domain/errors.ts';
import {
  categoricalSkew,
  DEFAULT_THRESHOLD,
  histogramSkew,
  jensenShannon,
  rebin,
  skewReport,
  thresholdFor,
  type FeatureProfile,
} from '../../../src/monitoring/skew.ts';
import { checkFeatures, checkMetrics, MAX_FEATURES } from '../../../src/monitoring/validate.ts';

const hist = (edges: number[], counts: number[]) => ({ edges, counts });

describe('Jensen-Shannon divergence (log base 2) over the baseline bins', () => {
  it('is 0 for identical distributions, whatever their scale', () => {
    expect(histogramSkew(hist([0, 1, 2, 3], [5, 3, 2]), hist([0, 1, 2, 3], [5, 3, 2]))).toBe(0);
    expect(histogramSkew(hist([0, 1, 2, 3], [5, 3, 2]), hist([0, 1, 2, 3], [50, 30, 20]))).toBe(0);
  });

  it('is 1 for disjoint distributions, inside the baseline range or outside it', () => {
    expect(histogramSkew(hist([0, 1, 2], [4, 0]), hist([0, 1, 2], [0, 3]))).toBe(1);
    // Every served value is above the baseline's last edge: all of it lands in the overflow bin.
    expect(histogramSkew(hist([0, 1], [10]), hist([2, 3], [5]))).toBe(1);
    expect(histogramSkew(hist([0, 1], [10]), hist([-3, -2], [5]))).toBe(1);
  });

  it('re-bins a served histogram with other edges assuming uniform density within a bin: a worked example', () => {
    // Baseline edges 0,1,2 with counts 1,1: P = [under 0, .5, .5, over 0].
    // Served edges .5,1.5,2.5 with counts 2,2: the bin [.5,1.5) puts 1 into [0,1) and 1 into [1,2);
    // [1.5,2.5) puts 1 into [1,2) and 1 above 2. Q = [0, 1, 2, 1] / 4 = [0, .25, .5, .25].
    expect(rebin(hist([0.5, 1.5, 2.5], [2, 2]), [0, 1, 2])).toEqual([0, 1, 2, 1]);
    // M = (P + Q) / 2 = [0, .375, .5, .125].
    // KL(P||M) = .5 log2(.5/.375) + .5 log2(1) = .5 (2 - log2 3)
    // KL(Q||M) = .25 log2(.25/.375) + .5 log2(1) + .25 log2(.25/.125) = .25 (1 - log2 3) + .25 = .25 (2 - log2 3)
    // JS = (KL(P||M) + KL(Q||M)) / 2 = .375 (2 - log2 3) = 0.155639...
    const expected = 0.375 * (2 - Math.log2(3));
    expect(expected).toBeCloseTo(0.155639, 6);
    expect(histogramSkew(hist([0, 1, 2], [1, 1]), hist([0.5, 1.5, 2.5], [2, 2]))).toBeCloseTo(expected, 12);
  });

  it('re-bins a wide served bin over many baseline bins and keeps equal edges exact', () => {
    // [0,4) with 8 spreads 2 per unit: 2 into [0,1), 4 into [1,3), 2 into [3,4).
    expect(rebin(hist([0, 4], [8]), [0, 1, 3, 4])).toEqual([0, 2, 4, 2, 0]);
    expect(rebin(hist([0, 1, 3, 4], [7, 0, 3]), [0, 1, 3, 4])).toEqual([0, 7, 0, 3, 0]);
  });

  it('is symmetric and has no value when one side has no mass', () => {
    expect(jensenShannon([1, 3, 0], [2, 1, 1])).toBeCloseTo(jensenShannon([2, 1, 1], [1, 3, 0])!, 15);
    expect(jensenShannon([0, 0], [1, 1])).toBeNull();
  });
});

describe('L-infinity distance of category shares', () => {
  it('is 0 for identical shares and 1 for disjoint categories', () => {
    expect(categoricalSkew([{ value: 'a', count: 2 }, { value: 'b', count: 6 }], [{ value: 'b', count: 3 }, { value: 'a', count: 1 }])).toBe(0);
    expect(categoricalSkew([{ value: 'a', count: 5 }], [{ value: 'b', count: 7 }])).toBe(1);
  });

  it('is the largest difference of one category share: a worked example', () => {
    // Baseline a 50, b 30, c 20: shares .5 .3 .2. Served a 20, b 30, c 40, d 10: .2 .3 .4 .1.
    // Differences: a .3, b 0, c .2, d .1; the largest is .3.
    const baseline = [{ value: 'a', count: 50 }, { value: 'b', count: 30 }, { value: 'c', count: 20 }];
    const served = [{ value: 'a', count: 20 }, { value: 'b', count: 30 }, { value: 'c', count: 40 }, { value: 'd', count: 10 }];
    expect(categoricalSkew(baseline, served)).toBeCloseTo(0.3, 12);
  });
});

describe('thresholds', () => {
  const rules = [
    { model: null, feature: null, threshold: 0.2 },
    { model: 'ranker', feature: null, threshold: 0.3 },
    { model: null, feature: 'age', threshold: 0.4 },
    { model: 'ranker', feature: 'age', threshold: 0.5 },
  ];
  it('takes the most specific rule: model and feature, then feature, then model, then the project', () => {
    expect(thresholdFor(rules, 'ranker', 'age')).toBe(0.5);
    expect(thresholdFor(rules, 'scorer', 'age')).toBe(0.4);
    expect(thresholdFor(rules, 'ranker', 'country')).toBe(0.3);
    expect(thresholdFor(rules, 'scorer', 'country')).toBe(0.2);
    expect(thresholdFor([], 'scorer', 'country')).toBe(DEFAULT_THRESHOLD);
    expect(DEFAULT_THRESHOLD).toBe(0.1);
  });

  it('marks a window exceeded when one feature is above its threshold, and skips unprofiled or empty features', () => {
    const baseline: FeatureProfile[] = [
      { name: 'age', histogram: hist([0, 1, 2], [1, 1]), categories: null },
      { name: 'country', histogram: null, categories: [{ value: 'de', count: 1 }] },
    ];
    const served: FeatureProfile[] = [
      { name: 'age', histogram: hist([0.5, 1.5, 2.5], [2, 2]), categories: null },
      { name: 'country', histogram: null, categories: [{ value: 'de', count: 0 }] },
      { name: 'unknown', histogram: hist([0, 1], [1]), categories: null },
    ];
    const report = skewReport({ id: 'dsv_1', features: baseline }, served, [{ model: null, feature: 'age', threshold: 0.2 }], 'ranker');
    expect(report.features.map((f) => [f.feature, f.method, f.threshold, f.exceeded])).toEqual([['age', 'JENSEN_SHANNON', 0.2, false]]);
    expect(report.exceeded).toBe(false);
    const strict = skewReport({ id: 'dsv_1', features: baseline }, served, [], 'ranker');
    expect(strict.exceeded).toBe(true);
    expect(strict.baselineId).toBe('dsv_1');
  });
});

describe('profile and window input checks', () => {
  const fails = (fn: () => unknown, field: string) => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(PedigreeError);
      expect((error as PedigreeError).code).toBe('BAD_USER_INPUT');
      expect((error as PedigreeError).details['field']).toBe(field);
      return;
    }
    throw new Error(`expected BAD_USER_INPUT at ${field}`);
  };

  it('names the offending field', () => {
    fails(() => checkFeatures('input.features', [{ name: 'x', histogram: hist([0, 2, 1], [1, 1]) }]), 'input.features[0].histogram.edges[2]');
    fails(() => checkFeatures('input.features', [{ name: 'x', histogram: hist([0, 1, 2], [1]) }]), 'input.features[0].histogram.counts');
    fails(() => checkFeatures('input.features', [{ name: 'x', histogram: hist([0, 1], [-1]) }]), 'input.features[0].histogram.counts[0]');
    fails(() => checkFeatures('input.features', [{ name: 'x', histogram: hist([0, 1], [Number.NaN]) }]), 'input.features[0].histogram.counts[0]');
    fails(() => checkFeatures('input.features', [{ name: 'x', histogram: hist([0, Number.NaN], [1]) }]), 'input.features[0].histogram.edges[1]');
    fails(() => checkFeatures('input.features', [{ name: 'x', categories: [{ value: 'a', count: Number.POSITIVE_INFINITY }] }]), 'input.features[0].categories[0].count');
    fails(() => checkFeatures('input.features', [{ name: 'x', histogram: hist([0, 1], [1]), categories: [{ value: 'a', count: 1 }] }]), 'input.features[0]');
    fails(() => checkFeatures('input.features', [{ name: 'x' }]), 'input.features[0]');
    fails(() => checkFeatures('input.features', [{ name: 'x', categories: [] }, { name: 'x', categories: [] }]), 'input.features[1].name');
    fails(() => checkFeatures('input.features', Array.from({ length: MAX_FEATURES + 1 }, (_, i) => ({ name: `f${i}`, categories: [] }))), 'input.features');
    fails(() => checkMetrics('input.metrics', [{ key: 'requests', value: Number.NaN }]), 'input.metrics[0].value');
    fails(() => checkMetrics('input.metrics', [{ key: 'requests', value: 1 }, { key: 'requests', value: 2 }]), 'input.metrics[1].key');
  });

  it('returns the canonical order, so the same profile sent in another order is the same', () => {
    const a = checkFeatures('f', [
      { name: 'b', categories: [{ value: 'y', count: 1 }, { value: 'x', count: 2 }] },
      { name: 'a', histogram: hist([0, 1], [1]) },
    ]);
    const b = checkFeatures('f', [
      { name: 'a', histogram: hist([0, 1], [1]) },
      { name: 'b', categories: [{ value: 'x', count: 2 }, { value: 'y', count: 1 }] },
    ]);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.map((f) => f.name)).toEqual(['a', 'b']);
  });
});
