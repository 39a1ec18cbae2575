/**
 * The model registry's writes: registerModelVersion, setModelAlias, deleteModelAlias,
 * setModelVersionStatus.
 * Each validates its input, then runs one write transaction that takes the model's write
 * lock before reading anything it decides on. An alias move passes the release gate
 * (src/governance/gate.ts) in that transaction.
 */
import { requireRole } from '../auth/authorize.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { badInput, conflict, notFound } from '../domain/errors.ts';
import { appendEvents, type NewEvent } from '../events/outbox.ts';
import { enforceRelease } from '../governance/gate.ts';
import { newId } from '../domain/ids.ts';
import type { ModelRow, ModelVersionRow, ModelVersionStatus } from '../domain/rows.ts';
import type { Tx } from '../neo4j/executor.ts';
import {
  aliasTarget,
  lockModel,
  moveAlias,
  removeAlias,
  setVersionStatus,
  versionById,
  mergeModel,
  writeModelVersion,
  type ModelVersionWrite,
} from '../neo4j/queries/models.ts';
import { versionTransition } from './deployment-state.ts';
import { checkJsonObject } from '../domain/json.ts';
import { gatedWrite } from './gated-write.ts';
import { projectAndRefChecks, requireProject } from './refs.ts';
import { checkOptionalSemver } from '../domain/semver.ts';
import { checkName, checkOptionalText } from './validate.ts';

/** Alias and environment names: lower-case slug, 1..63 characters. */
export const SLUG = /^[a-z][a-z0-9_-]{0,62}$/;

export function checkSlug(field: string, value: string, what: string): string {
  if (!SLUG.test(value)) throw badInput(field, `${field} must be a ${what}: a lower-case letter, then up to 62 of a-z 0-9 _ -`);
  return value;
}

export interface RegisterModelVersionInput {
  readonly project: string;
  readonly model: string;
  readonly source: string;
  readonly semver?: string | null | undefined;
  readonly description?: string | null | undefined;
  readonly metrics?: unknown;
  readonly aliases?: readonly string[] | null | undefined;
}

/** A validated model version (without project), shared by registerModelVersion and recordLineage. */
export interface ModelVersionSpec {
  readonly name: string;
  readonly source: string;
  readonly semver: string | null;
  readonly description: string | null;
  readonly metricsJson: string;
  readonly aliases: readonly string[];
}

/** Checks the fields of a RegisterModelVersionInput; `at` is the input's path for errors. */
export function checkModelVersion(at: string, input: Omit<RegisterModelVersionInput, 'project'>): ModelVersionSpec {
  return {
    name: checkName(`${at}.model`, input.model),
    source: checkName(`${at}.source`, input.source),
    semver: checkOptionalSemver(`${at}.semver`, input.semver),
    description: checkOptionalText(`${at}.description`, input.description),
    metricsJson: checkJsonObject(`${at}.metrics`, input.metrics),
    aliases: [...new Set((input.aliases ?? []).map((alias, i) => checkSlug(`${at}.aliases[${i}]`, alias, 'alias name')))],
  };
}

export async function registerModelVersion(ctx: ServiceDeps, input: RegisterModelVersionInput): Promise<ModelVersionRow> {
  const { name, source, semver, description, metricsJson, aliases } = checkModelVersion('input', input);
  const actor = ctx.viewer.subject;

  const checks = projectAndRefChecks(ctx.viewer, input.project, 'WRITER', [{ field: 'input.source', id: source, labels: ['Checkpoint', 'Run', 'Artifact'] }]);

  const versionId = newId('ModelVersion');
  const version = { id: versionId, projectId: input.project, modelName: name, modelId: newId('Model'), semver, description, metricsJson, actor, sourceId: source };
  const created: NewEvent = { kind: 'MODEL_VERSION_CREATED', projectId: input.project, subjectId: versionId, name, actor };
  /** The version registered, or CONFLICT for a semver another version holds. */
  const outcome = (written: ModelVersionWrite): ModelVersionRow => {
    if (written.clashId !== null) throw conflict(`model '${name}' already has a version ${semver}`, { field: 'input.semver', existingId: written.clashId });
    return written.version!;
  };

  // One statement: the model's write lock (held until commit), the version with its event, and
  // the project and source for the checks (two statements for a new model).
  if (aliases.length === 0) {
    return gatedWrite(
      ctx.executor,
      'registerModelVersion',
      async (tx) => {
        const written = await writeModelVersion(tx, version, [created], checks.ids, checks.gate);
        return written && outcome(written);
      },
      async (tx) => {
        const written = await writeModelVersion(tx, version, [created], checks.ids, null);
        if (!written) throw notFound('project', input.project, 'input.project');
        checks.check(written.headers);
        return outcome(written);
      },
    );
  }

  return ctx.executor.write('registerModelVersion', async (tx) => {
    // With aliases: the same statement without the version's event, which is appended after
    // the aliases' own statements with theirs. A failed check rolls everything back.
    const written = await writeModelVersion(tx, version, [], checks.ids, null);
    if (!written) throw notFound('project', input.project, 'input.project');
    checks.check(written.headers);
    const registered = outcome(written);
    const events: NewEvent[] = [{ ...created, previousId: written.previousId }];
    for (const alias of aliases) {
      const moved = await pointAlias(tx, { modelId: registered.modelId, projectId: input.project, modelName: name, alias, version: registered, actor });
      if (moved) events.push(moved);
    }
    await appendEvents(tx, events);
    return registered;
  });
}

export interface CreateModelInput {
  readonly project: string;
  readonly name: string;
  readonly description?: string | null | undefined;
}

/** A model without versions yet (registerModelVersion also creates one on first use); CONFLICT when the name is taken. */
export async function createModel(ctx: ServiceDeps, input: CreateModelInput): Promise<ModelRow> {
  const name = checkName('input.name', input.name);
  const description = checkOptionalText('input.description', input.description);
  return ctx.executor.write('createModel', async (tx) => {
    await requireProject(tx, ctx.viewer, input.project, 'WRITER');
    const { model, created } = await mergeModel(tx, { id: newId('Model'), projectId: input.project, name, description, actor: ctx.viewer.subject });
    if (!created) throw conflict(`model '${name}' already exists`, { field: 'input.name', existingId: model.id });
    return model;
  });
}

/**
 * Moves the alias to the version (the caller holds the model's lock and read the version under
 * it); null when it already points there. A move the release policies forbid is POLICY_VIOLATION.
 */
async function pointAlias(
  tx: Tx,
  input: { modelId: string; projectId: string; modelName: string; alias: string; version: ModelVersionRow; actor: string | null },
): Promise<NewEvent | null> {
  const { version } = input;
  const fromId = await aliasTarget(tx, input.modelId, input.alias);
  if (fromId === version.id) return null;
  await enforceRelease(tx, { version, targetKind: 'ALIAS', target: input.alias }, `${input.modelName}@${version.number}`);
  await moveAlias(tx, { modelId: input.modelId, alias: input.alias, fromId, toId: version.id, actor: input.actor });
  return {
    kind: 'MODEL_ALIAS_MOVED',
    projectId: input.projectId,
    subjectId: version.id,
    name: input.modelName,
    alias: input.alias,
    previousId: fromId,
    actor: input.actor,
  };
}

export interface SetModelAliasInput {
  readonly model: string;
  readonly alias: string;
  readonly version: string;
}

/** Atomically re-points the alias; returns the model id and alias name to read back. */
export async function setModelAlias(ctx: ServiceDeps, input: SetModelAliasInput): Promise<{ modelId: string; alias: string }> {
  const alias = checkSlug('input.alias', input.alias, 'alias name');
  const actor = ctx.viewer.subject;
  return ctx.executor.write('setModelAlias', async (tx) => {
    const model = await lockModel(tx, input.model);
    const hidden = () => notFound('model', input.model, 'input.model');
    if (!model) throw hidden();
    requireRole(ctx.viewer, model.projectId, 'ADMIN', hidden);
    const version = await versionById(tx, input.version);
    // Missing and another project's version answer alike (NOT_FOUND); one of another model of the project is bad input.
    if (!version || version.projectId !== model.projectId) throw notFound('model version', input.version, 'input.version');
    if (version.modelId !== model.id) throw badInput('input.version', `input.version must be a version of model '${model.name}'`);
    const event = await pointAlias(tx, { modelId: model.id, projectId: model.projectId, modelName: model.name, alias, version, actor });
    if (event) await appendEvents(tx, [event]);
    return { modelId: model.id, alias };
  });
}

export interface DeleteModelAliasInput {
  readonly model: string;
  readonly alias: string;
}

/**
 * Removes the alias (with setModelAlias's role, under the model's lock) and records the removal
 * in its history as a move to nothing; returns the version it pointed at. NOT_FOUND, writing
 * nothing, when the alias points nowhere. No event: MODEL_ALIAS_MOVED announces the alias's new
 * target as its subject, and a removal has none; a subscriber reading a removal as a move would
 * believe the alias still points at its old version.
 */
export async function deleteModelAlias(ctx: ServiceDeps, input: DeleteModelAliasInput): Promise<{ modelId: string; alias: string; versionId: string }> {
  const alias = checkSlug('input.alias', input.alias, 'alias name');
  const actor = ctx.viewer.subject;
  return ctx.executor.write('deleteModelAlias', async (tx) => {
    const model = await lockModel(tx, input.model);
    const hidden = () => notFound('model', input.model, 'input.model');
    if (!model) throw hidden();
    requireRole(ctx.viewer, model.projectId, 'ADMIN', hidden);
    const fromId = await aliasTarget(tx, model.id, alias);
    if (fromId === null) throw notFound('alias', `${model.name}@${alias}`, 'input.alias');
    await removeAlias(tx, { modelId: model.id, alias, fromId, actor });
    return { modelId: model.id, alias, versionId: fromId };
  });
}

export interface SetModelVersionStatusInput {
  readonly version: string;
  readonly status: ModelVersionStatus;
  readonly reason?: string | null | undefined;
}

export async function setModelVersionStatus(ctx: ServiceDeps, input: SetModelVersionStatusInput): Promise<ModelVersionRow> {
  const reason = checkOptionalText('input.reason', input.reason);
  const actor = ctx.viewer.subject;
  return ctx.executor.write('setModelVersionStatus', async (tx) => {
    const found = await versionById(tx, input.version);
    const hidden = () => notFound('model version', input.version, 'input.version');
    if (!found) throw hidden();
    requireRole(ctx.viewer, found.projectId, 'WRITER', hidden);
    const model = (await lockModel(tx, found.modelId))!;
    // Re-read under the lock: a concurrent change may have committed meanwhile.
    const version = (await versionById(tx, input.version))!;
    if (versionTransition(version.status, input.status) === 'noop') return version;
    const updated = await setVersionStatus(tx, version.id, input.status);
    await appendEvents(tx, [
      {
        kind: 'MODEL_VERSION_STATUS_CHANGED',
        projectId: version.projectId,
        subjectId: version.id,
        name: model.name,
        actor,
        audit: { from: version.status, to: input.status, reason },
      },
    ]);
    return updated;
  });
}
