/**
 * Input checks shared by every mutation. Each throws BAD_USER_INPUT naming the offending
 * field path, before anything is written.
 */
import { badInput } from '../domain/errors.ts';

export const MAX_NAME_LENGTH = 200;
export const MAX_TEXT_LENGTH = 10_000;

// C0 controls other than tab/newline/CR, and NUL in particular, are never stored.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

export function checkText(field: string, value: string, max = MAX_TEXT_LENGTH): string {
  if (CONTROL.test(value)) throw badInput(field, `${field} must not contain control characters`);
  if (value.length > max) throw badInput(field, `${field} must be at most ${max} characters`);
  return value;
}

export function checkOptionalText(field: string, value: string | null | undefined, max = MAX_TEXT_LENGTH): string | null {
  return value === null || value === undefined ? null : checkText(field, value, max);
}

/**
 * Bidirectional formatting characters (embeddings, overrides, isolates, marks): in a name they
 * can make one name display as another ("Trojan Source").
 */
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/** A name: 1..200 characters, not blank, trimmed, well-formed UTF-16 (no lone surrogate), no bidi controls. */
export function checkName(field: string, value: string): string {
  if (!value.isWellFormed()) throw badInput(field, `${field} must not contain lone surrogates`);
  if (BIDI.test(value)) throw badInput(field, `${field} must not contain bidirectional control characters`);
  const trimmed = checkText(field, value, MAX_NAME_LENGTH).trim();
  if (trimmed.length === 0) throw badInput(field, `${field} must not be blank`);
  return trimmed;
}
