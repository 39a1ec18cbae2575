/**
 * Ids are `<prefix>_<UUIDv7 hex>`: globally unique, roughly time-ordered, and the prefix
 * names the label so `node(id)` finds the node without a scan.
 */
import { v7 as uuidv7 } from 'uuid';

export const ID_PREFIX = {
  Project: 'prj',
  Dataset: 'ds',
  DatasetVersion: 'dsv',
  Run: 'run',
  Experiment: 'exp',
  Checkpoint: 'ckp',
  Model: 'mdl',
  ModelVersion: 'mv',
  Deployment: 'dep',
  Artifact: 'art',
  Event: 'evt',
  ApiToken: 'tok',
  ReleasePolicy: 'rpol',
  Webhook: 'whk',
} as const;
export type IdLabel = keyof typeof ID_PREFIX;

const LABEL_BY_PREFIX = new Map<string, IdLabel>(
  Object.entries(ID_PREFIX).map(([label, prefix]) => [prefix, label as IdLabel]),
);

export function newId(label: IdLabel): string {
  return `${ID_PREFIX[label]}_${uuidv7(nextV7()).replaceAll('-', '')}`;
}

/**
 * uuid's v7 asks the OS for 16 random bytes per id (crypto.getRandomValues), about 4 µs each:
 * a `recordLineage` batch mints some 9,000 ids (nodes and events), and a CPU profile of the
 * gateway under batches showed that call as its largest single cost. Ids take their random bytes
 * from a pool refilled 4 KiB at a time instead. Given its bytes, uuid's v7 keeps no state, so
 * the monotonic order it keeps by default (a later id sorts after an earlier one of this process,
 * even within one millisecond: RFC 9562's counter in the random bits) is kept here, as uuid does
 * it: a new millisecond seeds the counter from the random bytes, the same one increments it.
 */
const pool = new Uint8Array(4096);
let pooled = pool.length;
const clock = { msecs: -Infinity, seq: 0 };

function nextV7(): { random: Uint8Array; msecs: number; seq: number } {
  if (pooled === pool.length) {
    crypto.getRandomValues(pool);
    pooled = 0;
  }
  const random = pool.subarray(pooled, (pooled += 16));
  const now = Date.now();
  if (now > clock.msecs) {
    clock.msecs = now;
    clock.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    clock.seq = (clock.seq + 1) | 0;
    if (clock.seq === 0) clock.msecs += 1;
  }
  return { random, msecs: clock.msecs, seq: clock.seq };
}

/** The label an id was minted for, or undefined for a malformed or foreign id. */
export function labelOf(id: string): IdLabel | undefined {
  const underscore = id.indexOf('_');
  if (underscore <= 0) return undefined;
  return LABEL_BY_PREFIX.get(id.slice(0, underscore));
}
