/**
 * deployModelVersion and rollbackDeployment: one write transaction each, under the model's
 * write lock, so a model has at most one ACTIVE deployment per environment. Both pass the
 * release gate (src/governance/gate.ts) for the version they make ACTIVE, in that transaction.
 */
import { requireRole } from '../auth/authorize.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { badInput, conflict, notFound } from '../domain/errors.ts';
import { appendEvents } from '../events/outbox.ts';
import { enforceRelease } from '../governance/gate.ts';
import { newId } from '../domain/ids.ts';
import type { DeploymentRow, DeploymentStatus, ModelRow, ModelVersionRow } from '../domain/rows.ts';
import type { Tx } from '../neo4j/executor.ts';
import { activeDeployment, createDeployment, deploymentById, endDeployment, lockForDeployment } from '../neo4j/queries/deployments.ts';
import { lockModel, versionById } from '../neo4j/queries/models.ts';
import { checkDeploymentTransition, isDeployable } from './deployment-state.ts';
import { checkSlug } from './models.ts';
import { checkOptionalText } from './validate.ts';

export interface DeployModelVersionInput {
  readonly version: string;
  readonly environment: string;
  readonly endpoint?: string | null | undefined;
}

export async function deployModelVersion(ctx: ServiceDeps, input: DeployModelVersionInput): Promise<DeploymentRow> {
  const environment = checkSlug('input.environment', input.environment, 'environment name');
  const endpoint = checkOptionalText('input.endpoint', input.endpoint, 2_000);
  return ctx.executor.write('deployModelVersion', async (tx) => {
    // The model's lock, and under it the version and the active deployment, in one statement; a
    // viewer who may not deploy in the project rolls the lock back with the transaction.
    const locked = await lockForDeployment(tx, input.version, environment);
    const hidden = () => notFound('model version', input.version, 'input.version');
    if (!locked) throw hidden();
    requireRole(ctx.viewer, locked.version.projectId, 'ADMIN', hidden);
    return replaceActive(tx, ctx.viewer.subject, { ...locked, environment, endpoint, endAs: 'SUPERSEDED', field: 'input.version' });
  });
}

export interface RollbackDeploymentInput {
  readonly model: string;
  readonly environment: string;
  readonly toVersion?: string | null | undefined;
}

export async function rollbackDeployment(ctx: ServiceDeps, input: RollbackDeploymentInput): Promise<DeploymentRow> {
  const environment = checkSlug('input.environment', input.environment, 'environment name');
  return ctx.executor.write('rollbackDeployment', async (tx) => {
    const model = await lockModel(tx, input.model);
    const hidden = () => notFound('model', input.model, 'input.model');
    if (!model) throw hidden();
    requireRole(ctx.viewer, model.projectId, 'ADMIN', hidden);
    const active = await activeDeployment(tx, model.id, environment);
    if (!active) throw conflict(`model '${model.name}' has no active deployment in ${environment}`, { field: 'input.environment' });
    let targetId: string;
    if (input.toVersion != null) {
      targetId = input.toVersion;
    } else {
      const replaced = active.replacesId ? await deploymentById(tx, active.replacesId) : null;
      if (!replaced) throw conflict(`the active deployment of '${model.name}' in ${environment} replaced none; give input.toVersion`, { field: 'input.toVersion' });
      targetId = replaced.modelVersionId;
    }
    const version = await versionById(tx, targetId);
    if (!version || version.projectId !== model.projectId) throw notFound('model version', targetId, 'input.toVersion');
    if (version.modelId !== model.id) throw badInput('input.toVersion', `input.toVersion must be a version of model '${model.name}'`);
    return replaceActive(tx, ctx.viewer.subject, {
      model,
      version,
      environment,
      // Absent properties read back as undefined: Neo4j does not store nulls.
      endpoint: active.endpoint ?? null,
      active,
      endAs: 'ROLLED_BACK',
      field: 'input.toVersion',
    });
  });
}

/** Ends the active deployment (if any) as `endAs` and creates the new ACTIVE one replacing it. */
async function replaceActive(
  tx: Tx,
  actor: string | null,
  args: {
    model: ModelRow;
    version: ModelVersionRow;
    environment: string;
    endpoint: string | null;
    active: DeploymentRow | null;
    endAs: DeploymentStatus;
    field: string;
  },
): Promise<DeploymentRow> {
  const { model, version, environment, active, endAs } = args;
  if (!isDeployable(version.status)) {
    throw conflict(`a ${version.status} model version cannot be deployed`, { field: args.field, status: version.status });
  }
  await enforceRelease(tx, { version, targetKind: 'ENVIRONMENT', target: environment }, `${model.name}@${version.number}`);
  if (active) {
    checkDeploymentTransition(active.status, endAs);
    await endDeployment(tx, active.id, endAs);
  }
  const deployment = await createDeployment(tx, {
    id: newId('Deployment'),
    projectId: model.projectId,
    modelId: model.id,
    modelVersionId: version.id,
    environment,
    endpoint: args.endpoint,
    replacesId: active?.id ?? null,
    actor,
  });
  await appendEvents(tx, [
    { kind: 'DEPLOYMENT_CREATED', projectId: model.projectId, subjectId: deployment.id, name: model.name, previousId: active?.id ?? null, actor },
    ...(active
      ? [{ kind: 'DEPLOYMENT_STATUS_CHANGED' as const, projectId: model.projectId, subjectId: active.id, name: model.name, actor }]
      : []),
  ]);
  return deployment;
}
