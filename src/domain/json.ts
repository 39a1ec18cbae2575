/**
 * JSON inputs (params, metrics maps, schemas, properties): validated, then stored as
 * canonical JSON (object keys sorted at every level), so equal values store equal strings
 * and fingerprints and digests are stable.
 */
import { badInput } from './errors.ts';

/** Largest JSON value accepted in one field, in bytes of its canonical form. */
export const MAX_JSON_BYTES = 1024 * 1024;
/** Deepest nesting of arrays and objects in a JSON value (the value itself is depth 1). */
export const MAX_JSON_DEPTH = 64;

/**
 * BAD_USER_INPUT unless `value` nests arrays and objects at most `maxDepth` deep and holds only
 * finite numbers (JSON has no Infinity or NaN: `1e400` parses to Infinity and would be stored as
 * null). Iterative, so a value nested far deeper than the limit fails here, not on the stack.
 */
export function checkJsonValue(field: string, value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) throw badInput(field, `${field} must hold finite numbers only`);
    } else if (current !== null && typeof current === 'object') {
      if (depth + 1 > maxDepth) throw badInput(field, `${field} must nest at most ${maxDepth} levels of arrays and objects`);
      for (const child of Object.values(current)) stack.push([child, depth + 1]);
    }
  }
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * A JSON object (not an array, not a scalar), at most MAX_JSON_BYTES, with no NUL character
 * in any key or string. Returns its canonical JSON; `{}` when absent.
 */
export function checkJsonObject(field: string, value: unknown, maxBytes = MAX_JSON_BYTES): string {
  if (value === null || value === undefined) return '{}';
  if (typeof value !== 'object' || Array.isArray(value)) throw badInput(field, `${field} must be a JSON object`);
  return checkJson(field, value, maxBytes);
}

/** Any JSON value under the same size and NUL rules; null when absent. */
export function checkOptionalJson(field: string, value: unknown, maxBytes = MAX_JSON_BYTES): string | null {
  return value === null || value === undefined ? null : checkJson(field, value, maxBytes);
}

function checkJson(field: string, value: unknown, maxBytes: number): string {
  checkJsonValue(field, value);
  const json = canonicalJson(value);
  if (Buffer.byteLength(json) > maxBytes) throw badInput(field, `${field} must be at most ${maxBytes} bytes of JSON`);
  if (json.includes('\\u0000')) throw badInput(field, `${field} must not contain NUL characters`);
  return json;
}

export function parseJson(json: string | null): unknown {
  return json === null ? null : JSON.parse(json);
}
