/**
 * Pedigree as a contender: shapes go in through its public API (`recordLineage` batches, or
 * one mutation per node as a pipeline logging as it goes), questions go to its GraphQL
 * endpoint over HTTP, exactly as a client sends them.
 */
import { MAX_LIMIT } from '../../src/lineage/traversal.ts';
import type { Ingested, Outcome, Peer, SingleWriter, Timed, TraversalQuestion } from '../peers/types.ts';
import type { BenchGateway } from './gateway.ts';
import { loadShape } from './load-pedigree.ts';
import type { Batch, Shape, SpecEdge, SpecNode } from './shapes.ts';
import { timeOnce, timeRepeated } from './stats.ts';

/** Where one shape was loaded: its project and the id of every key. */
export interface Loaded {
  readonly project: string;
  readonly ids: ReadonlyMap<string, string>;
}

export async function createProject(gateway: BenchGateway, name: string): Promise<string> {
  return (await gateway.post<{ createProject: { id: string } }>('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name })).createProject.id;
}

/**
 * The first `count` nodes of a shape, each with the edges that leave it: the batch's explicit
 * ones, or those `edgesOf` gives (a store that keeps no implied edges of its own wants batchEdges).
 */
export function firstNodes(shape: Shape, count: number, edgesOf: (batch: Batch) => readonly SpecEdge[] = (batch) => batch.edges): { node: SpecNode; edges: SpecEdge[] }[] {
  const picked: { node: SpecNode; edges: SpecEdge[] }[] = [];
  for (const batch of shape.batches()) {
    const out = Map.groupBy(edgesOf(batch), (edge) => edge.from);
    for (const node of batch.nodes) {
      if (picked.length === count) return picked;
      picked.push({ node, edges: out.get(node.key) ?? [] });
    }
  }
  return picked;
}

/** Writes every node of a single writer in order, timed as one run. */
export async function writeAll(writer: SingleWriter): Promise<Ingested> {
  let elements = 0;
  const { ms } = await timeOnce(async () => {
    for (let i = 0; i < writer.nodes; i++) elements += await writer.write(i);
  });
  return { ms, elements };
}

function oneByOneWriter(gateway: BenchGateway, project: string, nodes: { node: SpecNode; edges: SpecEdge[] }[]): SingleWriter {
  const ids = new Map<string, string>();
  return {
    nodes: nodes.length,
    async write(index) {
      const { node, edges } = nodes[index]!;
      const { field, mutation, input } = oneNodeMutation(node, edges, project, ids);
      const id = (await gateway.post(mutation, { input }))[field]!.id;
      ids.set(node.key, id);
      return 1 + edges.length + (node.kind === 'CHECKPOINT' || node.kind === 'MODEL_VERSION' || node.kind === 'DEPLOYMENT' ? 1 : 0);
    },
  };
}

/** The mutation a pipeline sends for one node (with the edges that leave it), given the ids of the nodes sent before. */
export function oneNodeMutation(node: SpecNode, edges: readonly SpecEdge[], project: string, ids: ReadonlyMap<string, string>): { field: string; mutation: string; input: Record<string, unknown> } {
  const used = edges.filter((e) => e.kind === 'USED').map((e) => ({ id: ids.get(e.to)! }));
  const producedBy = edges.find((e) => e.kind === 'GENERATED_BY')?.to;
  const [field, input] = singleMutation(node, project, ids, used, producedBy);
  return { field, mutation: `mutation($input: ${field[0]!.toUpperCase()}${field.slice(1)}Input!) { ${field}(input: $input) { id } }`, input };
}

/** The mutation a pipeline sends for one node, and its input. */
function singleMutation(node: SpecNode, project: string, ids: ReadonlyMap<string, string>, used: { id: string }[], producedBy: string | undefined): [string, Record<string, unknown>] {
  switch (node.kind) {
    case 'DATASET_VERSION':
      return ['registerDatasetVersion', { project, dataset: node.dataset, uri: node.uri, digest: node.digest, producedBy: producedBy ? ids.get(producedBy) : null }];
    case 'RUN':
      return ['startRun', { project, name: node.name, type: node.type, params: node.params, inputs: used }];
    case 'CHECKPOINT':
      return ['logCheckpoint', { run: ids.get(node.run), step: node.step, uri: node.uri }];
    case 'MODEL_VERSION':
      return ['registerModelVersion', { project, model: node.model, source: ids.get(node.source) }];
    case 'DEPLOYMENT':
      return ['deployModelVersion', { version: ids.get(node.modelVersion), environment: node.environment }];
  }
}

/** The GraphQL selection of every traversal; the hand-written Cypher returns the same fields. */
export const TRAVERSAL_SELECTION = 'truncated nodes { depth node { id kind createdAt } } edges { from to kind }';
/** The selection of an ids-only question (TraversalQuestion.idsOnly); `truncated` only tells an over-long answer apart. */
export const IDS_SELECTION = 'truncated nodes { node { id } }';

export function pedigreePeer(
  gateway: BenchGateway,
  loaded: (shape: Shape) => Loaded,
  newProject: () => Promise<string>,
): Peer & { trivialRead(id: string): Promise<unknown>; singleWriter(shape: Shape, count: number): Promise<SingleWriter> } {
  return {
    name: 'Pedigree (GraphQL over HTTP)',
    async ingestBatched(shape) {
      const project = await newProject();
      const { ms } = await timeOnce(() => loadShape((query, variables) => gateway.post(query, variables), project, shape));
      return { ms, elements: shape.nodeCount + shape.edgeCount };
    },
    async ingestSingle(shape, count) {
      return writeAll(oneByOneWriter(gateway, await newProject(), firstNodes(shape, count)));
    },
    async singleWriter(shape, count) {
      return oneByOneWriter(gateway, await newProject(), firstNodes(shape, count));
    },
    async traverse(shape, question, runs): Promise<Outcome<Timed>> {
      const id = loaded(shape).ids.get(question.root)!;
      const field = question.direction === 'UPSTREAM' ? 'upstream' : 'downstream';
      const query = `query($id: ID!, $depth: Int!, $limit: Int!) { node(id: $id) { ${field}(maxDepth: $depth, limit: $limit) { ${question.idsOnly ? IDS_SELECTION : TRAVERSAL_SELECTION} } } }`;
      if (question.countOnly) {
        const count = `query($id: ID!, $depth: Int!) { node(id: $id) { ${field}(maxDepth: $depth, limit: 1) { reachableCount } } }`;
        const { samples, last } = await timeRepeated(() => gateway.post<{ node: { [k: string]: { reachableCount: number } } }>(count, { id, depth: question.depth }), { warmup: 2, runs });
        return { samples, count: last.node[field]!.reachableCount };
      }
      const ask = () => gateway.post<{ node: { [k: string]: { nodes: unknown[]; truncated: boolean } } }>(query, { id, depth: question.depth, limit: question.limit ?? MAX_LIMIT });
      if (question.limit === null) {
        const whole = (await ask()).node[field]!;
        if (whole.truncated && whole.nodes.length === MAX_LIMIT) {
          return { unsupported: `more than ${MAX_LIMIT.toLocaleString('en')} nodes: one answer holds at most ${MAX_LIMIT.toLocaleString('en')} (nearest first)` };
        }
      }
      const { samples, last } = await timeRepeated(ask, { warmup: 2, runs });
      return { samples, count: last.node[field]!.nodes.length };
    },
    async lookup(shape, keys, runs) {
      const ids = loaded(shape).ids;
      const representations = keys.map((key) => ({ __typename: 'ModelVersion', id: ids.get(key)! }));
      const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on ModelVersion { id number status createdAt } } }';
      const { samples, last } = await timeRepeated(() => gateway.post<{ _entities: unknown[] }>(query, { r: representations }), { warmup: 2, runs });
      return { samples, count: last._entities.filter((e) => e !== null).length };
    },
    trivialRead: (id) => gateway.post('query($id: ID!) { node(id: $id) { id kind } }', { id }),
    close: async () => {},
  };
}

export type { TraversalQuestion };
