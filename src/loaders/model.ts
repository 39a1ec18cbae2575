/** Relationship loaders of the model aggregate (per request; see src/loaders/index.ts). */
import type { Executor } from '../neo4j/executor.ts';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled as the aggregate grows
export interface ModelLoaders {}

export function createModelLoaders(_executor: Executor): ModelLoaders {
  return {};
}
