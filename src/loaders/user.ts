/** Lineage lists of a User of the company graph (per request; see src/loaders/index.ts). */
import DataLoader from 'dataloader';
import type { ReadScope } from '../auth/scope.ts';
import type { ModelVersionRow, RunRow } from '../domain/rows.ts';
import type { Executor } from '../neo4j/executor.ts';
import { createdByPages, type CreatedByKey, type CreatedByLabel } from '../neo4j/queries/users.ts';

export interface UserLoaders {
  /** Runs the user created, newest first, within the viewer's read scope. */
  readonly userRuns: DataLoader<CreatedByKey, RunRow[], string>;
  /** Model versions the user registered, newest first, within the viewer's read scope. */
  readonly userModelVersions: DataLoader<CreatedByKey, ModelVersionRow[], string>;
}

export function createUserLoaders(executor: Executor, scope: ReadScope): UserLoaders {
  const pages = <T>(label: CreatedByLabel) =>
    new DataLoader<CreatedByKey, T[], string>(
      (keys) => executor.readOne(`User.${label}`, (tx) => createdByPages<T>(tx, label, keys, scope.projectIds)),
      { cacheKeyFn: (key) => JSON.stringify([key.userId, key.first]) },
    );
  return { userRuns: pages<RunRow>('Run'), userModelVersions: pages<ModelVersionRow>('ModelVersion') };
}
