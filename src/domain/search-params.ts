/**
 * Params made searchable: besides its canonical `paramsJson`, every run stores each leaf of its
 * params as a property `p.<dotted key>` holding the canonical JSON of the value, so `runs`
 * compares `eq`/`in` by canonical JSON in Cypher without parsing JSON there. Leaves are what
 * `flatten` (below; compareRuns uses it too) calls leaves: scalars, arrays and empty objects.
 */
import { canonicalJson } from './json.ts';

export const PARAM_PREFIX = 'p.';

/** Bumped when the stored form changes; runs with an older (or no) version are backfilled at start-up. */
export const SEARCH_VERSION = 1;

/** The properties to SET on a run (`SET r += $props`), including the search version marker. */
export function searchProperties(paramsJson: string): Record<string, string | number> {
  const props: Record<string, string | number> = { searchVersion: SEARCH_VERSION };
  for (const [key, value] of flatten(JSON.parse(paramsJson))) props[`${PARAM_PREFIX}${key}`] = canonicalJson(value);
  return props;
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
