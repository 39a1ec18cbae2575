/**
 * recordArtifact: validation, then one write transaction. With a digest it is idempotent on
 * (project, type, name, digest): a repeat returns the existing artifact and writes nothing.
 */
import type { Context } from '../context.ts';
import { badInput } from '../errors.ts';
import { appendEvents } from '../events/outbox.ts';
import type { RecordArtifactInput } from '../generated/graphql.ts';
import { newId } from '../ids.ts';
import type { ArtifactRow } from '../model.ts';
import { recordArtifactNode } from '../neo4j/queries/artifacts.ts';
import { checkDigest, checkUri } from './datasets.ts';
import { checkJsonObject } from './json.ts';
import { requireProject, requireRefs } from './refs.ts';
import { checkName } from './validate.ts';

const ARTIFACT_TYPE = /^[a-z][a-z0-9_-]*$/;

export async function recordArtifact(ctx: Context, input: RecordArtifactInput): Promise<ArtifactRow> {
  const type = input.type;
  if (type.length > 64 || !ARTIFACT_TYPE.test(type)) {
    throw badInput('input.type', "input.type must be lower-case letters, digits, '_' or '-', starting with a letter (at most 64)");
  }
  const name = checkName('input.name', input.name);
  const uri = input.uri === null || input.uri === undefined ? null : checkUri('input.uri', input.uri);
  const digest = input.digest === null || input.digest === undefined ? null : checkDigest('input.digest', input.digest);
  const propertiesJson = checkJsonObject('input.properties', input.properties);
  const producedBy = input.producedBy ?? null;
  const createdBy = ctx.viewer.subject;

  return ctx.executor.write('recordArtifact', async (tx) => {
    await requireProject(tx, input.project);
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
