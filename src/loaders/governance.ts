/** Loaders of release governance: approvals per model version, ACTIVE deployments downstream of a quarantined node. */
import type DataLoader from 'dataloader';
import type { DeploymentRow } from '../domain/rows.ts';
import type { Executor } from '../neo4j/executor.ts';
import { activeDeploymentsDownstream, approvalsOfVersions, type ApprovalRow } from '../neo4j/queries/governance.ts';
import { byParent } from './by-parent.ts';

export interface GovernanceLoaders {
  readonly versionApprovals: DataLoader<string, ApprovalRow[]>;
  /** Keyed by lineage node id; children of a quarantine the viewer could read. */
  readonly activeDeploymentsDownstream: DataLoader<string, DeploymentRow[]>;
}

export function createGovernanceLoaders(executor: Executor): GovernanceLoaders {
  return {
    versionApprovals: byParent(executor, 'loader.versionApprovals', approvalsOfVersions),
    activeDeploymentsDownstream: byParent(executor, 'loader.activeDeploymentsDownstream', activeDeploymentsDownstream),
  };
}
