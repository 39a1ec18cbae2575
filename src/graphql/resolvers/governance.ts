/** Release governance: policies, approvals, quarantines and the release check (services in src/governance). */
import type { Context } from '../../context.ts';
import { approveModelVersion } from '../../governance/approvals.ts';
import { releaseCheck } from '../../governance/check.ts';
import { deleteReleasePolicy, releasePolicies, setReleasePolicy } from '../../governance/policies.ts';
import { liftQuarantine, quarantineNode, quarantines } from '../../governance/quarantine.ts';
import { policyMetrics } from '../../governance/rules.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import type { LineageNodeRow, ModelVersionRow } from '../../domain/rows.ts';
import { loadLineageNode } from '../../lineage/node.ts';
import { userRef } from './lineage-node.ts';

async function lineageNode(ctx: Context, id: string): Promise<LineageNodeRow> {
  return (await loadLineageNode(ctx, id))!;
}

export const governanceResolvers: Resolvers = {
  Query: {
    releasePolicies: (_parent, { project }, ctx) => releasePolicies(ctx, project),
    async releaseCheck(_parent, args, ctx) {
      const failures = await releaseCheck(ctx, args);
      return { allowed: failures.length === 0, failures };
    },
    quarantines: (_parent, { project, includeLifted }, ctx) => quarantines(ctx, project, includeLifted),
  },
  Mutation: {
    setReleasePolicy: (_parent, { input }, ctx) => setReleasePolicy(ctx, input),
    deleteReleasePolicy: (_parent, { id }, ctx) => deleteReleasePolicy(ctx, id),
    approveModelVersion: (_parent, { input }, ctx) => approveModelVersion(ctx, input),
    quarantine: (_parent, { input }, ctx) => quarantineNode(ctx, input),
    liftQuarantine: (_parent, { node }, ctx) => liftQuarantine(ctx, node),
  },
  ReleasePolicy: {
    project: async (policy, _args, ctx) => (await ctx.loaders.project.load(policy.projectId))!,
    model: (policy, _args, ctx) => (policy.modelId ? ctx.loaders.model.load(policy.modelId) : null),
    requiredStatus: (policy) => policy.requiredStatus ?? null,
    metrics: (policy) => policyMetrics(policy),
    createdBy: (policy) => userRef(policy.createdBy),
  },
  Approval: {
    version: async (approval, _args, ctx): Promise<ModelVersionRow> => (await ctx.loaders.modelVersion.load(approval.versionId))!,
    by: (approval) => userRef(approval.by),
    comment: (approval) => approval.comment ?? null,
  },
  Quarantine: {
    node: (quarantine, _args, ctx) => lineageNode(ctx, quarantine.nodeId),
    by: (quarantine) => userRef(quarantine.by),
    liftedAt: (quarantine) => quarantine.liftedAt ?? null,
    liftedBy: (quarantine) => userRef(quarantine.liftedBy ?? null),
    affectedDeployments: (quarantine, _args, ctx) => ctx.loaders.activeDeploymentsDownstream.load(quarantine.nodeId),
  },
  ReleaseCheckFailure: {
    quarantined: (failure, _args, ctx) => Promise.all(failure.quarantined.map((id) => lineageNode(ctx, id))),
  },
  ModelVersion: {
    approvals: (version, _args, ctx) => ctx.loaders.versionApprovals.load(version.id),
  },
};
