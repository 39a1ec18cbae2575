/**
 * recordArtifact: validation, then one write transaction. With a digest it is idempotent on
 * (project, type, name, digest): a repeat returns the existing artifact and writes nothing.
 */
import type { ServiceDeps } from '../auth/viewer.ts';
import { requireRole } from '../auth/authorize.ts';
import { badInput, conflict, notFound } from '../domain/errors.ts';
import { appendEvents } from '../events/outbox.ts';
import type { RecordArtifactInput } from '../generated/graphql.ts';
import { newId } from '../domain/ids.ts';
import type { ArtifactRow } from '../domain/rows.ts';
import { completeArtifactNode, lockArtifact, recordArtifactNode } from '../neo4j/queries/artifacts.ts';
import { checkDigest, checkUri } from './datasets.ts';
import { checkJsonObject } from '../domain/json.ts';
import { requireProject, requireRefs } from './refs.ts';
import { checkName } from './validate.ts';

const ARTIFACT_TYPE = /^[a-z][a-z0-9_-]*$/;

/** A validated artifact (without project), shared by recordArtifact and recordLineage. */
export interface ArtifactSpec {
  readonly type: string;
  readonly name: string;
  readonly uri: string | null;
  readonly digest: string | null;
  readonly propertiesJson: string;
  readonly producedBy: string | null;
}

/** Checks the fields of a RecordArtifactInput; `at` is the input's path for errors. */
export function checkArtifact(at: string, input: Omit<RecordArtifactInput, 'project'>): ArtifactSpec {
  if (input.type.length > 64 || !ARTIFACT_TYPE.test(input.type)) {
    throw badInput(`${at}.type`, `${at}.type must be lower-case letters, digits, '_' or '-', starting with a letter (at most 64)`);
  }
  return {
    type: input.type,
    name: checkName(`${at}.name`, input.name),
    uri: input.uri === null || input.uri === undefined ? null : checkUri(`${at}.uri`, input.uri),
    digest: input.digest === null || input.digest === undefined ? null : checkDigest(`${at}.digest`, input.digest),
    propertiesJson: checkJsonObject(`${at}.properties`, input.properties),
    producedBy: input.producedBy ?? null,
  };
}

export async function recordArtifact(ctx: ServiceDeps, input: RecordArtifactInput): Promise<ArtifactRow> {
  const { type, name, uri, digest, propertiesJson, producedBy } = checkArtifact('input', input);
  const createdBy = ctx.viewer.subject;

  return ctx.executor.write('recordArtifact', async (tx) => {
    await requireProject(tx, ctx.viewer, input.project, 'WRITER');
    if (producedBy !== null) await requireRefs(tx, input.project, [{ field: 'input.producedBy', id: producedBy, labels: ['Run'] }]);
    const { artifact, created } = await recordArtifactNode(tx, {
      id: newId('Artifact'),
      projectId: input.project,
      type,
      name,
      uri,
      digest,
      propertiesJson,
      createdBy,
      producedBy,
    });
    if (created) {
      await appendEvents(tx, [{ kind: 'ARTIFACT_CREATED', projectId: input.project, subjectId: artifact.id, name, actor: createdBy }]);
    }
    return artifact;
  });
}

export interface CompleteArtifactInput {
  readonly artifact: string;
  /** Set once: an artifact recorded before its content existed gets its digest here. */
  readonly digest?: string | null;
  /** Set once, like the digest. */
  readonly uri?: string | null;
  /**
   * Merged into the artifact's properties: a key whose old and new values are both objects
   * gets the union (a null value removes that entry); any other key is replaced (null removes it).
   */
  readonly properties?: unknown;
}

/**
 * Completes an artifact recorded before its content was written (a model whose files are
 * uploaded after it was announced): sets its digest once and merges properties. A different
 * digest on an artifact that has one is CONFLICT; the same digest again writes it unchanged.
 */
export async function completeArtifact(ctx: ServiceDeps, input: CompleteArtifactInput): Promise<ArtifactRow> {
  const id = checkName('input.artifact', input.artifact);
  const digest = input.digest === null || input.digest === undefined ? null : checkDigest('input.digest', input.digest);
  const uri = input.uri === null || input.uri === undefined ? null : checkUri('input.uri', input.uri);
  const patch = JSON.parse(checkJsonObject('input.properties', input.properties)) as Record<string, unknown>;
  return ctx.executor.write('completeArtifact', async (tx) => {
    const artifact = await lockArtifact(tx, id);
    const hidden = () => notFound('artifact', id, 'input.artifact');
    if (!artifact) throw hidden();
    requireRole(ctx.viewer, artifact.projectId, 'WRITER', hidden);
    // Properties never set read as undefined.
    const [oldDigest, oldUri] = [artifact.digest ?? null, artifact.uri ?? null];
    if (digest !== null && oldDigest !== null && oldDigest !== digest) {
      throw conflict(`artifact '${id}' already has the digest ${artifact.digest}`, { field: 'input.digest', existingId: id });
    }
    if (uri !== null && oldUri !== null && oldUri !== uri) {
      throw conflict(`artifact '${id}' already has the uri ${artifact.uri}`, { field: 'input.uri', existingId: id });
    }
    const properties = checkJsonObject('input.properties', mergeProperties(JSON.parse(artifact.propertiesJson) as Record<string, unknown>, patch));
    return completeArtifactNode(tx, id, { digest: digest ?? oldDigest, uri: uri ?? oldUri, propertiesJson: properties });
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function mergeProperties(old: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...old };
  for (const [key, value] of Object.entries(patch)) {
    const before = merged[key];
    if (value === null) delete merged[key];
    else if (isObject(before) && isObject(value)) {
      const inner = { ...before, ...value };
      for (const [k, v] of Object.entries(value)) if (v === null) delete inner[k];
      merged[key] = inner;
    } else merged[key] = value;
  }
  return merged;
}
