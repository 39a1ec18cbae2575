/**
 * compareRuns: params flattened to dotted keys and compared by canonical JSON; metrics side by
 * side. Pure functions over stored rows, in the order of the ids given.
 */
import type { RunRow } from '../domain/rows.ts';
import { canonicalJson } from '../domain/json.ts';
import { flatten } from '../domain/search-params.ts';

/** Flattening lives with the run-search properties that store it (src/domain/search-params.ts). */
export { flatten };

export interface ComparedValue {
  readonly key: string;
  /** One value per run, in the order of the runs; null where a run has no such key. */
  readonly values: unknown[];
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
