/**
 * The last target (project, model name, thresholds, baseline) each deployment's window write
 * saw, on this instance: the guess recordServingWindow computes skew from, so that a window is
 * one statement instead of a read and a write. A guess, never trusted: the write statement
 * resolves the target again and writes only when it is still the same (recordWindowFor in
 * src/neo4j/queries/monitoring.ts), so a threshold, profile or lineage change made through any
 * instance is seen by the next window, exactly as without these. Bounded; the least recently
 * used go.
 */
import { LruMap } from '../domain/lru.ts';
import type { WindowTarget } from '../neo4j/queries/monitoring.ts';

export type ServingTarget = Omit<WindowTarget, 'existing'>;

export class ServingTargets extends LruMap<string, ServingTarget> {
  constructor(capacity = 4096) {
    super(capacity);
  }
}
