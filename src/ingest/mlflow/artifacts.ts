/**
 * Proxied artifact routes (`/api/2.0/mlflow-artifacts/artifacts/...`): upload (PUT, streamed
 * into the artifact store and hashed on the way), download (GET) and list (GET with `path`).
 * VIEWER reads, WRITER uploads. An upload that is a training checkpoint written by MLflow's
 * autologgers (see CHECKPOINT_FILE) also records a Checkpoint of its run through logCheckpoint.
 */
import type { Readable } from 'node:stream';
import { requireRole } from '../../auth/authorize.ts';
import type { Context } from '../../context.ts';
import { notFound } from '../../domain/errors.ts';
import type { ProjectRow } from '../../domain/rows.ts';
import { logCheckpoint } from '../../recording/checkpoints.ts';
import { checkArtifactPath, type ArtifactStore, type StoredFile } from './artifact-store.ts';

/**
 * Checkpoint files of MLflow's checkpoint callback (mlflow/utils/checkpoint_utils.py, used by
 * the PyTorch Lightning and Keras autologgers with `checkpoint=True`), inside a run's
 * artifacts: `checkpoints/epoch_<n>/checkpoint[.weights]<suffix>` (save_freq="epoch"),
 * `checkpoints/global_step_<n>/checkpoint[.weights]<suffix>` (save_freq=<steps>) and
 * `checkpoints/latest_checkpoint[.weights]<suffix>` (save_best_only, overwritten in place).
 * The callback uploads `checkpoint_metrics.json` (or `latest_checkpoint_metrics.json`) with
 * `epoch`, `global_step` and the monitored metrics just before the model file.
 */
const CHECKPOINT_FILE = /^([^/]+)\/([^/]+)\/artifacts\/checkpoints\/(?:(epoch|global_step)_(\d+)\/)?((latest_)?checkpoint(?:\.weights)?\.[A-Za-z0-9]+)$/;

export async function uploadArtifact(ctx: Context, store: ArtifactStore, project: ProjectRow, path: string, body: Readable, runInProject: (runId: string) => Promise<boolean>): Promise<void> {
  requireRole(ctx.viewer, project.id, 'WRITER', () => notFound('project', project.id));
  const artifactPath = checkArtifactPath(path);
  const { sha256, size } = await store.put(project.id, artifactPath, body);
  const match = CHECKPOINT_FILE.exec(artifactPath);
  if (!match || match[5]!.endsWith('.json')) return;
  const [, , runId, kind, number, , latest] = match;
  if (!(await runInProject(runId!))) return;
  const dir = artifactPath.slice(0, artifactPath.lastIndexOf('/'));
  const metricsText = await store.readText(project.id, `${dir}/${latest ? 'latest_' : ''}checkpoint_metrics.json`, 1024 * 1024);
  let metrics: Record<string, unknown> = {};
  try {
    metrics = metricsText === null ? {} : (JSON.parse(metricsText) as Record<string, unknown>);
  } catch {
    metrics = {};
  }
  const integer = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null);
  const n = number === undefined ? null : Number(number);
  const step = integer(metrics['global_step']) ?? (kind === 'global_step' || kind === 'epoch' ? n : null);
  if (step === null) return;
  const epoch = integer(metrics['epoch']) ?? (kind === 'epoch' ? n : null);
  const numeric = Object.fromEntries(Object.entries(metrics).filter(([key, value]) => key !== 'epoch' && key !== 'global_step' && typeof value === 'number' && Number.isFinite(value)));
  await logCheckpoint(ctx, { run: runId!, step, epoch, uri: `mlflow-artifacts:/${artifactPath}`, digest: `sha256:${sha256}`, sizeBytes: size, metrics: numeric });
}

export function listShape(files: readonly StoredFile[]) {
  return { files: files.map((f) => ({ path: f.path, is_dir: f.isDir, ...(f.isDir ? {} : { file_size: f.size }) })) };
}
