/** Relationship loaders of the run aggregate (per request; see src/loaders/index.ts). */
import type { Executor } from '../neo4j/executor.ts';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled as the aggregate grows
export interface RunLoaders {}

export function createRunLoaders(_executor: Executor): RunLoaders {
  return {};
}
