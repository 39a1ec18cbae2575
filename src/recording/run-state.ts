/** The run state machine: RUNNING -> COMPLETED | FAILED | CANCELED | CACHED; terminal states are final. */
import { conflict } from '../domain/errors.ts';
import type { RunStatus } from '../domain/rows.ts';

/** What finishing a run in state `from` with status `to` does. */
export type Transition = 'apply' | 'noop';

export function isTerminal(status: RunStatus): boolean {
  switch (status) {
    case 'RUNNING':
      return false;
    case 'COMPLETED':
    case 'FAILED':
    case 'CANCELED':
    case 'CACHED':
      return true;
    default: {
      const unknown: never = status;
      throw new Error(`unknown run status ${String(unknown)}`);
    }
  }
}

/**
 * 'apply' for a legal change, 'noop' when the run already has the terminal status asked for
 * (finishing again is idempotent); CONFLICT for any illegal state change.
 */
export function transition(from: RunStatus, to: RunStatus): Transition {
  if (to === 'RUNNING') throw conflict(`illegal state change: a run cannot go from ${from} to RUNNING`, { from, to });
  if (isTerminal(from)) {
    if (from === to) return 'noop';
    throw conflict(`illegal state change: the run is already ${from}, it cannot become ${to}`, { from, to });
  }
  return 'apply';
}
