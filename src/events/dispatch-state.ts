/**
 * What the parts of the event dispatcher (src/events/dispatcher.ts) share: the open
 * subscriptions, the tail's position and whether the dispatcher is stopping. Every other piece
 * of state belongs to the one part that uses it (the tail's hole timer, the loop's wake-up, the
 * pruning timer).
 */
import type { ReadScope } from '../auth/scope.ts';
import type { Subscription } from './subscription.ts';

export interface DispatchState {
  /** Every open subscription, replaying or live; each deletes itself when it ends. */
  readonly subscriptions: Set<Subscription>;
  /**
   * The seq the tail has moved past: offered to the live subscriptions, or skipped when nobody
   * listened. Replay runs up to it (src/events/replay.ts). Undefined until the dispatcher started.
   */
  lastSeen: number | undefined;
  /** Set once by stop: the loops and replays wind down and no subscription opens. */
  stopped: boolean;
}

export function createDispatchState(): DispatchState {
  return { subscriptions: new Set(), lastSeen: undefined, stopped: false };
}

/**
 * Loaders shared by every subscriber of a page read all projects: each subscriber's filter is
 * already restricted to the projects its viewer can read (checkFilter), and lineage never
 * crosses projects, so nothing it receives is outside its scope.
 */
export const ALL_PROJECTS: ReadScope = { projectIds: null };
