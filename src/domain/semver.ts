/** Semantic versions per semver.org 2.0.0 (the grammar's official regular expression). */
import { badInput } from './errors.ts';

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const MAX_SEMVER_LENGTH = 256;

export function isSemver(value: string): boolean {
  return value.length <= MAX_SEMVER_LENGTH && SEMVER.test(value);
}

/** The semver unchanged, null when absent; BAD_USER_INPUT on `field` when malformed. */
export function checkOptionalSemver(field: string, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (!isSemver(value)) throw badInput(field, `${field} must be a semantic version (semver.org 2.0), e.g. 1.4.0 or 2.0.0-rc.1`);
  return value;
}
