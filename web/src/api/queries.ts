/**
 * The operations the explorer sends, all of the public schema (schema/*.graphql), and the
 * shapes of their answers.
 */

export const NODE_KINDS = ['DATASET_VERSION', 'RUN', 'CHECKPOINT', 'MODEL_VERSION', 'DEPLOYMENT', 'ARTIFACT'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];
export type EdgeKind = 'USED' | 'GENERATED_BY' | 'DERIVED_FROM' | 'DEPLOYS';

export interface NodeSummary {
  id: string;
  kind: NodeKind;
  displayName: string;
  createdAt: string;
}

export interface LineageEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  role: string | null;
}

export interface LineageGraph {
  nodes: { depth: number; node: NodeSummary }[];
  edges: LineageEdge[];
  truncated: boolean;
  reachableCount: number;
}

const NODE = 'id kind displayName createdAt';
const GRAPH = `nodes { depth node { ${NODE} } } edges { from to kind role } truncated reachableCount`;

export const PROJECTS = `query Projects { projects { id name } }`;
export interface ProjectsData {
  projects: { id: string; name: string }[];
}

/**
 * What search filters on the client: the names of the project's datasets and models, and its
 * runs. The cost limit counts `first` as a multiplier, so versions are fetched separately, for
 * the names that match (VERSIONS_OF).
 */
export const CATALOG = `query Catalog($project: ID!) {
  project(id: $project) { id datasets(first: 100) { nodes { id name } } models(first: 100) { nodes { id name } } }
  runs(filter: { project: $project }, first: 100) { nodes { ${NODE} name } }
}`;
export interface CatalogData {
  project: { id: string; datasets: { nodes: { id: string; name: string }[] }; models: { nodes: { id: string; name: string }[] } } | null;
  runs: { nodes: (NodeSummary & { name: string })[] };
}

/** The newest versions of up to `count` datasets and models by name, as aliases d0.., m0.. (names are variables). */
export function versionsOf(datasets: number, models: number): string {
  const vars = [...Array.from({ length: datasets }, (_, i) => `$d${i}: String!`), ...Array.from({ length: models }, (_, i) => `$m${i}: String!`)];
  const fields = [
    ...Array.from({ length: datasets }, (_, i) => `d${i}: dataset(project: $project, name: $d${i}) { name versions(first: 10) { nodes { ${NODE} } } }`),
    ...Array.from({ length: models }, (_, i) => `m${i}: model(project: $project, name: $m${i}) { name versions(first: 10) { nodes { ${NODE} } } }`),
  ];
  return `query VersionsOf($project: ID!${vars.map((v) => `, ${v}`).join('')}) { ${fields.join(' ')} }`;
}
export type VersionsOfData = Record<string, { name: string; versions: { nodes: NodeSummary[] } } | null>;

export const NODE_BY_ID = `query NodeById($id: ID!) { node(id: $id) { ${NODE} project { id } } }`;
export interface NodeByIdData {
  node: (NodeSummary & { project: { id: string } }) | null;
}

/** One anchor's neighbourhood: upstream and/or downstream up to depth, as of an instant. */
export const NEIGHBOURHOOD = `query Neighbourhood($id: ID!, $depth: Int!, $kinds: [NodeKind!], $asOf: DateTime, $limitUp: Int!, $limitDown: Int!, $up: Boolean!, $down: Boolean!) {
  node(id: $id) {
    ${NODE}
    project { id }
    upstream(maxDepth: $depth, kinds: $kinds, asOf: $asOf, limit: $limitUp) @include(if: $up) { ${GRAPH} }
    downstream(maxDepth: $depth, kinds: $kinds, asOf: $asOf, limit: $limitDown) @include(if: $down) { ${GRAPH} }
  }
}`;
export interface NeighbourhoodData {
  node: (NodeSummary & { project: { id: string }; upstream?: LineageGraph; downstream?: LineageGraph }) | null;
}

export const LINEAGE_PATH = `query Path($from: ID!, $to: ID!) { lineagePath(from: $from, to: $to) { ${NODE} } }`;
export interface PathData {
  lineagePath: NodeSummary[] | null;
}

export const DETAIL = `query Detail($id: ID!) {
  node(id: $id) {
    ${NODE}
    createdBy { id }
    ... on DatasetVersion {
      number label uri digest sizeBytes recordCount properties dataset { name } producedBy { id displayName }
      profile { name histogram { edges counts } categories { value count } }
    }
    ... on Run {
      name runType: type runStatus: status params summaryMetrics startedAt endedAt
      experiment { name }
      code { repository commit path digest dirty }
      environment { image python packages hardware }
    }
    ... on Checkpoint { step epoch uri checkpointDigest: digest sizeBytes metrics retention deletedAt run { id displayName } }
    ... on ModelVersion {
      number semver description versionStatus: status aliases metrics
      model { name aliases { name updatedAt version { id displayName } history { at from { displayName } to { displayName } by { id } } } }
      deployments { id displayName environment status }
      approvals { targetKind target by { id } at comment }
    }
    ... on Deployment {
      deploymentEnvironment: environment endpoint deploymentStatus: status deployedAt endedAt modelVersion { id displayName } replaces { id displayName }
      latestSkew { exceeded baseline { id displayName } features { feature method distance threshold exceeded } }
    }
    ... on Artifact { artifactType: type name artifactUri: uri artifactDigest: digest properties }
  }
}`;

type Json = unknown;
interface Ref {
  id: string;
  displayName: string;
}
export interface FeatureProfile {
  name: string;
  histogram: { edges: number[]; counts: number[] } | null;
  categories: { value: string; count: number }[] | null;
}
export type ReleaseTargetKind = 'ENVIRONMENT' | 'ALIAS';
export interface Approval {
  targetKind: ReleaseTargetKind;
  target: string;
  by: { id: string } | null;
  at: string;
  comment: string | null;
}
export interface SkewReport {
  exceeded: boolean;
  baseline: Ref | null;
  features: { feature: string; method: string; distance: number; threshold: number; exceeded: boolean }[];
}
export type Detail = NodeSummary & { createdBy: { id: string } | null } & (
    | { kind: 'DATASET_VERSION'; number: number; label: string | null; uri: string; digest: string; sizeBytes: number | null; recordCount: number | null; properties: Json; dataset: { name: string }; producedBy: Ref | null; profile: FeatureProfile[] }
    | {
        kind: 'RUN';
        name: string;
        runType: string;
        runStatus: string;
        params: Json;
        summaryMetrics: Record<string, number>;
        startedAt: string;
        endedAt: string | null;
        experiment: { name: string } | null;
        code: { repository: string | null; commit: string | null; path: string | null; digest: string | null; dirty: boolean | null } | null;
        environment: { image: string | null; python: string | null; packages: Json; hardware: Json } | null;
      }
    | { kind: 'CHECKPOINT'; step: number; epoch: number | null; uri: string; checkpointDigest: string | null; sizeBytes: number | null; metrics: Json; retention: string; deletedAt: string | null; run: Ref }
    | {
        kind: 'MODEL_VERSION';
        number: number;
        semver: string | null;
        description: string | null;
        versionStatus: string;
        aliases: string[];
        metrics: Json;
        model: { name: string; aliases: { name: string; updatedAt: string; version: Ref; history: { at: string; from: { displayName: string } | null; to: { displayName: string }; by: { id: string } | null }[] }[] };
        deployments: (Ref & { environment: string; status: string })[];
        approvals: Approval[];
      }
    | { kind: 'DEPLOYMENT'; deploymentEnvironment: string; endpoint: string | null; deploymentStatus: string; deployedAt: string; endedAt: string | null; modelVersion: Ref; replaces: Ref | null; latestSkew: SkewReport | null }
    | { kind: 'ARTIFACT'; artifactType: string; name: string; artifactUri: string | null; artifactDigest: string | null; properties: Json }
  );
export interface DetailData {
  node: Detail | null;
}

/** Would this version be allowed into that environment or alias now (the release gates, dry run)? */
export const RELEASE_CHECK = `query ReleaseCheck($version: ID!, $targetKind: ReleaseTargetKind!, $target: String!) {
  releaseCheck(version: $version, targetKind: $targetKind, target: $target) { allowed failures { rule message quarantined { id displayName } } }
}`;
export interface ReleaseCheckData {
  releaseCheck: { allowed: boolean; failures: { rule: string; message: string; quarantined: Ref[] }[] };
}

/**
 * The project's active quarantines, each with the ids of what is downstream of the quarantined
 * node (as of the view's instant): the page marks the nodes in view that are in either set.
 * One request per view; a downstream set larger than QUARANTINE_REACH is cut (truncated).
 */
export const QUARANTINE_REACH = 1000;
export const QUARANTINES = `query Quarantines($project: ID!, $asOf: DateTime, $reach: Int!) {
  quarantines(project: $project) {
    reason at by { id }
    node { id displayName downstream(maxDepth: 1000, asOf: $asOf, limit: $reach) { nodes { node { id } } truncated } }
  }
}`;
export interface QuarantinesData {
  quarantines: { reason: string; at: string; by: { id: string } | null; node: Ref & { downstream: { nodes: { node: { id: string } }[]; truncated: boolean } } }[];
}

export const METRIC_HISTORY = `query MetricHistory($id: ID!, $key: String!) { run(id: $id) { id metrics(keys: [$key]) { key points { step value timestamp } } } }`;
export interface MetricHistoryData {
  run: { metrics: { key: string; points: { step: number | null; value: number; timestamp: string }[] }[] } | null;
}

export const VERSION_EVENTS = `subscription Live($project: ID!) {
  versionEvents(filter: { projects: [$project] }) { id cursor kind occurredAt subject { ${NODE} } }
}`;
export interface VersionEventData {
  versionEvents: { id: string; cursor: string; kind: string; occurredAt: string; subject: NodeSummary };
}
