/** Relationship loaders of the dataset aggregate (per request; see src/loaders/index.ts). */
import DataLoader from 'dataloader';
import type { Executor } from '../neo4j/executor.ts';
import {
  consumingRuns,
  datasetVersionPages,
  generatingRuns,
  latestVersions,
  projectDatasetPages,
  versionsByNumber,
  type PageKey,
} from '../neo4j/queries/datasets.ts';
import type { DatasetRow, DatasetVersionRow, RunRow } from '../domain/rows.ts';

export interface DatasetLoaders {
  /** Versions of a dataset, newest first, below a version number. */
  readonly datasetVersionPage: DataLoader<PageKey<number>, DatasetVersionRow[], string>;
  /** Datasets of a project by name, after a name. */
  readonly projectDatasetPage: DataLoader<PageKey<string>, DatasetRow[], string>;
  readonly datasetLatestVersion: DataLoader<string, DatasetVersionRow | null>;
  readonly datasetVersionByNumber: DataLoader<{ datasetId: string; number: number }, DatasetVersionRow | null, string>;
  /** The run a dataset version or artifact was GENERATED_BY. */
  readonly dataProducedBy: DataLoader<string, RunRow | null>;
  /** The runs that USED a dataset version or artifact. */
  readonly dataConsumedBy: DataLoader<string, RunRow[]>;
}

const pageKey = <After>(k: PageKey<After>): string => JSON.stringify([k.parentId, k.after, k.limit]);

export function createDatasetLoaders(executor: Executor): DatasetLoaders {
  return {
    datasetVersionPage: new DataLoader<PageKey<number>, DatasetVersionRow[], string>(
      (keys) => executor.readOne('DatasetVersion.pages', (tx) => datasetVersionPages(tx, keys)),
      { cacheKeyFn: pageKey },
    ),
    projectDatasetPage: new DataLoader<PageKey<string>, DatasetRow[], string>(
      (keys) => executor.readOne('Dataset.pagesByProject', (tx) => projectDatasetPages(tx, keys)),
      { cacheKeyFn: pageKey },
    ),
    datasetLatestVersion: new DataLoader(async (ids) => {
      const pairs = new Map(await executor.readOne('DatasetVersion.latest', (tx) => latestVersions(tx, ids)));
      return ids.map((id) => pairs.get(id) ?? null);
    }),
    datasetVersionByNumber: new DataLoader(
      async (keys) => {
        const rows = await executor.readOne('DatasetVersion.byNumber', (tx) => versionsByNumber(tx, keys));
        const found = new Map(rows.map((v) => [`${v.datasetId}#${v.number}`, v]));
        return keys.map((k) => found.get(`${k.datasetId}#${k.number}`) ?? null);
      },
      { cacheKeyFn: (k) => `${k.datasetId}#${k.number}` },
    ),
    dataProducedBy: new DataLoader(async (ids) => {
      const pairs = new Map(await executor.readOne('LineageNode.generatedBy', (tx) => generatingRuns(tx, ids)));
      return ids.map((id) => pairs.get(id) ?? null);
    }),
    dataConsumedBy: new DataLoader(async (ids) => {
      const pairs = await executor.readOne('LineageNode.usedBy', (tx) => consumingRuns(tx, ids));
      const grouped = new Map<string, RunRow[]>(ids.map((id) => [id, []]));
      for (const [id, run] of pairs) grouped.get(id)?.push(run);
      return ids.map((id) => grouped.get(id)!);
    }),
  };
}
