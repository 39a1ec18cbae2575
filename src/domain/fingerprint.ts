/**
 * Run fingerprints: sha256 (hex) over the canonical JSON of what determines a computation —
 * its type, its code (digest, else commit), its params and its sorted input ids. Equal
 * fingerprints mean the same computation (reused by cachedRun).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './json.ts';

export interface FingerprintInput {
  readonly type: string;
  readonly code?: { readonly digest?: string | null; readonly commit?: string | null } | null;
  /** The params as a value (not a JSON string); absent params count as {}. */
  readonly params?: unknown;
  readonly inputIds?: readonly string[];
}

export function runFingerprint(input: FingerprintInput): string {
  const payload = {
    type: input.type,
    code: input.code?.digest ?? input.code?.commit ?? null,
    params: input.params ?? {},
    inputs: [...new Set(input.inputIds ?? [])].sort(),
  };
  return createHash('sha256').update(canonicalJson(payload)).digest('hex');
}
