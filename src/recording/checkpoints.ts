/** logCheckpoint: validation, then one write transaction; idempotent on (run, step). */
import { projectsWithRole } from '../auth/authorize.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { badInput } from '../domain/errors.ts';
import type { LogCheckpointInput } from '../generated/graphql.ts';
import { newId } from '../domain/ids.ts';
import type { CheckpointRow } from '../domain/rows.ts';
import { mergeCheckpoint } from '../neo4j/queries/checkpoints.ts';
import { gatedWrite } from './gated-write.ts';
import { recordableRun } from './runs.ts';
import { checkJsonObject } from '../domain/json.ts';
import { checkName, checkOptionalText, checkText, MAX_NAME_LENGTH } from './validate.ts';

function checkCount(field: string, value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 0) throw badInput(field, `${field} must be an integer >= 0`);
  return value;
}

/** A validated checkpoint, shared by logCheckpoint and recordLineage. */
export type CheckpointSpec = Pick<CheckpointRow, 'runId' | 'step' | 'epoch' | 'uri' | 'digest' | 'sizeBytes' | 'metricsJson'>;

/** Checks the fields of a LogCheckpointInput; `at` is the input's path for errors. */
export function checkCheckpoint(at: string, input: LogCheckpointInput): CheckpointSpec {
  const uri = checkText(`${at}.uri`, input.uri).trim();
  if (uri.length === 0) throw badInput(`${at}.uri`, `${at}.uri must not be blank`);
  const sizeBytes = input.sizeBytes ?? null;
  if (sizeBytes !== null && (!Number.isFinite(sizeBytes) || sizeBytes < 0)) throw badInput(`${at}.sizeBytes`, `${at}.sizeBytes must be a number >= 0`);
  return {
    runId: checkName(`${at}.run`, input.run),
    step: checkCount(`${at}.step`, input.step)!,
    epoch: checkCount(`${at}.epoch`, input.epoch),
    uri,
    digest: checkOptionalText(`${at}.digest`, input.digest, MAX_NAME_LENGTH),
    sizeBytes,
    metricsJson: checkJsonObject(`${at}.metrics`, input.metrics),
  };
}

export async function logCheckpoint(ctx: ServiceDeps, input: LogCheckpointInput): Promise<CheckpointRow> {
  const { runId, step, epoch, uri, digest, sizeBytes, metricsJson } = checkCheckpoint('input', input);
  const id = newId('Checkpoint');

  const checkpoint = { id, runId, createdBy: ctx.viewer.subject, step, epoch, uri, digest, sizeBytes, metricsJson };
  // One statement locks the run and merges the checkpoint with its event, when the viewer may
  // record in the run's project.
  return gatedWrite(
    ctx.executor,
    'logCheckpoint',
    async (tx) => (await mergeCheckpoint(tx, checkpoint, projectsWithRole(ctx.viewer, 'WRITER')))?.checkpoint ?? null,
    async (tx) => {
      const merged = await mergeCheckpoint(tx, checkpoint, null);
      recordableRun(ctx.viewer, runId, merged?.run ?? null);
      return merged!.checkpoint;
    },
  );
}
