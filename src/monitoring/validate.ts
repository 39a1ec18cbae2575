/**
 * Input checks of profiles and serving windows. Each throws BAD_USER_INPUT naming the
 * offending field path (e.g. `input.features[3].histogram.edges[2]`) before anything is
 * written, and returns the canonical form that is stored and compared: features sorted by
 * name, categories by value, metrics by key (so the same distributions sent in another order
 * are the same profile or window).
 */
import { badInput } from '../domain/errors.ts';
import { checkName, checkText } from '../recording/validate.ts';
import type { CategoryCount, FeatureProfile, Histogram } from './skew.ts';

export const MAX_FEATURES = 10_000;
export const MAX_BINS = 10_000;
export const MAX_CATEGORIES = 10_000;
export const MAX_METRICS = 1_000;
const MAX_CATEGORY_LENGTH = 1_000;

export interface FeatureProfileInput {
  readonly name: string;
  readonly histogram?: { readonly edges: readonly number[]; readonly counts: readonly number[] } | null | undefined;
  readonly categories?: readonly { readonly value: string; readonly count: number }[] | null | undefined;
}

/** Checks a list of feature profiles at `at` (e.g. 'input.features'); canonical order. */
export function checkFeatures(at: string, features: readonly FeatureProfileInput[]): FeatureProfile[] {
  if (features.length > MAX_FEATURES) throw badInput(at, `${at} may hold at most ${MAX_FEATURES} features, got ${features.length}`);
  const seen = new Set<string>();
  const out = features.map((feature, i) => {
    const path = `${at}[${i}]`;
    const name = checkName(`${path}.name`, feature.name);
    if (seen.has(name)) throw badInput(`${path}.name`, `${path}.name: feature '${name}' appears twice`);
    seen.add(name);
    const hasHistogram = feature.histogram !== null && feature.histogram !== undefined;
    const hasCategories = feature.categories !== null && feature.categories !== undefined;
    if (hasHistogram && hasCategories) throw badInput(path, `${path} must have a histogram or categories, not both`);
    if (!hasHistogram && !hasCategories) throw badInput(path, `${path} must have a histogram (numeric) or categories (categorical)`);
    return hasHistogram
      ? { name, histogram: checkHistogram(`${path}.histogram`, feature.histogram!), categories: null }
      : { name, histogram: null, categories: checkCategories(`${path}.categories`, feature.categories!) };
  });
  return out.sort((a, b) => compare(a.name, b.name));
}

function checkHistogram(at: string, histogram: NonNullable<FeatureProfileInput['histogram']>): Histogram {
  const { edges, counts } = histogram;
  if (edges.length < 2 || edges.length > MAX_BINS + 1) throw badInput(`${at}.edges`, `${at}.edges must hold 2 to ${MAX_BINS + 1} edges, got ${edges.length}`);
  edges.forEach((edge, i) => {
    if (!Number.isFinite(edge)) throw badInput(`${at}.edges[${i}]`, `${at}.edges[${i}] must be a finite number`);
    if (i > 0 && !(edge > edges[i - 1]!)) throw badInput(`${at}.edges[${i}]`, `${at}.edges must be strictly ascending; edges[${i}] is not above edges[${i - 1}]`);
  });
  if (counts.length !== edges.length - 1) {
    throw badInput(`${at}.counts`, `${at}.counts must hold one count per bin (${edges.length - 1}, one fewer than edges), got ${counts.length}`);
  }
  counts.forEach((count, i) => checkCount(`${at}.counts[${i}]`, count));
  return { edges: [...edges], counts: [...counts] };
}

function checkCategories(at: string, categories: NonNullable<FeatureProfileInput['categories']>): CategoryCount[] {
  if (categories.length > MAX_CATEGORIES) throw badInput(at, `${at} may hold at most ${MAX_CATEGORIES} categories, got ${categories.length}`);
  const seen = new Set<string>();
  const out = categories.map((category, i) => {
    const value = checkText(`${at}[${i}].value`, category.value, MAX_CATEGORY_LENGTH);
    if (seen.has(value)) throw badInput(`${at}[${i}].value`, `${at}[${i}].value: category '${value}' appears twice`);
    seen.add(value);
    return { value, count: checkCount(`${at}[${i}].count`, category.count) };
  });
  return out.sort((a, b) => compare(a.value, b.value));
}

function checkCount(at: string, count: number): number {
  if (!Number.isFinite(count) || count < 0) throw badInput(at, `${at} must be a finite, non-negative number`);
  return count;
}

/** Serving aggregates: unique keys, finite values; an object sorted by key. */
export function checkMetrics(at: string, metrics: readonly { readonly key: string; readonly value: number }[]): Record<string, number> {
  if (metrics.length > MAX_METRICS) throw badInput(at, `${at} may hold at most ${MAX_METRICS} metrics, got ${metrics.length}`);
  const out = new Map<string, number>();
  metrics.forEach((metric, i) => {
    const key = checkName(`${at}[${i}].key`, metric.key);
    if (out.has(key)) throw badInput(`${at}[${i}].key`, `${at}[${i}].key: metric '${key}' appears twice`);
    if (!Number.isFinite(metric.value)) throw badInput(`${at}[${i}].value`, `${at}[${i}].value must be a finite number`);
    out.set(key, metric.value);
  });
  return Object.fromEntries([...out].sort(([a], [b]) => compare(a, b)));
}

/** An instant as epoch milliseconds. */
export function checkInstant(at: string, value: Date | string): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw badInput(at, `${at} must be an ISO-8601 date-time`);
  return ms;
}

/** Code-point order, the same on every machine (localeCompare is not). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
