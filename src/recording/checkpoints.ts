/** logCheckpoint: validation, then one write transaction; idempotent on (run, step). */
import type { Context } from '../context.ts';
import { appendEvents } from '../events/outbox.ts';
import { badInput, notFound } from '../errors.ts';
import type { LogCheckpointInput } from '../generated/graphql.ts';
import { newId } from '../ids.ts';
import type { CheckpointRow } from '../model.ts';
import { mergeCheckpoint } from '../neo4j/queries/checkpoints.ts';
import { lockRun } from '../neo4j/queries/runs.ts';
import { checkJsonObject } from './json.ts';
import { checkName, checkOptionalText, checkText, MAX_NAME_LENGTH } from './validate.ts';

function checkCount(field: string, value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 0) throw badInput(field, `${field} must be an integer >= 0`);
  return value;
}

export async function logCheckpoint(ctx: Context, input: LogCheckpointInput): Promise<CheckpointRow> {
  const runId = checkName('input.run', input.run);
  const step = checkCount('input.step', input.step)!;
  const epoch = checkCount('input.epoch', input.epoch);
  const uri = checkText('input.uri', input.uri).trim();
  if (uri.length === 0) throw badInput('input.uri', 'input.uri must not be blank');
  const digest = checkOptionalText('input.digest', input.digest, MAX_NAME_LENGTH);
  const sizeBytes = input.sizeBytes ?? null;
  if (sizeBytes !== null && (!Number.isFinite(sizeBytes) || sizeBytes < 0)) throw badInput('input.sizeBytes', 'input.sizeBytes must be a number >= 0');
  const metricsJson = checkJsonObject('input.metrics', input.metrics);
  const id = newId('Checkpoint');

  return ctx.executor.write('logCheckpoint', async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run) throw notFound('run', runId, 'input.run');
    const { checkpoint, created } = await mergeCheckpoint(tx, {
      id,
      runId,
      projectId: run.projectId,
      createdBy: ctx.viewer.subject,
      step,
      epoch,
      uri,
      digest,
      sizeBytes,
      metricsJson,
    });
    if (created) {
      await appendEvents(tx, [{ kind: 'CHECKPOINT_CREATED', projectId: run.projectId, subjectId: checkpoint.id, name: run.name, actor: ctx.viewer.subject }]);
    }
    return checkpoint;
  });
}
