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

export async function recordArtifact(ctx: Context, input: RecordArtifactInput): Promise<ArtifactRow> {
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
