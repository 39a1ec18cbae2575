/**
 * compareRuns: params flattened to dotted keys and compared by canonical JSON; metrics side by
 * side. Pure functions over stored rows, in the order of the ids given.
 */
import type { RunRow } from '../model.ts';
import { canonicalJson } from '../recording/json.ts';

export interface ComparedValue {
  readonly key: string;
  /** One value per run, in the order of the runs; null where a run has no such key. */
  readonly values: unknown[];
}

/**
 * Flattens nested objects to dotted keys ({ optimizer: { lr: 0.1 } } -> 'optimizer.lr').
 * Arrays and scalars are leaves; an empty object is a leaf too, so it is not lost.
 */
export function flatten(value: unknown, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix) {
    into.set(prefix, value);
  }
  return into;
}

/** Keys (sorted) whose values are not all equal across the maps; a missing key counts as null. */
export function differing(maps: readonly Map<string, unknown>[]): ComparedValue[] {
  const keys = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort();
  return keys
    .map((key) => ({ key, values: maps.map((m) => (m.has(key) ? m.get(key) : null)) }))
    .filter(({ values }) => new Set(values.map((v) => canonicalJson(v))).size > 1);
}

export function compareRuns(runs: readonly RunRow[]): { differingParams: ComparedValue[]; metrics: ComparedValue[] } {
  const params = runs.map((run) => flatten(JSON.parse(run.paramsJson)));
  const summaries = runs.map((run) => JSON.parse(run.summaryMetricsJson) as Record<string, number>);
  const metricKeys = [...new Set(summaries.flatMap((s) => Object.keys(s)))].sort();
  return {
    differingParams: differing(params),
    metrics: metricKeys.map((key) => ({ key, values: summaries.map((s) => s[key] ?? null) })),
  };
}
