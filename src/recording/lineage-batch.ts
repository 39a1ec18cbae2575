/**
 * recordLineage: one atomic batch of up to MAX_BATCH_ELEMENTS nodes and edges, for
 * autologgers and importers. The batch is validated as a whole first (every node's fields by
 * the same checks as the single mutations, keys, references between batch nodes, edge kinds
 * and ends, no cycle), then written in one transaction of set-based statements whose number
 * does not grow with the batch.
 *
 * Idempotence: a node whose externalId the project already has resolves to that node; so do
 * nodes that match an existing one on its natural key (dataset digest, run idempotency key,
 * checkpoint step, artifact digest), exactly as the single mutations dedupe. Existing nodes
 * are never changed, their inline references are not applied, and edges are created only
 * where the same edge does not exist, so re-sending a batch writes nothing.
 */
import { searchProperties } from '../domain/search-params.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { badInput, conflict, lineageCycle } from '../domain/errors.ts';
import { appendEvents, type NewEvent } from '../events/outbox.ts';
import type { BatchEdgeInput, LogCheckpointInput, RecordArtifactInput, RegisterDatasetVersionInput, StartRunInput } from '../generated/graphql.ts';
import { newId } from '../domain/ids.ts';
import { LINEAGE_LABELS, type LineageLabel, type RunStatus } from '../domain/rows.ts';
import type { Tx } from '../neo4j/executor.ts';
import { firstCycle } from '../neo4j/queries/lineage.ts';
import { nodeHeaders } from '../neo4j/queries/nodes.ts';
import {
  advanceNextNumbers,
  artifactsByDigest,
  checkpointsByStep,
  createBatchNodes,
  createLineageEdges,
  datasetVersionMatches,
  lockParents,
  modelVersionsBySemver,
  nodesByExternalId,
  runNames,
  runsByIdempotencyKey,
  type BatchArtifact,
  type BatchCheckpoint,
  type BatchDatasetVersion,
  type BatchModelVersion,
  type BatchRun,
  type LineageEdgeKind,
  type LockedParent,
  type VersionedLabel,
} from '../neo4j/queries/lineage-batch.ts';
import { checkArtifact, type ArtifactSpec } from './artifacts.ts';
import { checkCheckpoint, type CheckpointSpec } from './checkpoints.ts';
import { checkDatasetVersion, type DatasetVersionSpec } from './datasets.ts';
import { runFingerprint } from '../domain/fingerprint.ts';
import { canonicalJson } from '../domain/json.ts';
import { checkModelVersion, type ModelVersionSpec, type RegisterModelVersionInput } from './models.ts';
import { projectAndRefChecks, type Ref } from './refs.ts';
import { retryOnCreateRace } from './retry.ts';
import { checkRunStart, type RunSpec } from './runs.ts';
import { checkName, checkOptionalText, MAX_NAME_LENGTH } from './validate.ts';

/** Nodes plus edges in one batch. */
export const MAX_BATCH_ELEMENTS = 10_000;

const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'COMPLETED', 'FAILED', 'CANCELED', 'CACHED'];
const ENTITY_LABELS = ['DatasetVersion', 'Artifact', 'Checkpoint', 'ModelVersion'] as const satisfies readonly LineageLabel[];

/** A batch node whose fields have been typed (by GraphQL input coercion) but not yet checked. */
export type BatchNode = { readonly key: string; readonly externalId?: string | null | undefined } & (
  | { readonly kind: 'DATASET_VERSION'; readonly fields: Omit<RegisterDatasetVersionInput, 'project'> }
  | { readonly kind: 'RUN'; readonly fields: Omit<StartRunInput, 'project'>; readonly status: RunStatus }
  | { readonly kind: 'CHECKPOINT'; readonly fields: LogCheckpointInput }
  | { readonly kind: 'MODEL_VERSION'; readonly fields: Omit<RegisterModelVersionInput, 'project'> }
  | { readonly kind: 'ARTIFACT'; readonly fields: Omit<RecordArtifactInput, 'project'> }
);

export interface LineageBatch {
  readonly project: string;
  readonly nodes: readonly BatchNode[];
  readonly edges: readonly BatchEdgeInput[];
}

export interface LineageBatchResult {
  /** Ids in the order of the batch's nodes. */
  readonly ids: string[];
  readonly created: number;
  readonly existing: number;
  /** Lineage edges created (0 when the batch is re-sent). */
  readonly edges: number;
}

type Item =
  | { readonly label: 'DatasetVersion'; readonly spec: DatasetVersionSpec }
  | { readonly label: 'Run'; readonly spec: RunSpec; readonly status: RunStatus }
  | { readonly label: 'Checkpoint'; readonly spec: CheckpointSpec }
  | { readonly label: 'ModelVersion'; readonly spec: ModelVersionSpec }
  | { readonly label: 'Artifact'; readonly spec: ArtifactSpec };

interface PlannedNode {
  readonly index: number;
  readonly key: string;
  readonly externalId: string | null;
  /** The id the node gets if it is created. */
  readonly newId: string;
  readonly item: Item;
  /** Where its fields are, for errors. */
  readonly at: string;
}

/** One end of an edge: a node of the batch or an existing node's id. */
type End = { readonly node: PlannedNode } | { readonly id: string };

interface PlannedEdge {
  /** SOURCE: a model version's source, DERIVED_FROM a checkpoint or GENERATED_BY a run. */
  readonly kind: LineageEdgeKind | 'SOURCE';
  readonly from: End;
  readonly to: End;
  readonly role: string | null;
  /** The node whose fields asked for this edge; null for the batch's explicit edges. */
  readonly owner: PlannedNode | null;
  /** The input path that asked for the edge, for errors. */
  readonly at: string;
}

interface Plan {
  readonly projectId: string;
  readonly nodes: readonly PlannedNode[];
  readonly edges: readonly PlannedEdge[];
  /** Parent runs of new runs, by run. */
  readonly parents: ReadonlyMap<PlannedNode, End>;
  /** Runs of new checkpoints, by checkpoint. */
  readonly checkpointRuns: ReadonlyMap<PlannedNode, End>;
  /** References to existing nodes, checked in the transaction. */
  readonly refs: readonly Ref[];
}

const EDGE_ENDS: Record<LineageEdgeKind, { from: readonly LineageLabel[]; to: readonly LineageLabel[] }> = {
  USED: { from: ['Run'], to: LINEAGE_LABELS },
  GENERATED_BY: { from: ENTITY_LABELS, to: ['Run'] },
  // W3C PROV wasDerivedFrom: between entities (data, artifacts, checkpoints, models), not activities.
  DERIVED_FROM: { from: ENTITY_LABELS, to: ENTITY_LABELS },
};

export async function recordLineage(ctx: ServiceDeps, batch: LineageBatch): Promise<LineageBatchResult> {
  const plan = planBatch(batch);
  const actor = ctx.viewer.subject;
  return retryOnCreateRace(() => ctx.executor.write('recordLineage', (tx) => writeBatch(tx, ctx.viewer, plan, actor)));
}

/** A batch that passed every check that needs no database (see planLineage). */
export type LineagePlan = Plan;

/**
 * recordLineage's checks, for a caller that writes the batch inside a unit of work of its own
 * (a foreign protocol that reads before it knows the batch): throws BAD_USER_INPUT as
 * recordLineage does, and touches no database.
 */
export function planLineage(batch: LineageBatch): LineagePlan {
  return planBatch(batch);
}

/**
 * recordLineage's unit of work, inside the caller's transaction: the same checks against the
 * database, nodes, edges, events and audit entry. The caller runs it under retryOnCreateRace.
 */
export function writeLineage(tx: Tx, viewer: Viewer, plan: LineagePlan): Promise<LineageBatchResult> {
  return writeBatch(tx, viewer, plan, viewer.subject);
}

// ---------------------------------------------------------------- validation (before any write)

function planBatch(batch: LineageBatch): Plan {
  const projectId = checkName('input.project', batch.project);
  if (batch.nodes.length + batch.edges.length > MAX_BATCH_ELEMENTS) {
    throw badInput('input', `a batch holds at most ${MAX_BATCH_ELEMENTS} nodes and edges together; split it`);
  }
  const nodes = batch.nodes.map((node, index) => planNode(node, index));
  const byKey = new Map<string, PlannedNode>();
  const byExternalId = new Map<string, PlannedNode>();
  for (const node of nodes) {
    const twin = byKey.get(node.key);
    if (twin) throw badInput(`input.nodes[${node.index}].key`, `input.nodes[${node.index}].key repeats the key of input.nodes[${twin.index}]`);
    byKey.set(node.key, node);
    if (node.externalId !== null) {
      const other = byExternalId.get(node.externalId);
      if (other) {
        throw badInput(`input.nodes[${node.index}].externalId`, `input.nodes[${node.index}].externalId repeats that of input.nodes[${other.index}]`);
      }
      byExternalId.set(node.externalId, node);
    }
  }
  checkNaturalKeys(nodes);

  const refs: Ref[] = [];
  const end = (ref: string, field: string, labels: readonly LineageLabel[]): End => {
    const node = byKey.get(ref);
    if (!node) {
      refs.push({ field, id: ref, labels });
      return { id: ref };
    }
    if (!labels.includes(node.item.label)) {
      throw badInput(field, `${field} must be a ${labels.join(' or ')}; batch key '${ref}' is a ${node.item.label}`);
    }
    return { node };
  };

  const edges: PlannedEdge[] = [];
  const parents = new Map<PlannedNode, End>();
  const checkpointRuns = new Map<PlannedNode, End>();
  for (const node of nodes) {
    const { item, at } = node;
    const self: End = { node };
    switch (item.label) {
      case 'DatasetVersion':
      case 'Artifact':
        if (item.spec.producedBy !== null) {
          edges.push({ kind: 'GENERATED_BY', from: self, to: end(item.spec.producedBy, `${at}.producedBy`, ['Run']), role: null, owner: node, at: `${at}.producedBy` });
        }
        break;
      case 'Run':
        item.spec.inputs.forEach((input, i) => {
          edges.push({ kind: 'USED', from: self, to: end(input.id, `${at}.inputs[${i}].id`, LINEAGE_LABELS), role: input.role, owner: node, at: `${at}.inputs[${i}].id` });
        });
        if (item.spec.parentId !== null) parents.set(node, end(item.spec.parentId, `${at}.parent`, ['Run']));
        break;
      case 'Checkpoint': {
        const run = end(item.spec.runId, `${at}.run`, ['Run']);
        checkpointRuns.set(node, run);
        edges.push({ kind: 'GENERATED_BY', from: self, to: run, role: 'checkpoint', owner: node, at: `${at}.run` });
        break;
      }
      case 'ModelVersion':
        edges.push({ kind: 'SOURCE', from: self, to: end(item.spec.source, `${at}.source`, ['Checkpoint', 'Run']), role: null, owner: node, at: `${at}.source` });
        break;
    }
  }

  batch.edges.forEach((edge, i) => {
    const at = `input.edges[${i}]`;
    if (edge.kind === 'DEPLOYS') throw badInput(`${at}.kind`, `${at}.kind: DEPLOYS edges are written by deployModelVersion, not by batches`);
    const ends = EDGE_ENDS[edge.kind];
    const from = end(checkName(`${at}.from`, edge.from), `${at}.from`, ends.from);
    const to = end(checkName(`${at}.to`, edge.to), `${at}.to`, ends.to);
    if (endKey(from) === endKey(to)) throw badInput(at, `${at} connects a node to itself`);
    edges.push({ kind: edge.kind, from, to, role: checkOptionalText(`${at}.role`, edge.role, MAX_NAME_LENGTH), owner: null, at });
  });
  checkAcyclic(edges);
  return { projectId, nodes, edges, parents, checkpointRuns, refs };
}

function planNode(node: BatchNode, index: number): PlannedNode {
  const at = `input.nodes[${index}].fields`;
  const key = checkName(`input.nodes[${index}].key`, node.key);
  const externalId = node.externalId == null ? null : checkName(`input.nodes[${index}].externalId`, node.externalId);
  let item: Item;
  switch (node.kind) {
    case 'DATASET_VERSION':
      item = { label: 'DatasetVersion', spec: checkDatasetVersion(at, node.fields) };
      break;
    case 'RUN':
      if (!RUN_STATUSES.includes(node.status)) throw badInput(`${at}.status`, `${at}.status is not a run status`);
      item = { label: 'Run', spec: checkRunStart(at, node.fields), status: node.status };
      break;
    case 'CHECKPOINT':
      item = { label: 'Checkpoint', spec: checkCheckpoint(at, node.fields) };
      break;
    case 'MODEL_VERSION':
      item = { label: 'ModelVersion', spec: checkModelVersion(at, node.fields) };
      if (item.spec.aliases.length > 0) throw badInput(`${at}.aliases`, `${at}.aliases: aliases move with setModelAlias, not in batches`);
      break;
    case 'ARTIFACT':
      item = { label: 'Artifact', spec: checkArtifact(at, node.fields) };
      break;
  }
  return { index, key, externalId, newId: newId(item.label), item, at };
}

/** Two nodes of one batch may not claim the same natural key: which one would win is arbitrary. */
function checkNaturalKeys(nodes: readonly PlannedNode[]): void {
  const seen = new Map<string, PlannedNode>();
  const claim = (node: PlannedNode, field: string, what: string, key: string | null) => {
    if (key === null) return;
    const other = seen.get(key);
    if (other) throw badInput(`${node.at}.${field}`, `${node.at}.${field}: input.nodes[${other.index}] has the same ${what}`);
    seen.set(key, node);
  };
  for (const node of nodes) {
    const { item } = node;
    // NUL cannot occur in a checked name, digest or key, so joined parts cannot collide.
    const k = (...parts: (string | number)[]) => `${item.label}\u0000${parts.join('\u0000')}`;
    switch (item.label) {
      case 'DatasetVersion':
        claim(node, 'digest', 'dataset and digest', k('digest', item.spec.name, item.spec.digest));
        claim(node, 'label', 'dataset and label', item.spec.label === null ? null : k('label', item.spec.name, item.spec.label));
        break;
      case 'Run':
        claim(node, 'idempotencyKey', 'idempotencyKey', item.spec.idempotencyKey === null ? null : k(item.spec.idempotencyKey));
        break;
      case 'Checkpoint':
        claim(node, 'step', 'run and step', k(item.spec.runId, item.spec.step));
        break;
      case 'Artifact':
        claim(node, 'digest', 'type, name and digest', item.spec.digest === null ? null : k(item.spec.type, item.spec.name, item.spec.digest));
        break;
      case 'ModelVersion':
        claim(node, 'semver', 'model and semver', item.spec.semver === null ? null : k(item.spec.name, item.spec.semver));
        break;
    }
  }
}

function endKey(end: End): string {
  return 'node' in end ? `key:${end.node.key}` : `id:${end.id}`;
}

/** Lineage is a DAG: Kahn's algorithm over the batch's edges (existing ids are vertices too). */
function checkAcyclic(edges: readonly PlannedEdge[]): void {
  /** A batch node is its own vertex; an existing node is its id. */
  type Vertex = PlannedNode | string;
  const vertex = (end: End): Vertex => ('node' in end ? end.node : end.id);
  const out = new Map<Vertex, Vertex[]>();
  const indegree = new Map<Vertex, number>();
  for (const edge of edges) {
    const from = vertex(edge.from);
    const to = vertex(edge.to);
    const next = out.get(from);
    if (next) next.push(to);
    else out.set(from, [to]);
    if (!indegree.has(from)) indegree.set(from, 0);
    indegree.set(to, (indegree.get(to) ?? 0) + 1);
  }
  const ready: Vertex[] = [];
  for (const [v, d] of indegree) if (d === 0) ready.push(v);
  let visited = 0;
  while (ready.length > 0) {
    const from = ready.pop()!;
    visited++;
    for (const next of out.get(from) ?? []) {
      const d = indegree.get(next)! - 1;
      indegree.set(next, d);
      if (d === 0) ready.push(next);
    }
  }
  if (visited < indegree.size) {
    const onCycle = [...indegree].filter(([, d]) => d > 0).map(([v]) => (typeof v === 'string' ? v : v.key));
    throw badInput('input.edges', `lineage must not form a cycle; these nodes are on one: ${onCycle.slice(0, 5).join(', ')}`);
  }
}

// ---------------------------------------------------------------- the write unit

async function writeBatch(tx: Tx, viewer: Viewer, plan: Plan, actor: string | null): Promise<LineageBatchResult> {
  const { projectId, nodes } = plan;
  // The reads before the writes go out in three rounds, each round's statements together (Neo4j
  // runs them in the order sent): what a round asks depends on the answers of the one before.
  // Every check runs on the answers, in the same order as if each statement were awaited alone.

  // Round 1: the project, the referenced nodes, and the externalIds already in use.
  const checks = projectAndRefChecks(viewer, projectId, 'WRITER', plan.refs);
  const [headers, inUse] = await Promise.all([
    nodeHeaders(tx, checks.ids),
    nodesByExternalId(tx, projectId, nodes.flatMap((n) => (n.externalId === null ? [] : [n.externalId]))),
  ]);
  const refLabels = checks.check(headers);

  /** Nodes that resolve to an existing node, with its id. */
  const existing = new Map<PlannedNode, string>();
  const idOf = (end: End): string => ('id' in end ? end.id : (existing.get(end.node) ?? end.node.newId));
  const labelOf = (end: End): LineageLabel => ('id' in end ? (refLabels.get(end.id) as LineageLabel) : end.node.item.label);
  /** Whether the end is a node this batch creates (so far as resolved): no stored edge or checkpoint can hang off it. */
  const isNew = (end: End) => 'node' in end && !existing.has(end.node);
  /** A model version's source edge: DERIVED_FROM its checkpoint, or GENERATED_BY its run. */
  const sourceEdge = (edge: PlannedEdge): [LineageEdgeKind, string | null] =>
    labelOf(edge.to) === 'Checkpoint' ? ['DERIVED_FROM', null] : ['GENERATED_BY', 'model'];
  for (const node of nodes) {
    const hit = node.externalId === null ? undefined : inUse.get(node.externalId);
    if (!hit) continue;
    if (hit.label !== node.item.label) {
      throw conflict(`externalId '${node.externalId}' already names a ${hit.label}, not a ${node.item.label}`, {
        field: `input.nodes[${node.index}].externalId`,
        existingId: hit.id,
      });
    }
    existing.set(node, hit.id);
  }
  const fresh = <L extends Item['label']>(label: L) =>
    nodes.filter((n): n is PlannedNode & { item: Extract<Item, { label: L }> } => n.item.label === label && !existing.has(n));

  // Round 2: natural keys that need no parent (run idempotency keys, artifact digests), and the
  // datasets' and models' locks (datasets first, each label in name order, then the missing
  // ones created under the project's lock; see lockParents).
  const runs = fresh('Run');
  const artifacts = fresh('Artifact');
  const candidateVersions = fresh('DatasetVersion');
  const newModelVersions = fresh('ModelVersion'); // model versions have no natural key: all are new
  const [byIdempotencyKey, byDigest, datasets, models] = await Promise.all([
    runsByIdempotencyKey(tx, projectId, runs.flatMap((n) => (n.item.spec.idempotencyKey === null ? [] : [n.item.spec.idempotencyKey]))),
    artifactsByDigest(
      tx,
      projectId,
      artifacts.flatMap((n) => (n.item.spec.digest === null ? [] : [{ i: n.index, type: n.item.spec.type, name: n.item.spec.name, digest: n.item.spec.digest }])),
    ),
    lockVersioned(tx, 'Dataset', projectId, actor, candidateVersions.map((n) => n.item.spec.name)),
    lockVersioned(tx, 'Model', projectId, actor, newModelVersions.map((n) => n.item.spec.name)),
  ]);
  for (const node of runs) {
    const id = node.item.spec.idempotencyKey === null ? undefined : byIdempotencyKey.get(node.item.spec.idempotencyKey);
    if (id) existing.set(node, id);
  }
  for (const node of artifacts) if (byDigest.has(node.index)) existing.set(node, byDigest.get(node.index)!);

  // Round 3: natural keys under a parent (dataset digests and labels, checkpoint steps of the
  // resolved runs, model semvers), and the names of the existing runs new checkpoints belong to.
  const checkpointRun = (node: PlannedNode) => idOf(plan.checkpointRuns.get(node)!);
  // A run created by this batch has no checkpoints yet: only those of existing runs are looked up.
  const candidateCheckpoints = fresh('Checkpoint').filter((n) => !isNew(plan.checkpointRuns.get(n)!));
  const [versionMatches, byStep, semverClashes, otherRunNames] = await Promise.all([
    datasetVersionMatches(
      tx,
      candidateVersions.map((n) => ({ i: n.index, datasetId: datasets.get(n.item.spec.name)!.id, digest: n.item.spec.digest, label: n.item.spec.label })),
    ),
    checkpointsByStep(tx, candidateCheckpoints.map((n) => ({ i: n.index, runId: checkpointRun(n), step: n.item.spec.step }))),
    modelVersionsBySemver(
      tx,
      newModelVersions.flatMap((n) => (n.item.spec.semver === null ? [] : [{ i: n.index, modelId: models.get(n.item.spec.name)!.id, semver: n.item.spec.semver }])),
    ),
    runNames(tx, [...new Set(candidateCheckpoints.map(checkpointRun))]),
  ]);
  for (const node of candidateVersions) {
    const match = versionMatches.get(node.index)!;
    if (match.sameDigestId) existing.set(node, match.sameDigestId);
    else if (match.sameLabelId) {
      throw conflict(`dataset '${node.item.spec.name}' already has a version labelled '${node.item.spec.label}' with another digest`, {
        field: `${node.at}.label`,
        existingId: match.sameLabelId,
      });
    }
  }
  for (const node of candidateCheckpoints) if (byStep.has(node.index)) existing.set(node, byStep.get(node.index)!);
  for (const node of newModelVersions) {
    const clash = semverClashes.get(node.index);
    if (clash) throw conflict(`model '${node.item.spec.name}' already has a version ${node.item.spec.semver}`, { field: `${node.at}.semver`, existingId: clash });
  }

  // Everything that stays is new. Numbers, fingerprints and rows follow.
  const events: NewEvent[] = [];
  const datasetNumbers = number(fresh('DatasetVersion'), (n) => n.item.spec.name, datasets);
  const modelNumbers = number(newModelVersions, (n) => n.item.spec.name, models);

  const lineage = plan.edges.filter((e) => e.owner === null || !existing.has(e.owner));
  const usedBy = new Map<PlannedNode, string[]>();
  for (const edge of lineage) {
    if (edge.kind !== 'USED' || !('node' in edge.from)) continue;
    const inputs = usedBy.get(edge.from.node);
    if (inputs) inputs.push(idOf(edge.to));
    else usedBy.set(edge.from.node, [idOf(edge.to)]);
  }

  const runRows: BatchRun[] = fresh('Run').map((n) => {
    const { spec, status } = n.item;
    const params: unknown = JSON.parse(spec.paramsJson);
    const parent = plan.parents.get(n);
    return {
      id: n.newId,
      externalId: n.externalId,
      name: spec.name,
      type: spec.type,
      status,
      paramsJson: spec.paramsJson,
      codeJson: spec.code ? canonicalJson(spec.code) : null,
      environmentJson: spec.environmentJson,
      fingerprint: runFingerprint({ type: spec.type, code: spec.code, params, inputIds: usedBy.get(n) ?? [] }),
      idempotencyKey: spec.idempotencyKey,
      parentId: parent ? idOf(parent) : null,
      experiment: spec.experiment,
      experimentId: spec.experiment === null ? null : newId('Experiment'),
      searchProps: searchProperties(spec.paramsJson),
    };
  });
  const datasetVersionRows: BatchDatasetVersion[] = fresh('DatasetVersion').map((n) => {
    const { spec } = n.item;
    const { number, previousId } = datasetNumbers.get(n)!;
    events.push({ kind: 'DATASET_VERSION_CREATED', projectId, subjectId: n.newId, name: spec.name, previousId, actor });
    return { id: n.newId, externalId: n.externalId, datasetId: datasets.get(spec.name)!.id, number, ...pick(spec, 'label', 'digest', 'uri', 'sizeBytes', 'recordCount', 'schemaJson', 'propertiesJson') };
  });
  for (const run of runRows) {
    events.push({ kind: 'RUN_STARTED', projectId, subjectId: run.id, name: run.name, actor });
    if (run.status !== 'RUNNING') events.push({ kind: 'RUN_FINISHED', projectId, subjectId: run.id, name: run.name, actor });
  }
  const checkpointRows: BatchCheckpoint[] = fresh('Checkpoint').map((n) => ({
    id: n.newId,
    externalId: n.externalId,
    runId: checkpointRun(n),
    ...pick(n.item.spec, 'step', 'epoch', 'uri', 'digest', 'sizeBytes', 'metricsJson'),
  }));
  const newRunNames = new Map(runRows.map((r) => [r.id, r.name]));
  const runName = (id: string) => newRunNames.get(id) ?? otherRunNames.get(id) ?? null;
  for (const c of checkpointRows) events.push({ kind: 'CHECKPOINT_CREATED', projectId, subjectId: c.id, name: runName(c.runId), actor });
  const artifactRows: BatchArtifact[] = fresh('Artifact').map((n) => {
    events.push({ kind: 'ARTIFACT_CREATED', projectId, subjectId: n.newId, name: n.item.spec.name, actor });
    return { id: n.newId, externalId: n.externalId, ...pick(n.item.spec, 'type', 'name', 'uri', 'digest', 'propertiesJson') };
  });
  const modelVersionRows: BatchModelVersion[] = newModelVersions.map((n) => {
    const { number, previousId } = modelNumbers.get(n)!;
    events.push({ kind: 'MODEL_VERSION_CREATED', projectId, subjectId: n.newId, name: n.item.spec.name, previousId, actor });
    return { id: n.newId, externalId: n.externalId, modelId: models.get(n.item.spec.name)!.id, number, ...pick(n.item.spec, 'semver', 'description', 'metricsJson') };
  });

  // Round 4, the writes: the parents' next numbers, the nodes, then the edges that join them.
  const numbering = Promise.all([advanceNextNumbers(tx, 'Dataset', countsOf(datasetNumbers, datasets)), advanceNextNumbers(tx, 'Model', countsOf(modelNumbers, models))]);
  const creatingNodes = createBatchNodes(
    tx,
    { projectId, createdBy: actor },
    { datasetVersions: datasetVersionRows, runs: runRows, checkpoints: checkpointRows, artifacts: artifactRows, modelVersions: modelVersionRows },
  );

  // Edges leaving a node created just now cannot exist yet: only the others need the existence check.
  const byKind = new Map<string, { kind: LineageEdgeKind; fromNew: boolean; rows: Map<string, { from: string; to: string; role: string | null }> }>();
  for (const edge of lineage) {
    const [kind, role] = edge.kind === 'SOURCE' ? sourceEdge(edge) : [edge.kind, edge.role];
    const fromNew = isNew(edge.from);
    const row = { from: idOf(edge.from), to: idOf(edge.to), role };
    const group = `${kind}:${fromNew}`;
    if (!byKind.has(group)) byKind.set(group, { kind, fromNew, rows: new Map() });
    byKind.get(group)!.rows.set(`${row.from}\u0000${row.to}\u0000${role ?? '\u0001'}`, row);
  }
  // The edges go out right behind the nodes' statements (createBatchNodes has sent them all), not
  // after their answers: Neo4j runs them in the order sent, after the nodes they join.
  const groups = [...byKind.values()];
  const [, , createdByGroup] = await Promise.all([numbering, creatingNodes, Promise.all(groups.map(({ kind, fromNew, rows }) => createLineageEdges(tx, kind, [...rows.values()], fromNew)))]);
  let edges = 0;
  let linkedFrom: string | null = null;
  for (const [i, { fromNew, rows }] of groups.entries()) {
    const created = createdByGroup[i]!;
    edges += created;
    if (!fromNew && created > 0) linkedFrom ??= rows.values().next().value!.from;
  }
  // Kahn's check (planBatch) saw the batch's edges only: an edge leaving a node that existed
  // before may close a cycle through stored edges. (One entering a node created now cannot:
  // such a node's only edges are the batch's.) Checked after creating them, in this transaction.
  const fromExisting = lineage.filter((e) => !isNew(e.from));
  const cycle = await firstCycle(tx, fromExisting.map((e) => ({ from: idOf(e.from), to: idOf(e.to) })));
  if (cycle) {
    const edge = fromExisting.find((e) => idOf(e.from) === cycle.from && idOf(e.to) === cycle.to)!;
    const kind = edge.kind === 'SOURCE' ? sourceEdge(edge)[0] : edge.kind;
    throw lineageCycle(edge.at, `${cycle.from} -[${kind}]-> ${cycle.to}`, cycle.hops);
  }
  // An edge leaving a node that existed before can grow existing nodes' upstream sets: tell the
  // dispatchers to refresh their upstreamOf watches (filter.ts LINEAGE_CHANGING_KINDS).
  if (linkedFrom !== null) events.push({ kind: 'LINEAGE_LINKED', projectId, subjectId: linkedFrom, actor });

  const result = { ids: nodes.map((n) => idOf({ node: n })), created: nodes.length - existing.size, existing: existing.size, edges };
  await appendEvents(tx, events, { summary: { created: result.created, existing: result.existing, edges } });
  return result;
}

async function lockVersioned(tx: Tx, label: VersionedLabel, projectId: string, actor: string | null, names: readonly string[]) {
  const distinct = [...new Set(names)];
  if (distinct.length === 0) return new Map<string, LockedParent>();
  return lockParents(tx, label, { projectId, createdBy: actor, parents: distinct.map((name) => ({ name, newId: newId(label) })) });
}

/** Numbers new versions per parent in batch order, each with the id of the version before it. */
function number<N extends PlannedNode>(
  versions: readonly N[],
  parentOf: (node: N) => string,
  parents: ReadonlyMap<string, LockedParent>,
): Map<PlannedNode, { number: number; previousId: string | null; parentId: string }> {
  const cursor = new Map<string, { next: number; previousId: string | null }>();
  const numbers = new Map<PlannedNode, { number: number; previousId: string | null; parentId: string }>();
  for (const node of versions) {
    const parent = parents.get(parentOf(node))!;
    const at = cursor.get(parent.id) ?? { next: parent.nextNumber, previousId: parent.latestVersionId };
    numbers.set(node, { number: at.next, previousId: at.previousId, parentId: parent.id });
    cursor.set(parent.id, { next: at.next + 1, previousId: node.newId });
  }
  return numbers;
}

function countsOf(numbers: ReadonlyMap<PlannedNode, { parentId: string }>, parents: ReadonlyMap<string, LockedParent>) {
  const counts = new Map<string, number>([...parents.values()].map((p) => [p.id, 0]));
  for (const { parentId } of numbers.values()) counts.set(parentId, counts.get(parentId)! + 1);
  return [...counts].filter(([, count]) => count > 0).map(([id, count]) => ({ id, count }));
}

function pick<T, K extends keyof T>(value: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}
