/**
 * Training/serving skew, pure (no I/O): the distance of one served feature from the same
 * feature of the baseline, and the threshold that applies to it.
 *
 * Numeric features: Jensen-Shannon divergence with log base 2, so 0 means identical and 1
 * means disjoint, over the baseline's bins. A served histogram with other edges is re-binned
 * onto them assuming uniform density within each served bin; mass below the baseline's first
 * edge or above its last goes to an underflow and an overflow bin, where the baseline has
 * none (serving values outside the training range are drift, not noise to drop).
 *
 * Categorical features: the L-infinity distance of the category shares, the largest absolute
 * difference of one category's share between the two, over the union of their categories.
 *
 * A feature with no mass on either side (all counts zero) has no distance: it is left out.
 */

export interface Histogram {
  /** Strictly ascending, at least two. */
  readonly edges: readonly number[];
  /** One fewer than edges, each finite and non-negative. */
  readonly counts: readonly number[];
}

export interface CategoryCount {
  readonly value: string;
  readonly count: number;
}

/** A feature's distribution: exactly one of histogram (numeric) and categories (categorical) is set. */
export interface FeatureProfile {
  readonly name: string;
  readonly histogram: Histogram | null;
  readonly categories: readonly CategoryCount[] | null;
}

/** The name the GraphQL resolver types know it by (codegen mappers). */
export type FeatureProfileRow = FeatureProfile;

export type SkewMethod = 'JENSEN_SHANNON' | 'L_INFINITY';

export interface FeatureSkew {
  readonly feature: string;
  readonly method: SkewMethod;
  readonly distance: number;
  readonly threshold: number;
  readonly exceeded: boolean;
}

/** One window's skew against its baseline (a profiled dataset version). */
export interface SkewReport {
  readonly baselineId: string;
  readonly features: readonly FeatureSkew[];
  readonly exceeded: boolean;
}

/** The name the GraphQL resolver types know it by (codegen mappers). */
export type SkewReportRow = SkewReport;

/** A project's threshold, narrowed to a model name and/or a feature name (null: any). */
export interface ThresholdRule {
  readonly model: string | null;
  readonly feature: string | null;
  readonly threshold: number;
}

export const DEFAULT_THRESHOLD = 0.1;

/**
 * The served histogram's counts on the baseline's bins: index 0 is the mass below the first
 * baseline edge, 1..n the baseline's n bins, n + 1 the mass above the last edge. Each served
 * bin's count is spread over the baseline bins it overlaps, in proportion to the overlap's
 * width (uniform density within the served bin); a served bin equal to a baseline bin keeps
 * its count exactly. One sweep over both edge lists.
 */
export function rebin(served: Histogram, baselineEdges: readonly number[]): number[] {
  const n = baselineEdges.length - 1;
  const out = new Array<number>(n + 2).fill(0);
  const first = baselineEdges[0]!;
  const last = baselineEdges[n]!;
  let i = 0; // baseline bin index (0..n-1) the sweep is in
  for (let j = 0; j < served.counts.length; j++) {
    const count = served.counts[j]!;
    if (count === 0) continue;
    const lo = served.edges[j]!;
    const hi = served.edges[j + 1]!;
    const density = count / (hi - lo);
    if (lo < first) out[0]! += density * (Math.min(hi, first) - lo);
    if (hi > last) out[n + 1]! += density * (hi - Math.max(lo, last));
    const from = Math.max(lo, first);
    const to = Math.min(hi, last);
    if (to <= from) continue;
    while (i > 0 && baselineEdges[i]! > from) i--;
    while (i < n - 1 && baselineEdges[i + 1]! <= from) i++;
    for (let k = i; k < n && baselineEdges[k]! < to; k++) {
      const overlap = Math.min(to, baselineEdges[k + 1]!) - Math.max(from, baselineEdges[k]!);
      if (overlap > 0) out[k + 1]! += density * overlap;
    }
  }
  return out;
}

/** Jensen-Shannon divergence (log base 2) of two non-negative vectors of equal length; null when either has no mass. */
export function jensenShannon(p: readonly number[], q: readonly number[]): number | null {
  if (p.length !== q.length) throw new Error('jensenShannon: vectors of different lengths');
  const sp = sum(p);
  const sq = sum(q);
  if (sp <= 0 || sq <= 0) return null;
  let divergence = 0;
  for (let k = 0; k < p.length; k++) {
    const pk = p[k]! / sp;
    const qk = q[k]! / sq;
    const mk = (pk + qk) / 2;
    if (pk > 0) divergence += 0.5 * pk * Math.log2(pk / mk);
    if (qk > 0) divergence += 0.5 * qk * Math.log2(qk / mk);
  }
  return clamp01(divergence);
}

/** JS divergence of a served histogram from the baseline's, over the baseline's bins. */
export function histogramSkew(baseline: Histogram, served: Histogram): number | null {
  const base = [0, ...baseline.counts, 0];
  return jensenShannon(base, rebin(served, baseline.edges));
}

/** L-infinity distance of the category shares; null when either side has no mass. */
export function categoricalSkew(baseline: readonly CategoryCount[], served: readonly CategoryCount[]): number | null {
  const sb = sum(baseline.map((c) => c.count));
  const ss = sum(served.map((c) => c.count));
  if (sb <= 0 || ss <= 0) return null;
  const shares = new Map<string, number>();
  for (const c of baseline) shares.set(c.value, (shares.get(c.value) ?? 0) + c.count / sb);
  for (const c of served) shares.set(c.value, (shares.get(c.value) ?? 0) - c.count / ss);
  let distance = 0;
  for (const difference of shares.values()) distance = Math.max(distance, Math.abs(difference));
  return clamp01(distance);
}

/**
 * The threshold for a feature of a model: the most specific rule wins (model and feature,
 * then feature only, then model only, then the project's), DEFAULT_THRESHOLD without one.
 */
export function thresholdFor(rules: readonly ThresholdRule[], model: string, feature: string): number {
  let best: ThresholdRule | null = null;
  let bestRank = -1;
  for (const rule of rules) {
    if ((rule.model !== null && rule.model !== model) || (rule.feature !== null && rule.feature !== feature)) continue;
    const rank = (rule.feature !== null ? 2 : 0) + (rule.model !== null ? 1 : 0);
    if (rank > bestRank) {
      best = rule;
      bestRank = rank;
    }
  }
  return best?.threshold ?? DEFAULT_THRESHOLD;
}

/** Whether the two profiles of one feature are of the same kind (both numeric or both categorical). */
export function sameKind(a: FeatureProfile, b: FeatureProfile): boolean {
  return (a.histogram !== null) === (b.histogram !== null);
}

/**
 * The skew of each served feature that the baseline also profiles, with the same kind, in the
 * served order; a window exceeds when any feature's distance is above its threshold.
 */
export function skewReport(
  baseline: { readonly id: string; readonly features: readonly FeatureProfile[] },
  served: readonly FeatureProfile[],
  rules: readonly ThresholdRule[],
  model: string,
): SkewReport {
  const byName = new Map(baseline.features.map((f) => [f.name, f]));
  const features: FeatureSkew[] = [];
  for (const feature of served) {
    const base = byName.get(feature.name);
    if (!base || !sameKind(base, feature)) continue;
    const method: SkewMethod = feature.histogram ? 'JENSEN_SHANNON' : 'L_INFINITY';
    const distance = feature.histogram ? histogramSkew(base.histogram!, feature.histogram) : categoricalSkew(base.categories!, feature.categories!);
    if (distance === null) continue;
    const threshold = thresholdFor(rules, model, feature.name);
    features.push({ feature: feature.name, method, distance, threshold, exceeded: distance > threshold });
  }
  return { baselineId: baseline.id, features, exceeded: features.some((f) => f.exceeded) };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Rounding can put a distance a hair outside [0, 1]. */
function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
