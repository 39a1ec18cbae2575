/**
 * The physical limit: the best hand-written Cypher for each question through the same
 * neo4j-driver, with nothing around it (no validation, deduplication, events, audit, GraphQL
 * or HTTP). Writes go to a scratch project; reads ask Pedigree's copy of the same shape.
 *
 * Reads are auto-commit statements, the cheapest way through the driver.
 *
 * Traversals use the pattern Pedigree's own module uses, a variable-length expansion
 * aggregated per end node with min(length(p)), which Neo4j plans as a pruning breadth-first
 * search (see src/neo4j/queries/lineage.ts); then the edges among the answer. They return the
 * same fields as Pedigree's GraphQL selection (`TRAVERSAL_SELECTION`).
 */
import neo4j, { type Driver } from 'neo4j-driver';
import { newId } from '../../src/domain/ids.ts';
import type { Ingested, Outcome, Peer, SingleWriter, Timed } from '../peers/types.ts';
import type { Loaded } from './pedigree.ts';
import { firstNodes, writeAll } from './pedigree.ts';
import { batchEdges, type Shape, type SpecEdge, type SpecNode } from './shapes.ts';
import { timeOnce, timeRepeated } from './stats.ts';

const REL = 'USED|GENERATED_BY|DERIVED_FROM|DEPLOYS';
const LABEL = { DATASET_VERSION: 'DatasetVersion', RUN: 'Run', CHECKPOINT: 'Checkpoint', MODEL_VERSION: 'ModelVersion', DEPLOYMENT: 'Deployment' } as const;

/** The stored properties of a node, as Pedigree stores them (without its bookkeeping). */
function props(node: SpecNode, id: string, project: string, ref: (key: string) => string): Record<string, unknown> {
  const base = { id, projectId: project };
  switch (node.kind) {
    case 'DATASET_VERSION':
      return { ...base, datasetId: `${project}:${node.dataset}`, digest: node.digest, uri: node.uri, propertiesJson: '{}' };
    case 'RUN':
      return { ...base, name: node.name, type: node.type, status: 'COMPLETED', paramsJson: JSON.stringify(node.params), summaryMetricsJson: '{}' };
    case 'CHECKPOINT':
      return { ...base, runId: ref(node.run), step: neo4j.int(node.step), uri: node.uri, metricsJson: '{}', retention: 'RETAINED' };
    case 'MODEL_VERSION':
      return { ...base, modelId: `${project}:${node.model}`, status: 'REGISTERED', metricsJson: '{}' };
    case 'DEPLOYMENT':
      return { ...base, environment: node.environment, status: 'ACTIVE' };
  }
}

/** One transaction: an UNWIND CREATE per label, then an UNWIND MATCH-MATCH-CREATE per relationship type. */
async function writeNodesAndEdges(driver: Driver, project: string, nodes: readonly SpecNode[], edges: readonly SpecEdge[], ids: Map<string, string>): Promise<void> {
  for (const node of nodes) ids.set(node.key, newId(LABEL[node.kind]));
  const ref = (key: string) => ids.get(key)!;
  const session = driver.session();
  try {
    await session.executeWrite(async (tx) => {
      for (const [kind, group] of Map.groupBy(nodes, (node) => node.kind)) {
        await tx.run(`UNWIND $rows AS row CREATE (n:${LABEL[kind]}:LineageNode) SET n = row, n.createdAt = datetime()`, {
          rows: group.map((node) => props(node, ref(node.key), project, ref)),
        });
      }
      for (const [kind, group] of Map.groupBy(edges, (edge) => edge.kind)) {
        await tx.run(
          `UNWIND $rows AS row
           MATCH (a:LineageNode {id: row.from}) USING INDEX SEEK a:LineageNode(id)
           MATCH (b:LineageNode {id: row.to}) USING INDEX SEEK b:LineageNode(id)
           CREATE (a)-[:${kind} {createdAt: datetime()}]->(b)`,
          { rows: group.map((edge) => ({ from: ref(edge.from), to: ref(edge.to) })) },
        );
      }
    });
  } finally {
    await session.close();
  }
}

/**
 * Writes a shape in Pedigree's stored shape of lineage nodes and edges (without datasets,
 * models, events or audit entries) into a project of its own: enough for every read of the
 * benchmark, and the way to build graphs too big to send through recordLineage in reasonable
 * time.
 */
export async function rawLoad(driver: Driver, shape: Shape): Promise<Loaded> {
  const project = `prj_raw_${newId('Project').slice(4)}`;
  const ids = new Map<string, string>();
  for (const batch of shape.batches()) await writeNodesAndEdges(driver, project, batch.nodes, batchEdges(batch), ids);
  return { project, ids };
}

/** One node and its outgoing edges in one auto-commit statement: one round trip per node. */
export async function writeOneNode(driver: Driver, project: string, node: SpecNode, edges: readonly SpecEdge[], ids: Map<string, string>): Promise<void> {
  const id = newId(LABEL[node.kind]);
  ids.set(node.key, id);
  const ref = (key: string) => ids.get(key)!;
  const create = (kind: string) => `FOREACH (_ IN CASE WHEN e.kind = '${kind}' THEN [1] ELSE [] END | CREATE (n)-[:${kind} {createdAt: datetime()}]->(b))`;
  await driver.executeQuery(
    `CREATE (n:${LABEL[node.kind]}:LineageNode) SET n = $props, n.createdAt = datetime()
     WITH n UNWIND $edges AS e
     MATCH (b:LineageNode {id: e.to}) USING INDEX SEEK b:LineageNode(id)
     ${['USED', 'GENERATED_BY', 'DERIVED_FROM', 'DEPLOYS'].map(create).join('\n     ')}`,
    { props: props(node, id, project, ref), edges: edges.map((edge) => ({ to: ref(edge.to), kind: edge.kind })) },
  );
}

export function rawPeer(driver: Driver, loaded: (shape: Shape) => Loaded): Peer & { trivialRead(id: string): Promise<unknown>; singleWriter(shape: Shape, count: number): SingleWriter } {
  // Each read is one auto-commit statement (RUN and PULL: one round trip); executeQuery's managed
  // transaction would add BEGIN and COMMIT round trips (measured: half the floor's throughput).
  const read = async (query: string, params: Record<string, unknown>) => {
    const session = driver.session({ defaultAccessMode: neo4j.session.READ });
    try {
      return await session.run(query, params);
    } finally {
      await session.close();
    }
  };
  return {
    name: 'hand-written Cypher (same driver)',
    async ingestBatched(shape): Promise<Outcome<Ingested>> {
      const { ms } = await timeOnce(() => rawLoad(driver, shape));
      return { ms, elements: shape.nodeCount + shape.edgeCount };
    },
    async ingestSingle(shape, count): Promise<Outcome<Ingested>> {
      return writeAll(await this.singleWriter(shape, count));
    },
    singleWriter(shape, count): SingleWriter {
      const project = `prj_raw_${Date.now().toString(36)}`;
      const ids = new Map<string, string>();
      const nodes = firstNodes(shape, count);
      return {
        nodes: nodes.length,
        async write(index) {
          const { node, edges } = nodes[index]!;
          const all = [...edges, ...batchEdges({ nodes: [node], edges: [] })];
          await writeOneNode(driver, project, node, all, ids);
          return 1 + all.length;
        },
      };
    },
    async traverse(shape, question, runs): Promise<Outcome<Timed>> {
      const id = loaded(shape).ids.get(question.root)!;
      const pattern = question.direction === 'UPSTREAM' ? `-[:${REL}*1..${question.depth}]->` : `<-[:${REL}*1..${question.depth}]-`;
      if (question.countOnly) {
        const { samples, last } = await timeRepeated(
          () => read(`MATCH (root:LineageNode {id: $id}) USING INDEX SEEK root:LineageNode(id) MATCH (root)${pattern}(n) RETURN count(DISTINCT n) AS n`, { id }),
          { warmup: 2, runs },
        );
        return { samples, count: Number(last.records[0]!.get('n')) };
      }
      /** The pruning search, nearest first, at most `take` rows (all of them without a limit). */
      const nearest = (returns: string, take: number) =>
        read(
          `MATCH (root:LineageNode {id: $id}) USING INDEX SEEK root:LineageNode(id)
           MATCH p = (root)${pattern}(n)
           WITH n, min(length(p)) AS depth ORDER BY depth, n.id ${question.limit === null ? '' : 'LIMIT $take'}
           RETURN ${returns}`,
          { id, take: neo4j.int(take) },
        );
      if (question.idsOnly) {
        const { samples, last } = await timeRepeated(() => nearest('n.id AS id', question.limit ?? 0), { warmup: 2, runs });
        return { samples, count: last.records.length };
      }
      const once = async () => {
        const reach = await nearest('n.id AS id, labels(n) AS labels, n.createdAt AS createdAt, depth', (question.limit ?? 0) + 1);
        const hits = reach.records.slice(0, question.limit ?? undefined).map((r) => ({ id: r.get('id') as string, labels: r.get('labels') as string[], createdAt: String(r.get('createdAt')), depth: Number(r.get('depth')) }));
        const ids = [id, ...hits.map((h) => h.id)];
        const edges = await read(
          `UNWIND $ids AS id MATCH (a:LineageNode {id: id})-[r:${REL}]->(b) USING INDEX SEEK a:LineageNode(id)
           RETURN a.id AS from, b.id AS to, type(r) AS kind`,
          { ids },
        );
        const members = new Set(ids);
        return { hits, edges: edges.records.filter((r) => members.has(r.get('to') as string)).map((r) => r.toObject()) };
      };
      const { samples, last } = await timeRepeated(once, { warmup: 2, runs });
      return { samples, count: last.hits.length };
    },
    async lookup(shape, keys, runs): Promise<Outcome<Timed>> {
      const ids = keys.map((key) => loaded(shape).ids.get(key)!);
      const { samples, last } = await timeRepeated(
        () => read(
          `UNWIND $ids AS id MATCH (v:ModelVersion {id: id}) USING INDEX SEEK v:ModelVersion(id)
           RETURN v.id AS id, v.number AS number, v.status AS status, v.createdAt AS createdAt`,
          { ids },
        ),
        { warmup: 2, runs },
      );
      return { samples, count: last.records.length };
    },
    trivialRead: (id) => read('MATCH (n:LineageNode {id: $id}) RETURN n.id AS id, labels(n) AS labels', { id }),
    close: async () => {},
  };
}
