/** What every MLflow route handler receives, and the reads they share. */
import type { Context } from '../../context.ts';
import type { ExperimentRow, ProjectRow } from '../../domain/rows.ts';
import { experimentsByIdOrName } from '../../neo4j/queries/mlflow.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { doesNotExist } from './errors.ts';
import type { Message } from './fields.ts';
import { DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME } from './shapes.ts';

export interface Call {
  readonly ctx: Context;
  /** The project of the base path, readable by the viewer. */
  readonly project: ProjectRow;
  /** The request message: the JSON body, or the query string of a GET. */
  readonly message: Message;
  /** Path parameters (a logged model's id ...). */
  readonly params: Readonly<Record<string, string>>;
  readonly store: ArtifactStore;
  /** Whether the run belongs to this project (cached: a run never changes project). */
  readonly runInProject: (runId: string) => Promise<boolean>;
}

export type Handler = (call: Call) => Promise<object>;

/** The experiment of an MLflow id: "0" is the project's "Default" experiment, which may not exist yet (row null). */
export async function resolveExperiment(call: Call, experimentId: string): Promise<{ name: string; mlflowId: string; row: ExperimentRow | null }> {
  if (experimentId === DEFAULT_EXPERIMENT_ID) {
    const [row] = await call.ctx.executor.read('mlflow.getExperiment', (tx) => experimentsByIdOrName(tx, call.project.id, { names: [DEFAULT_EXPERIMENT_NAME] }));
    return { name: DEFAULT_EXPERIMENT_NAME, mlflowId: DEFAULT_EXPERIMENT_ID, row: row ?? null };
  }
  const [row] = await call.ctx.executor.read('mlflow.getExperiment', (tx) => experimentsByIdOrName(tx, call.project.id, { ids: [experimentId] }));
  if (!row || row.name === DEFAULT_EXPERIMENT_NAME) throw doesNotExist(`Could not find experiment with ID ${experimentId}`);
  return { name: row.name, mlflowId: row.id, row };
}

export async function requireRunInProject(call: Call, runId: string): Promise<void> {
  if (!(await call.runInProject(runId))) throw doesNotExist(`Run with id=${runId} not found`);
}
