/**
 * provenanceManifest: everything upstream of a node that reproducing it needs, as typed lists
 * and as one canonical JSON document with a sha256 digest.
 *
 * The document holds the recorded facts of each node that do not change after it is written
 * (ids, names, numbers, content addresses, params, code, environment) and the lineage edges
 * between them; lifecycle state (a run's status, a checkpoint's retention, a model version's
 * status, a deployment's status) and timestamps are left out. So the digest stays the same
 * while a model is validated, deployed or its checkpoints pruned, and changes exactly when
 * its provenance does. Objects have sorted keys and every list is sorted by id (edges by
 * from, to, kind, role), so the same graph gives the same bytes and digest on every call.
 */
import { createHash } from 'node:crypto';
import type { ServiceDeps } from '../auth/viewer.ts';
import type { Loaders } from '../loaders/index.ts';
import type {
  ArtifactRow,
  CheckpointRow,
  DatasetVersionRow,
  DeploymentRow,
  LineageNodeRow,
  ModelVersionRow,
  RunRow,
} from '../domain/rows.ts';
import { canonicalJson, parseJson } from '../domain/json.ts';
import type { LineageEdgeRow } from './traversal.ts';
import { ofLabel, provenanceOf } from './provenance.ts';

/** A service that hydrates rows through the request's loaders. */
type LineageDeps = ServiceDeps & { readonly loaders: Loaders };

/** Bumped when the document's layout changes, so old digests are never compared with new ones by mistake. */
export const MANIFEST_FORMAT = 1;

export interface ManifestRow {
  readonly subject: LineageNodeRow;
  readonly datasets: DatasetVersionRow[];
  readonly artifacts: ArtifactRow[];
  readonly runs: RunRow[];
  readonly checkpoints: CheckpointRow[];
  readonly modelVersions: ModelVersionRow[];
  readonly deployments: DeploymentRow[];
  readonly complete: boolean;
  readonly document: unknown;
  readonly digest: string;
}

export async function provenanceManifest(ctx: LineageDeps, id: string, maxDepth: number): Promise<ManifestRow> {
  const provenance = await provenanceOf(ctx, id, 'of', maxDepth);
  const rows = provenance.upstream.map((entry) => entry.row);
  const lists = {
    datasets: ofLabel(rows, 'DatasetVersion'),
    artifacts: ofLabel(rows, 'Artifact'),
    runs: ofLabel(rows, 'Run'),
    checkpoints: ofLabel(rows, 'Checkpoint'),
    modelVersions: ofLabel(rows, 'ModelVersion'),
    deployments: ofLabel(rows, 'Deployment'),
  };
  const names = await parentNames(ctx, [provenance.subject, ...rows]);
  const entry = (row: LineageNodeRow) => manifestEntry(row, names);
  const document = JSON.parse(
    canonicalJson({
      format: MANIFEST_FORMAT,
      subject: entry(provenance.subject),
      maxDepth,
      complete: provenance.complete,
      datasets: lists.datasets.map(entry),
      artifacts: lists.artifacts.map(entry),
      runs: lists.runs.map(entry),
      checkpoints: lists.checkpoints.map(entry),
      modelVersions: lists.modelVersions.map(entry),
      deployments: lists.deployments.map(entry),
      edges: sortedEdges(provenance.edges),
    }),
  ) as unknown;
  const digest = `sha256:${createHash('sha256').update(canonicalJson(document)).digest('hex')}`;
  return { subject: provenance.subject, ...lists, complete: provenance.complete, document, digest };
}

/** Dataset, experiment and model names by id, through the request's loaders. */
async function parentNames(ctx: LineageDeps, rows: readonly LineageNodeRow[]): Promise<Map<string, string>> {
  const pending: Promise<{ id: string; name: string } | null>[] = [];
  for (const row of rows) {
    if (row.nodeLabel === 'DatasetVersion') pending.push(ctx.loaders.dataset.load(row.datasetId));
    if (row.nodeLabel === 'Run' && row.experimentId) pending.push(ctx.loaders.experiment.load(row.experimentId));
    if (row.nodeLabel === 'ModelVersion' || row.nodeLabel === 'Deployment') pending.push(ctx.loaders.model.load(row.modelId));
  }
  const parents = await Promise.all(pending);
  return new Map(parents.flatMap((parent) => (parent ? [[parent.id, parent.name] as const] : [])));
}

/** One node's immutable facts, by kind. */
function manifestEntry(row: LineageNodeRow, names: ReadonlyMap<string, string>): Record<string, unknown> {
  const common = { id: row.id };
  switch (row.nodeLabel) {
    case 'DatasetVersion':
      return {
        ...common,
        kind: 'DATASET_VERSION',
        dataset: names.get(row.datasetId) ?? null,
        number: row.number,
        label: row.label ?? null,
        uri: row.uri,
        digest: row.digest,
        sizeBytes: row.sizeBytes ?? null,
        recordCount: row.recordCount ?? null,
        schema: parseJson(row.schemaJson ?? null),
        properties: parseJson(row.propertiesJson ?? null),
      };
    case 'Run':
      return {
        ...common,
        kind: 'RUN',
        name: row.name,
        type: row.type,
        experiment: row.experimentId ? (names.get(row.experimentId) ?? null) : null,
        parent: row.parentId ?? null,
        params: parseJson(row.paramsJson ?? null),
        code: parseJson(row.codeJson ?? null),
        environment: parseJson(row.environmentJson ?? null),
      };
    case 'Checkpoint':
      return { ...common, kind: 'CHECKPOINT', run: row.runId, step: row.step, epoch: row.epoch ?? null, uri: row.uri, digest: row.digest ?? null, sizeBytes: row.sizeBytes };
    case 'ModelVersion':
      return { ...common, kind: 'MODEL_VERSION', model: names.get(row.modelId) ?? null, number: row.number, semver: row.semver ?? null };
    case 'Deployment':
      return { ...common, kind: 'DEPLOYMENT', model: names.get(row.modelId) ?? null, modelVersion: row.modelVersionId, environment: row.environment, endpoint: row.endpoint ?? null };
    case 'Artifact':
      return { ...common, kind: 'ARTIFACT', type: row.type, name: row.name, uri: row.uri ?? null, digest: row.digest ?? null, properties: parseJson(row.propertiesJson ?? null) };
  }
}

function sortedEdges(edges: readonly LineageEdgeRow[]): { from: string; to: string; kind: string; role: string | null }[] {
  const key = (e: LineageEdgeRow) => `${e.from}\u0000${e.to}\u0000${e.kind}\u0000${e.role ?? ''}`;
  return [...edges]
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .map((e) => ({ from: e.from, to: e.to, kind: e.kind, role: e.role ?? null }));
}
