/**
 * Loads a shape into Pedigree through its public API: one `recordLineage` per batch of the
 * shape, then a `deployModelVersion` per deployment (batches refuse DEPLOYS edges). Returns
 * the Pedigree id of every key of the shape.
 *
 * Keys of the current batch are passed as batch keys, keys of earlier batches as the ids
 * Pedigree returned for them. Natural keys dedupe (a dataset version's digest within its
 * dataset, a checkpoint's step within its run), so give every shape a project of its own:
 * two shapes with the same dataset name and key would share the node.
 */
import { batchEdges, type Shape, type SpecNode } from './shapes.ts';

/** POSTs a GraphQL operation that must succeed and returns its data. */
export type Post = <T>(query: string, variables: Record<string, unknown>) => Promise<T>;

const RECORD_LINEAGE = 'mutation($input: LineageBatchInput!) { recordLineage(input: $input) { ids } }';
const DEPLOY = 'mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }';

/** What a load wrote and how long its two kinds of call took. */
export interface LoadTimings {
  /** Time in `recordLineage` calls, and the nodes plus edges (explicit and implied) they carried. */
  readonly batchMs: number;
  readonly batchElements: number;
  /** Time in `deployModelVersion` calls, and how many there were (each writes a node and a DEPLOYS edge). */
  readonly deployMs: number;
  readonly deployments: number;
}

export async function loadShape(post: Post, projectId: string, shape: Shape): Promise<Map<string, string>> {
  return (await loadShapeTimed(post, projectId, shape)).ids;
}

export async function loadShapeTimed(post: Post, projectId: string, shape: Shape): Promise<{ ids: Map<string, string>; timings: LoadTimings }> {
  const ids = new Map<string, string>();
  let batchMs = 0;
  let batchElements = 0;
  let deployMs = 0;
  let deployments = 0;
  for (const batch of shape.batches()) {
    const inBatch = new Set(batch.nodes.map((n) => n.key));
    const ref = (key: string): string => {
      if (inBatch.has(key)) return key;
      const id = ids.get(key);
      if (id === undefined) throw new Error(`${shape.name}: ${key} is neither in this batch nor loaded before`);
      return id;
    };
    const lineage = batch.nodes.filter((n) => n.kind !== 'DEPLOYMENT');
    const edges = batch.edges.map((e) => ({ from: ref(e.from), to: ref(e.to), kind: e.kind }));
    batchElements += lineage.length + batchEdges({ nodes: lineage, edges: batch.edges }).length;
    let started = performance.now();
    const result = await post<{ recordLineage: { ids: string[] } }>(RECORD_LINEAGE, {
      input: { project: projectId, nodes: lineage.map((n) => ({ key: n.key, kind: n.kind, fields: fieldsOf(n, ref) })), edges },
    });
    batchMs += performance.now() - started;
    lineage.forEach((node, i) => ids.set(node.key, result.recordLineage.ids[i]!));
    started = performance.now();
    for (const node of batch.nodes) {
      if (node.kind !== 'DEPLOYMENT') continue;
      const deployed = await post<{ deployModelVersion: { id: string } }>(DEPLOY, { input: { version: ids.get(node.modelVersion), environment: node.environment } });
      ids.set(node.key, deployed.deployModelVersion.id);
      deployments += 1;
    }
    deployMs += performance.now() - started;
  }
  return { ids, timings: { batchMs, batchElements, deployMs, deployments } };
}

/** Nodes plus edges (explicit and implied) of a shape, as Pedigree stores them. */
export function elementsOf(shape: Shape): number {
  let elements = 0;
  for (const batch of shape.batches()) elements += batch.nodes.length + batchEdges(batch).length;
  return elements;
}

/** The `fields` JSON of a batch node: the input of the matching single mutation. */
function fieldsOf(node: Exclude<SpecNode, { kind: 'DEPLOYMENT' }>, ref: (key: string) => string): Record<string, unknown> {
  switch (node.kind) {
    case 'DATASET_VERSION':
      return { dataset: node.dataset, uri: node.uri, digest: node.digest };
    case 'RUN':
      return { name: node.name, type: node.type, params: node.params, status: 'COMPLETED' };
    case 'CHECKPOINT':
      return { run: ref(node.run), step: node.step, uri: node.uri };
    case 'MODEL_VERSION':
      return { model: node.model, source: ref(node.source) };
  }
}
