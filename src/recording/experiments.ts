/** createExperiment: an Experiment without a run yet (startRun also creates one on first use). */
import type { ServiceDeps } from '../auth/viewer.ts';
import { conflict } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { ExperimentRow } from '../domain/rows.ts';
import { mergeExperiment } from '../neo4j/queries/runs.ts';
import { requireProject } from './refs.ts';
import { checkName } from './validate.ts';

export interface CreateExperimentInput {
  readonly project: string;
  readonly name: string;
}

/** CONFLICT (with `existingId`) when the project already has an experiment of that name. */
export async function createExperiment(ctx: ServiceDeps, input: CreateExperimentInput): Promise<ExperimentRow> {
  const name = checkName('input.name', input.name);
  const id = newId('Experiment');
  return ctx.executor.write('createExperiment', async (tx) => {
    await requireProject(tx, ctx.viewer, input.project, 'WRITER');
    const { experiment, created } = await mergeExperiment(tx, { id, projectId: input.project, name, createdBy: ctx.viewer.subject });
    if (!created) throw conflict(`experiment '${name}' already exists`, { field: 'input.name', existingId: experiment.id });
    return experiment;
  });
}
