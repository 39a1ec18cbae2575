/**
 * Reading MLflow request messages: JSON bodies for POST, PATCH and DELETE, query strings for
 * GET (as the client sends them). Every reader throws INVALID_PARAMETER_VALUE naming the
 * field, before any handler touches the database.
 */
import { invalidParameter } from './errors.ts';

export type Message = Readonly<Record<string, unknown>>;

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

export function requiredString(message: Message, key: string): string {
  const value = message[key];
  if (!present(value)) throw invalidParameter(`Missing value for required parameter '${key}'.`);
  if (typeof value !== 'string') throw invalidParameter(`Invalid value ${JSON.stringify(value)} for parameter '${key}': it must be a string.`);
  return value;
}

export function optionalString(message: Message, key: string): string | null {
  return present(message[key]) ? requiredString(message, key) : null;
}

/** An integer given as a JSON number or (int64 in proto JSON, and every GET parameter) a string. */
export function optionalInteger(message: Message, key: string): number | null {
  const value = message[key];
  if (!present(value)) return null;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    throw invalidParameter(`Invalid value ${JSON.stringify(value)} for parameter '${key}': it must be an integer.`);
  }
  return number;
}

/** A double: a JSON number, or a string as proto JSON writes NaN and infinities (and GET parameters). */
export function requiredNumber(message: Message, key: string): number {
  const value = message[key];
  if (!present(value)) throw invalidParameter(`Missing value for required parameter '${key}'.`);
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || (Number.isNaN(number) && value !== 'NaN')) {
    throw invalidParameter(`Invalid value ${JSON.stringify(value)} for parameter '${key}': it must be a number.`);
  }
  return number;
}

export function optionalList(message: Message, key: string): Message[] {
  const value = message[key];
  if (!present(value)) return [];
  if (!Array.isArray(value)) throw invalidParameter(`Invalid value for parameter '${key}': it must be a list.`);
  return value.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidParameter(`Invalid value for parameter '${key}[${i}]': it must be an object.`);
    return item as Message;
  });
}

/** A repeated string (a GET parameter given once arrives as a plain string). */
export function stringList(message: Message, key: string): string[] {
  const value = message[key];
  if (!present(value)) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, i) => {
    if (typeof item !== 'string') throw invalidParameter(`Invalid value for parameter '${key}[${i}]': it must be a string.`);
    return item;
  });
}

/** MLflow's `[{key, value}]` lists (params, tags) as an object; a repeated key keeps its last value. */
export function keyValues(message: Message, key: string): Record<string, string> {
  const result: Record<string, string> = {};
  optionalList(message, key).forEach((item, i) => {
    const k = requiredString(item, 'key');
    const v = item['value'] ?? '';
    if (typeof v !== 'string') throw invalidParameter(`Invalid value for parameter '${key}[${i}].value': it must be a string.`);
    result[k] = v;
  });
  return result;
}
