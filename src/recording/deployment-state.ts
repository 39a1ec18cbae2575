/**
 * The state machines of the model registry: model version status and deployment status.
 * One transition table each; everything not in a table is illegal (CONFLICT).
 */
import { conflict } from '../domain/errors.ts';
import type { DeploymentStatus, ModelVersionStatus } from '../domain/rows.ts';

const VERSION_TRANSITIONS: Readonly<Record<ModelVersionStatus, readonly ModelVersionStatus[]>> = {
  REGISTERED: ['VALIDATED', 'REJECTED', 'ARCHIVED'],
  VALIDATED: ['ARCHIVED', 'REJECTED'],
  REJECTED: ['ARCHIVED'],
  ARCHIVED: [],
};

/** Whether a version in this status may be deployed. */
export function isDeployable(status: ModelVersionStatus): boolean {
  switch (status) {
    case 'REGISTERED':
    case 'VALIDATED':
      return true;
    case 'REJECTED':
    case 'ARCHIVED':
      return false;
    default: {
      const unreachable: never = status;
      throw new Error(`unknown model version status ${String(unreachable)}`);
    }
  }
}

/**
 * 'noop' when the version is already in `to`, 'change' when the table allows the move;
 * CONFLICT otherwise.
 */
export function versionTransition(from: ModelVersionStatus, to: ModelVersionStatus): 'noop' | 'change' {
  if (from === to) return 'noop';
  switch (from) {
    case 'REGISTERED':
    case 'VALIDATED':
    case 'REJECTED':
    case 'ARCHIVED':
      if (VERSION_TRANSITIONS[from].includes(to)) return 'change';
      throw conflict(`a ${from} model version cannot become ${to}`, { from, to });
    default: {
      const unreachable: never = from;
      throw new Error(`unknown model version status ${String(unreachable)}`);
    }
  }
}

const DEPLOYMENT_TRANSITIONS: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = {
  ACTIVE: ['SUPERSEDED', 'ROLLED_BACK', 'RETIRED', 'FAILED'],
  SUPERSEDED: [],
  ROLLED_BACK: [],
  RETIRED: [],
  FAILED: [],
};

/** CONFLICT unless a deployment may move from `from` to `to`. */
export function checkDeploymentTransition(from: DeploymentStatus, to: DeploymentStatus): void {
  if (!DEPLOYMENT_TRANSITIONS[from].includes(to)) throw conflict(`a ${from} deployment cannot become ${to}`, { from, to });
}
