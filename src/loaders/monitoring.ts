/** Loaders of serving observations (per request; see src/loaders/index.ts). */
import DataLoader from 'dataloader';
import type { Executor } from '../neo4j/executor.ts';
import { latestSkews, profilesOf } from '../neo4j/queries/monitoring.ts';

export interface MonitoringLoaders {
  /** A dataset version's profile as stored (canonical features JSON); null when it has none. */
  readonly datasetProfile: DataLoader<string, string | null>;
  /** A deployment's newest stored skew report (JSON); null when no window has one. */
  readonly latestSkew: DataLoader<string, string | null>;
}

export function createMonitoringLoaders(executor: Executor): MonitoringLoaders {
  return {
    datasetProfile: new DataLoader(async (ids) => {
      const rows = await executor.readOne('DatasetVersion.profile', (tx) => profilesOf(tx, ids));
      const byId = new Map(rows.map((r) => [r.datasetVersionId, r.featuresJson]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    latestSkew: new DataLoader(async (ids) => {
      const byId = await executor.readOne('Deployment.latestSkew', (tx) => latestSkews(tx, ids));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
