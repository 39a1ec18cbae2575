/**
 * The last target (project, model name, thresholds, baseline) each deployment's window write
 * saw, on this instance: the guess recordServingWindow computes skew from, so that a window is
 * one statement instead of a read and a write. A guess, never trusted: the write statement
 * resolves the target again and writes only when it is still the same (src/neo4j/queries/monitoring.ts,
 * recordWindowFor), so a threshold, profile or lineage change made through any instance is
 * seen by the next window, exactly as without the cache. Bounded; the least recently used go.
 */
import type { WindowTarget } from '../neo4j/queries/monitoring.ts';

export type ServingTarget = Omit<WindowTarget, 'existing'>;

export class ServingTargets {
  readonly #targets = new Map<string, ServingTarget>();
  readonly #capacity: number;

  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  get(deploymentId: string): ServingTarget | undefined {
    const target = this.#targets.get(deploymentId);
    if (target) {
      this.#targets.delete(deploymentId);
      this.#targets.set(deploymentId, target);
    }
    return target;
  }

  set(deploymentId: string, target: ServingTarget): void {
    this.#targets.delete(deploymentId);
    this.#targets.set(deploymentId, target);
    if (this.#targets.size > this.#capacity) this.#targets.delete(this.#targets.keys().next().value!);
  }

  delete(deploymentId: string): void {
    this.#targets.delete(deploymentId);
  }
}
