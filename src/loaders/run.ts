/** Relationship loaders of the run aggregate (per request; see src/loaders/index.ts). */
import DataLoader from 'dataloader';
import { byParent } from './by-parent.ts';
import type { Executor } from '../neo4j/executor.ts';
import { checkpointsOfRuns } from '../neo4j/queries/checkpoints.ts';
import {
  childrenOfRuns,
  experimentPagesOfProjects,
  inputsOfRuns,
  metricSeriesOfRuns,
  outputsOfRuns,
  runPagesOfExperiments,
  type EdgeRow,
  type MetricSeriesRow,
  type PageKey,
} from '../neo4j/queries/runs.ts';
import type { CheckpointRow, ExperimentRow, RunRow } from '../domain/rows.ts';

export interface RunLoaders {
  readonly runMetrics: DataLoader<string, MetricSeriesRow[]>;
  readonly runChildren: DataLoader<string, RunRow[]>;
  readonly runInputs: DataLoader<string, EdgeRow[]>;
  readonly runOutputs: DataLoader<string, EdgeRow[]>;
  readonly runCheckpoints: DataLoader<string, CheckpointRow[]>;
  /** first + 1 rows per key, newest first. */
  readonly experimentRuns: DataLoader<PageKey, RunRow[], string>;
  readonly projectExperiments: DataLoader<PageKey, ExperimentRow[], string>;
}

type ReadTx = Parameters<Parameters<Executor['read']>[1]>[0];

function pages<T>(executor: Executor, unit: string, fetch: (tx: ReadTx, keys: readonly PageKey[]) => Promise<T[][]>) {
  return new DataLoader<PageKey, T[], string>((keys) => executor.readOne(unit, (tx) => fetch(tx, keys)), {
    cacheKeyFn: (key) => JSON.stringify([key.parentId, key.first, key.after]),
  });
}

export function createRunLoaders(executor: Executor): RunLoaders {
  return {
    runMetrics: byParent(executor, 'Run.metrics', metricSeriesOfRuns),
    runChildren: byParent(executor, 'Run.children', childrenOfRuns),
    runInputs: byParent(executor, 'Run.inputs', inputsOfRuns),
    runOutputs: byParent(executor, 'Run.outputs', outputsOfRuns),
    runCheckpoints: byParent(executor, 'Run.checkpoints', checkpointsOfRuns),
    experimentRuns: pages(executor, 'Experiment.runs', runPagesOfExperiments),
    projectExperiments: pages(executor, 'Project.experiments', experimentPagesOfProjects),
  };
}
