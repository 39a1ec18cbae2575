/**
 * The `@neo4j/graphql` peer: an Apollo Server 5 on a free port, in a child process of its own
 * (bench/peers/neo4j-graphql-server.ts), serving the Federation 2 subgraph that
 * `@neo4j/graphql` generates for Pedigree's lineage graph (bench/peers/neo4j-graphql-schema.ts),
 * reading the very nodes Pedigree stored on the same Neo4j. Every question goes over HTTP to
 * another process, like Pedigree's.
 *
 * Two modes answer traversals:
 * - `nested`: a fixed-depth nested selection through the relationship fields, `depth` levels,
 *   written with one named fragment per (label, level) so the query text grows linearly. At
 *   each level it selects the relationship fields between the labels that occur in the shape
 *   (what a user who knows the pipeline's structure writes; selecting every possible
 *   relationship makes the selection tree, which @neo4j/graphql expands in full, exponential
 *   in the depth whatever the data). The answer is a tree of paths: a node reached by k paths
 *   comes k times (2^depth on a diamond ladder). The peer counts the tree's size from the
 *   shape first and reports the traversal unsupported above `nestedTreeCap` paths. Nested
 *   selections have no global limit: with a `limit` the whole tree is fetched and the nearest
 *   `limit` distinct nodes are kept client-side.
 * - `@cypher`: the `upstream` / `downstream` fields, one var-length Cypher statement.
 *
 * Lookups go through the subgraph's `_entities`. Ingest writes through the generated
 * mutations into a namespace of its own (projectId and ids `nbench_...`), deleted on close.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import neo4j from 'neo4j-driver';
import { spawnServer, stopChild } from '../lib/child.ts';
import { fetchOnce } from '../lib/gateway.ts';
import { firstNodes, writeAll } from '../lib/pedigree.ts';
import { timeRepeated } from '../lib/stats.ts';
import { batchEdges, type Shape, type SpecEdge, type SpecKind, type SpecNode } from '../lib/shapes.ts';
import { TRIPLES, type Label, type Triple } from './neo4j-graphql-schema.ts';
import type { Ingested, Outcome, Peer, Timed, TraversalQuestion } from './types.ts';

export type Neo4jGraphQLMode = 'nested' | 'cypher';

export interface Neo4jGraphQLPeerOptions {
  readonly uri: string;
  readonly user: string;
  readonly password: string;
  readonly database?: string;
  readonly mode: Neo4jGraphQLMode;
  /** The Pedigree id of a shape's key (the harness loaded the shape through Pedigree). */
  readonly keyToId: (key: string, shape: Shape) => string;
  /** Fields `lookup` selects per label (default: `id`, two scalars, `createdAt`, as asked of Pedigree). */
  readonly lookupFields?: Partial<Record<Label, string>>;
  /** Largest nested answer (paths in the tree) the peer requests; above it the traversal is unsupported. */
  readonly nestedTreeCap?: number;
  /**
   * Largest nested selection (fields after expanding the fragments) the peer sends:
   * @neo4j/graphql translates each into a nested Cypher subquery.
   */
  readonly nestedSelectionCap?: number;
  /** Neo4j transaction timeout of one request; the HTTP request gives up 2 s later (Neo4j's own error arrives first). */
  readonly timeoutMs?: number;
  /** Untimed runs before the timed ones. */
  readonly warmup?: number;
  readonly log?: (line: string) => void;
}

export interface Neo4jGraphQLPeer extends Peer {
  readonly url: string;
  /** One node by id (`<label>s(where: { id: { eq } }) { id }`): the floor overhead of a request. */
  trivialRead(id: string, label: Label): Promise<number>;
}

const VERSION: string = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'node_modules', '@neo4j', 'graphql', 'package.json'), 'utf8')) as { version: string }).version;

const LABEL_OF_KIND: Record<SpecKind, Label> = {
  DATASET_VERSION: 'DatasetVersion',
  RUN: 'Run',
  CHECKPOINT: 'Checkpoint',
  MODEL_VERSION: 'ModelVersion',
  DEPLOYMENT: 'Deployment',
};

/** What Pedigree's `_entities` rows select (bench/lib/pedigree.ts): an id, two scalars and `createdAt` (APOC: bench/peers/apoc.ts). */
const DEFAULT_LOOKUP_FIELDS: Record<Label, string> = {
  DatasetVersion: 'id number digest createdAt',
  Run: 'id name status createdAt',
  Checkpoint: 'id step uri createdAt',
  ModelVersion: 'id number status createdAt',
  Deployment: 'id environment status createdAt',
  Artifact: 'id name type createdAt',
};

/** `runs`, `datasetVersions`, ...: the generated root query and mutation names. */
const plural = (label: Label) => `${label}s`;
const rootQuery = (label: Label) => `${label[0]!.toLowerCase()}${plural(label).slice(1)}`;

/**
 * Starts bench/peers/neo4j-graphql-server.ts as a child process, as Pedigree's gateway is one
 * (bench/lib/gateway.ts): the server does not share the clients' event loop, and each request
 * crosses the same process boundary for both (in the benchmark's own process it was 0.2-0.55 ms
 * a request faster here).
 */
async function startServer(options: Neo4jGraphQLPeerOptions, database: string, timeoutMs: number): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawnServer(join(import.meta.dirname, 'neo4j-graphql-server.ts'), {
    env: { ...process.env, NEO4J_URI: options.uri, NEO4J_USER: options.user, NEO4J_PASSWORD: options.password, NEO4J_DATABASE: database, TIMEOUT_MS: String(timeoutMs) },
    stdout: 'pipe',
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const found = /listening (\S+)/.exec(stdout);
      if (found) resolve(found[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the @neo4j/graphql server exited with ${code}: ${stderr}`)));
  });
  return { url, stop: () => stopChild(child) };
}

export async function startNeo4jGraphQLPeer(options: Neo4jGraphQLPeerOptions): Promise<Neo4jGraphQLPeer> {
  const log = options.log ?? (() => {});
  const warmup = options.warmup ?? 1;
  const nestedTreeCap = options.nestedTreeCap ?? 200_000;
  const nestedSelectionCap = options.nestedSelectionCap ?? 1000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const lookupFields = { ...DEFAULT_LOOKUP_FIELDS, ...options.lookupFields };
  const database = options.database ?? 'neo4j';
  // The harness's own driver only deletes what ingest wrote; the server has its own.
  const driver = neo4j.driver(options.uri, neo4j.auth.basic(options.user, options.password));
  const started = performance.now();
  const server = await startServer(options, database, timeoutMs);
  const { url } = server;
  log(`@neo4j/graphql ${VERSION} subgraph (${options.mode}) at ${url} in ${Math.round(performance.now() - started)} ms, in a child process`);
  const namespaces: string[] = [];

  async function post<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetchOnce(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs + 2_000),
    }).catch((error: unknown) => {
      if ((error as Error).name === 'TimeoutError') throw new Error(`no answer within ${(timeoutMs + 2_000) / 1000} s`);
      throw error;
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length) throw new Neo4jGraphQLError(body.errors.map((e) => e.message).join('; '));
    return body.data as T;
  }

  async function timed(runs: number, once: () => Promise<number>): Promise<Outcome<Timed>> {
    try {
      const { samples, last } = await timeRepeated(once, { warmup, runs });
      return { samples, count: last };
    } catch (error) {
      if (error instanceof Neo4jGraphQLError) return { unsupported: `@neo4j/graphql answered: ${error.message.slice(0, 300)}` };
      throw error;
    }
  }

  async function traverseNested(shape: Shape, question: TraversalQuestion, runs: number): Promise<Outcome<Timed>> {
    const graph = shapeGraph(shape);
    const root = graph.index.get(question.root);
    if (root === undefined) throw new Error(`${shape.name} has no key ${question.root}`);
    const up = question.direction === 'UPSTREAM';
    const paths = treeSize(up ? graph.out : graph.in, root, question.depth, nestedTreeCap);
    if (paths > nestedTreeCap) {
      return {
        unsupported: `the nested answer is a tree of paths: more than ${nestedTreeCap.toLocaleString('en')} entries at depth ${question.depth} (cap), ${shape.name} has diamonds`,
      };
    }
    const { query, selections } = nestedQuery(graph.labels[root]!, question.depth, up, graph.triples);
    if (selections > nestedSelectionCap) {
      return {
        unsupported: `the nested selection expands to ${selections.toLocaleString('en')} relationship fields at depth ${question.depth} (cap ${nestedSelectionCap.toLocaleString('en')}; each one a nested Cypher subquery): ${shape.name} has several edge kinds per level`,
      };
    }
    const variables = { id: options.keyToId(question.root, shape) };
    return timed(runs, async () => {
      const data = await post<{ root: TreeNode[] }>(query, variables);
      if (data.root.length !== 1) throw new Error(`root ${question.root} not found`);
      return distinctInTree(data.root[0]!, question.limit);
    });
  }

  async function traverseCypher(shape: Shape, question: TraversalQuestion, runs: number): Promise<Outcome<Timed>> {
    const label = labelOfKey(shape, question.root);
    const field = question.direction === 'UPSTREAM' ? 'upstream' : 'downstream';
    const query = `query($id: ID!, $depth: Int!, $limit: Int) { root: ${rootQuery(label)}(where: { id: { eq: $id } }) { reached: ${field}(depth: $depth, limit: $limit) { id } } }`;
    const variables = { id: options.keyToId(question.root, shape), depth: question.depth, limit: question.limit };
    return timed(runs, async () => {
      const data = await post<{ root: { reached: { id: string }[] }[] }>(query, variables);
      if (data.root.length !== 1) throw new Error(`root ${question.root} not found`);
      return data.root[0]!.reached.length;
    });
  }

  const peer: Neo4jGraphQLPeer = {
    name: `@neo4j/graphql ${VERSION} (${options.mode === 'nested' ? 'nested' : '@cypher'})`,
    ...(options.mode === 'nested' ? {} : { traversalAnswer: 'ids' as const }),
    url,

    traverse(shape, question, runs) {
      return options.mode === 'nested' ? traverseNested(shape, question, runs) : traverseCypher(shape, question, runs);
    },

    async lookup(shape, keys, runs) {
      const labels = new Set(keys.map((key) => labelOfKey(shape, key)));
      const [label] = labels;
      if (labels.size !== 1 || !label) throw new Error('lookup takes keys of one label');
      const query = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${label} { ${lookupFields[label]} } } }`;
      const representations = keys.map((key) => ({ __typename: label, id: options.keyToId(key, shape) }));
      return timed(runs, async () => {
        const data = await post<{ _entities: (object | null)[] }>(query, { representations });
        return data._entities.filter((e) => e !== null).length;
      });
    },

    logMetrics: async () => ({
      unsupported: 'its generated mutations cannot append to a series and keep the run\'s summary in one call; that takes a custom @cypher mutation, the limit\'s own statement',
    }),

    async ingestBatched(shape) {
      const namespace = newNamespace();
      const ids = new Map<string, string>();
      let elements = 0;
      const start = performance.now();
      for (const batch of shape.batches()) {
        const byLabel = new Map<Label, Record<string, unknown>[]>();
        for (const node of batch.nodes) {
          const id = `nbench_${randomUUID().replaceAll('-', '')}`;
          ids.set(node.key, id);
          const label = LABEL_OF_KIND[node.kind];
          byLabel.set(label, [...(byLabel.get(label) ?? []), { id, projectId: namespace, ...properties(node, ids) }]);
        }
        const labels = [...byLabel.keys()];
        await post(
          `mutation(${labels.map((l) => `$${l}: [${l}CreateInput!]!`).join(', ')}) { ${labels.map((l) => `${l}: create${plural(l)}(input: $${l}) { info { nodesCreated } }`).join(' ')} }`,
          Object.fromEntries(byLabel),
        );
        const edges = batchEdges(batch);
        const updates = [...groupBy(edges, (e) => e.from)].map(([from, out], i) => {
          const label = labelOfKey(shape, from);
          const fields = [...connections(shape, label, out, ids)].map(([field, targets]) => `${field}: [{ connect: [{ where: { node: { id: { in: ${JSON.stringify(targets)} } } } }] }]`);
          return `e${i}: update${plural(label)}(where: { id: { eq: ${JSON.stringify(ids.get(from))} } }, update: { ${fields.join(', ')} }) { info { relationshipsCreated } }`;
        });
        for (let i = 0; i < updates.length; i += 2000) await post(`mutation { ${updates.slice(i, i + 2000).join('\n')} }`);
        elements += batch.nodes.length + edges.length;
      }
      return { ms: performance.now() - start, elements } satisfies Ingested;
    },

    async ingestSingle(shape, count) {
      return writeAll(await peer.singleWriter!(shape, count));
    },

    async singleWriter(shape, count) {
      const namespace = newNamespace();
      const ids = new Map<string, string>();
      const nodes = firstNodes(shape, count, batchEdges);
      return {
        nodes: nodes.length,
        async write(index) {
          const { node, edges } = nodes[index]!;
          const id = `nbench_${randomUUID().replaceAll('-', '')}`;
          const label = LABEL_OF_KIND[node.kind];
          const connect = Object.fromEntries([...connections(shape, label, edges, ids)].map(([field, targets]) => [field, { connect: [{ where: { node: { id: { in: targets } } } }] }]));
          await post(`mutation($node: ${label}CreateInput!) { create${plural(label)}(input: [$node]) { info { nodesCreated } } }`, {
            node: { id, projectId: namespace, ...properties(node, ids), ...connect },
          });
          ids.set(node.key, id);
          return 1 + edges.length;
        },
      };
    },

    async trivialRead(id, label) {
      const data = await post<{ nodes: { id: string }[] }>(`query($id: ID!) { nodes: ${rootQuery(label)}(where: { id: { eq: $id } }) { id } }`, { id });
      return data.nodes.length;
    },

    async close() {
      await server.stop();
      const session = driver.session({ database });
      try {
        for (const namespace of namespaces) {
          // CALL ... IN TRANSACTIONS needs an implicit (auto-commit) transaction: session.run.
          await session
            .run('MATCH (n:LineageNode {projectId: $namespace}) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS', { namespace })
            .catch((error: unknown) => log(`could not delete ${namespace}: ${String(error)}`));
        }
      } finally {
        await session.close();
      }
      await driver.close();
    },
  };

  function newNamespace(): string {
    const namespace = `nbench_${randomUUID()}`;
    namespaces.push(namespace);
    return namespace;
  }

  return peer;
}

class Neo4jGraphQLError extends Error {}

/** Stored properties of a shape node (its references to other nodes become relationships). */
function properties(node: SpecNode, ids: ReadonlyMap<string, string>): Record<string, unknown> {
  switch (node.kind) {
    case 'DATASET_VERSION':
      return { dataset: node.dataset, uri: node.uri, digest: node.digest };
    case 'RUN':
      return { name: node.name, type: node.type, status: 'COMPLETED', paramsJson: JSON.stringify(node.params) };
    case 'CHECKPOINT':
      return { runId: ids.get(node.run), step: node.step, uri: node.uri };
    case 'MODEL_VERSION':
      return { model: node.model, status: 'REGISTERED' };
    case 'DEPLOYMENT':
      return { environment: node.environment, status: 'ACTIVE' };
  }
}

/** The targets of one node's outgoing edges by relationship field (`usedDatasetVersions` -> ids). */
function connections(shape: Shape, label: Label, edges: readonly SpecEdge[], ids: ReadonlyMap<string, string>): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  for (const edge of edges) {
    const to = labelOfKey(shape, edge.to);
    const triple = TRIPLES.find((t) => t.from === label && t.rel === edge.kind && t.to === to);
    if (!triple) throw new Error(`the schema has no ${label}-[:${edge.kind}]->${to}`);
    byField.set(triple.out, [...(byField.get(triple.out) ?? []), ids.get(edge.to)!]);
  }
  return byField;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function labelOfKey(shape: Shape, key: string): Label {
  const graph = shapeGraph(shape);
  const label = graph.labels[graph.index.get(key) ?? -1];
  if (!label) throw new Error(`${shape.name} has no key ${key}`);
  return label;
}

/** A shape as a graph of integer node indexes: labels, both adjacency lists, and the triples that occur. */
interface ShapeGraph {
  readonly index: Map<string, number>;
  readonly labels: Label[];
  /** Upstream neighbours (edge targets), one entry per edge. */
  readonly out: number[][];
  readonly in: number[][];
  readonly triples: readonly Triple[];
}

const graphs = new WeakMap<Shape, ShapeGraph>();

function shapeGraph(shape: Shape): ShapeGraph {
  const cached = graphs.get(shape);
  if (cached) return cached;
  const index = new Map<string, number>();
  const labels: Label[] = [];
  const out: number[][] = [];
  const inn: number[][] = [];
  const seen = new Set<Triple>();
  for (const batch of shape.batches()) {
    for (const node of batch.nodes) {
      index.set(node.key, labels.length);
      labels.push(LABEL_OF_KIND[node.kind]);
      out.push([]);
      inn.push([]);
    }
    for (const edge of batchEdges(batch)) {
      const from = index.get(edge.from)!;
      const to = index.get(edge.to)!;
      out[from]!.push(to);
      inn[to]!.push(from);
      const triple = TRIPLES.find((t) => t.from === labels[from] && t.rel === edge.kind && t.to === labels[to]);
      if (!triple) throw new Error(`the schema has no ${labels[from]}-[:${edge.kind}]->${labels[to]}`);
      seen.add(triple);
    }
  }
  const graph = { index, labels, out, in: inn, triples: [...seen] };
  graphs.set(shape, graph);
  return graph;
}

/** Entries of the nested answer below the root (paths of length 1..depth), counted up to just above `cap`. */
function treeSize(adjacency: readonly (readonly number[])[], root: number, depth: number, cap: number): number {
  let frontier = new Map<number, number>([[root, 1]]);
  let total = 0;
  for (let level = 1; level <= depth && frontier.size > 0; level++) {
    const next = new Map<number, number>();
    for (const [node, paths] of frontier) {
      for (const neighbour of adjacency[node]!) {
        next.set(neighbour, (next.get(neighbour) ?? 0) + paths);
        total += paths;
      }
    }
    if (total > cap) return total;
    frontier = next;
  }
  return total;
}

/**
 * What the nested answer reads of each node: what Pedigree's full answer reads
 * (TRAVERSAL_SELECTION: `id kind createdAt`, the edges and depths), since its rows are rated
 * against that answer. The kind is the fragment's type and the edges and depths are the tree's
 * structure, so `id createdAt` is all it needs to select.
 */
const NESTED_NODE_FIELDS = 'id createdAt';

/**
 * `depth` levels of relationship fields from a root of `label`, one fragment per (label,
 * level): `fragment L3_Run on Run { id createdAt usedDatasetVersions { ...L2_DatasetVersion } }`.
 */
export function nestedQuery(label: Label, depth: number, upstream: boolean, triples: readonly Triple[]): { query: string; selections: number } {
  const fragments = new Map<string, string>();
  /** Relationship fields below a fragment once expanded (what @neo4j/graphql translates). */
  const sizes = new Map<string, number>();
  const fragment = (l: Label, level: number): string => {
    const name = `L${level}_${l}`;
    if (fragments.has(name)) return name;
    fragments.set(name, '');
    let size = 0;
    const fields =
      level === 0
        ? []
        : triples
            .filter((t) => (upstream ? t.from : t.to) === l)
            .map((t) => {
              const [field, target] = upstream ? [t.out, t.to] : [t.in, t.from];
              const inner = fragment(target, level - 1);
              size += 1 + sizes.get(inner)!;
              return `${field} { ...${inner} }`;
            });
    sizes.set(name, Math.min(size, Number.MAX_SAFE_INTEGER));
    fragments.set(name, `fragment ${name} on ${l} { ${NESTED_NODE_FIELDS} ${fields.join(' ')} }`);
    return name;
  };
  const top = fragment(label, depth);
  const query = `query($id: ID!) { root: ${rootQuery(label)}(where: { id: { eq: $id } }) { ...${top} } }\n${[...fragments.values()].join('\n')}`;
  return { query, selections: sizes.get(top)! };
}

type TreeNode = { id: string } & Record<string, unknown>;

/** Distinct node ids below the root of a nested answer; with a limit, the nearest `limit` (then by id). */
function distinctInTree(root: TreeNode, limit: number | null): number {
  const depthOf = new Map<string, number>();
  const visit = (node: TreeNode, depth: number) => {
    for (const value of Object.values(node)) {
      if (!Array.isArray(value)) continue;
      for (const child of value as TreeNode[]) {
        const known = depthOf.get(child.id);
        if (known === undefined || depth + 1 < known) depthOf.set(child.id, depth + 1);
        visit(child, depth + 1);
      }
    }
  };
  visit(root, 0);
  depthOf.delete(root.id);
  return limit === null ? depthOf.size : Math.min(limit, depthOf.size);
}
