/**
 * JSON inputs (params, metrics maps, schemas, properties): validated, then stored as
 * canonical JSON (object keys sorted at every level), so equal values store equal strings
 * and fingerprints and digests are stable.
 */
import { badInput } from '../errors.ts';

/** Largest JSON value accepted in one field, in bytes of its canonical form. */
export const MAX_JSON_BYTES = 1024 * 1024;

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
  const json = canonicalJson(value);
  if (Buffer.byteLength(json) > maxBytes) throw badInput(field, `${field} must be at most ${maxBytes} bytes of JSON`);
  if (json.includes('\\u0000')) throw badInput(field, `${field} must not contain NUL characters`);
  return json;
}

export function parseJson(json: string | null): unknown {
  return json === null ? null : JSON.parse(json);
}
