/**
 * The type definitions a `@neo4j/graphql` user would write for Pedigree's lineage graph, as
 * stored by Pedigree (labels `:LineageNode` plus one of DatasetVersion, Run, Checkpoint,
 * ModelVersion, Deployment, Artifact; lineage edges from the derived node to its source).
 *
 * Relationship fields are concrete (one field per relationship type and target label, in both
 * directions) rather than typed by the `LineageNode` interface: @neo4j/graphql turns an
 * interface-typed relationship into a UNION subquery over every implementation at every
 * level, which only makes nested queries larger. Variable depth goes through `@cypher`
 * fields (`upstream` / `downstream`), written the way Pedigree's own traversal is: one
 * pruning var-length expansion with the minimum depth per node, nearest first.
 */

export const LABELS = ['DatasetVersion', 'Run', 'Checkpoint', 'ModelVersion', 'Deployment', 'Artifact'] as const;
export type Label = (typeof LABELS)[number];
export type RelType = 'USED' | 'GENERATED_BY' | 'DERIVED_FROM' | 'DEPLOYS';

/** One lineage relationship between two labels, with its field name on each end. */
export interface Triple {
  readonly from: Label;
  readonly rel: RelType;
  readonly to: Label;
  /** On `from`, direction OUT (upstream). */
  readonly out: string;
  /** On `to`, direction IN (downstream). */
  readonly in: string;
}

const ENTITIES: readonly Label[] = ['DatasetVersion', 'Checkpoint', 'ModelVersion', 'Artifact'];

/** The relationships Pedigree's mutations write (src/recording/lineage-batch.ts EDGE_ENDS, deployModelVersion). */
export const TRIPLES: readonly Triple[] = [
  ...LABELS.map((to): Triple => ({ from: 'Run', rel: 'USED', to, out: `used${to}s`, in: 'usedByRuns' })),
  ...ENTITIES.map((from): Triple => ({ from, rel: 'GENERATED_BY', to: 'Run', out: 'generatedByRuns', in: `generated${from}s` })),
  ...ENTITIES.flatMap((from) => ENTITIES.map((to): Triple => ({ from, rel: 'DERIVED_FROM', to, out: `derivedFrom${to}s`, in: `derived${from}s` }))),
  { from: 'Deployment', rel: 'DEPLOYS', to: 'ModelVersion', out: 'deploysModelVersions', in: 'deployedByDeployments' },
];

/** Scalar fields per label (names as stored by Pedigree). */
const SCALARS: Record<Label, string> = {
  DatasetVersion: 'dataset: String\n  datasetId: String\n  number: Int\n  uri: String\n  digest: String',
  Run: 'name: String\n  type: String\n  status: String\n  paramsJson: String',
  Checkpoint: 'runId: String\n  step: Int\n  uri: String',
  ModelVersion: 'model: String\n  modelId: String\n  number: Int\n  status: String',
  Deployment: 'environment: String\n  status: String',
  Artifact: 'type: String\n  name: String\n  uri: String',
};

const LINEAGE_RELS = 'USED|GENERATED_BY|DERIVED_FROM|DEPLOYS';
/**
 * Var-length bounds cannot be parameters in Cypher, so the field expands up to Pedigree's
 * MAX_DEPTH and filters by the argument; `min(length(p))` keeps the expansion pruning
 * (breadth first, each node once) and `ORDER BY depth LIMIT` lets a limit stop it early.
 */
const MAX_HOPS = 1000;

function traversalStatement(arrow: 'up' | 'down'): string {
  const pattern = arrow === 'up' ? `(this)-[:${LINEAGE_RELS}*1..${MAX_HOPS}]->(n:LineageNode)` : `(this)<-[:${LINEAGE_RELS}*1..${MAX_HOPS}]-(n:LineageNode)`;
  return `MATCH p = ${pattern}
      WITH n, min(length(p)) AS depth
      WHERE depth <= $depth
      WITH n, depth ORDER BY depth, n.id
      LIMIT coalesce($limit, 1000000000)
      RETURN n`;
}

function typeDef(label: Label): string {
  const fields = [
    'id: ID!',
    'projectId: String!',
    'createdAt: DateTime! @timestamp(operations: [CREATE])',
    SCALARS[label],
    ...TRIPLES.filter((t) => t.from === label).map((t) => `${t.out}: [${t.to}!]! @relationship(type: "${t.rel}", direction: OUT)`),
    ...TRIPLES.filter((t) => t.to === label).map((t) => `${t.in}: [${t.from}!]! @relationship(type: "${t.rel}", direction: IN)`),
    `upstream(depth: Int!, limit: Int): [LineageNode!]!\n    @cypher(statement: """\n      ${traversalStatement('up')}\n    """, columnName: "n")`,
    `downstream(depth: Int!, limit: Int): [LineageNode!]!\n    @cypher(statement: """\n      ${traversalStatement('down')}\n    """, columnName: "n")`,
  ];
  return `type ${label} implements LineageNode @node(labels: ["${label}", "LineageNode"]) @key(fields: "id") {\n  ${fields.join('\n  ')}\n}`;
}

/** The whole type definitions, a Federation 2 subgraph. */
export function typeDefs(): string {
  return [
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key"])',
    'interface LineageNode {\n  id: ID!\n  projectId: String!\n  createdAt: DateTime!\n}',
    ...LABELS.map(typeDef),
  ].join('\n\n');
}
