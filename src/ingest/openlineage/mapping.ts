/**
 * One OpenLineage RunEvent as one unit of work of the recording services: a recordLineage
 * batch (the run, its parent, the dataset versions and the USED / GENERATED_BY edges) and, for
 * a run that already exists, finishRun's state change. The same checks, nodes, events and
 * audit entries as the GraphQL mutations; docs/openlineage.md has the mapping table.
 *
 * Idempotence: the run is found by its externalId (the OpenLineage runId), a versioned dataset
 * version by its label (the `version` facet), an unversioned output by a digest derived from
 * the producing run, an unversioned input by the version the run already used; the batch adds
 * only edges that do not exist. So an event sent twice, START after COMPLETE, or a late event of
 * a finished run writes nothing twice and loses nothing.
 */
import { createHash } from 'node:crypto';
import type { Context } from '../../context.ts';
import { badInput, PedigreeError } from '../../errors.ts';
import type { BatchEdgeInput } from '../../generated/graphql.ts';
import type { RunStatus } from '../../model.ts';
import { inputVersions, lockRunByExternalId, setJobFacts, versionsByLabel } from '../../neo4j/queries/openlineage.ts';
import { canonicalJson } from '../../recording/json.ts';
import { planLineage, writeLineage, type BatchNode } from '../../recording/lineage-batch.ts';
import { retryOnCreateRace } from '../../recording/retry.ts';
import { finishRunIn } from '../../recording/runs.ts';
import type { OlDataset, OlRunEvent } from './validate.ts';

export interface IngestResult {
  /** The Pedigree id of the event's run. */
  readonly run: string;
  readonly created: number;
  readonly edges: number;
}

const STATUS: Record<NonNullable<OlRunEvent['eventType']>, RunStatus> = {
  START: 'RUNNING',
  RUNNING: 'RUNNING',
  OTHER: 'RUNNING',
  COMPLETE: 'COMPLETED',
  FAIL: 'FAILED',
  ABORT: 'CANCELED',
};

/** `<namespace>/<name>` with exactly one `/` between them. */
export function datasetName(dataset: Pick<OlDataset, 'namespace' | 'name'>): string {
  return `${dataset.namespace.replace(/\/+$/, '')}/${dataset.name.replace(/^\/+/, '')}`;
}

/** A digest standing for a version that has no content hash: stable for the same parts. */
function derivedDigest(...parts: string[]): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(['openlineage', ...parts])).digest('hex')}`;
}

/** Facet content without the base facet's `_producer` / `_schemaURL` / `_deleted`. */
function facetBody(facet: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | null {
  if (!facet) return null;
  return Object.fromEntries(Object.entries(facet).filter(([key]) => !key.startsWith('_')));
}

interface DatasetRef {
  readonly dataset: OlDataset;
  readonly path: string;
  readonly name: string;
  readonly version: string | null;
}

export async function ingestRunEvent(ctx: Context, projectId: string, event: OlRunEvent): Promise<IngestResult> {
  const status = STATUS[event.eventType ?? 'OTHER'];
  const refs = (side: 'inputs' | 'outputs'): DatasetRef[] =>
    (event[side] ?? []).map((dataset, i) => {
      const version = dataset.facets?.['version']?.['datasetVersion'];
      return { dataset, path: `event.${side}[${i}]`, name: datasetName(dataset), version: typeof version === 'string' ? version : null };
    });
  const inputs = refs('inputs');
  const outputs = refs('outputs');
  const runId = event.run.runId;

  return retryOnCreateRace(() =>
    ctx.executor.write('openlineage', async (tx) => {
      // Sent together (one round trip): the run (locked), versions named by a facet, and the
      // versions unversioned inputs link to.
      const versioned = [...inputs, ...outputs].filter((d) => d.version !== null).map((d) => ({ name: d.name, label: d.version! }));
      const [existingRun, byLabel, latest] = await Promise.all([
        lockRunByExternalId(tx, projectId, runId),
        versionsByLabel(tx, projectId, versioned),
        inputVersions(tx, projectId, runId, [...new Set(inputs.filter((d) => d.version === null).map((d) => d.name))]),
      ]);

      const { nodes, edges, paths } = buildBatch(event, status, inputs, outputs, byLabel, latest);
      let result;
      try {
        result = await writeLineage(tx, ctx.viewer, planLineage({ project: projectId, nodes, edges }));
      } catch (error) {
        throw atEventPaths(error, paths);
      }
      const pedigreeRunId = result.ids[0]!;
      if (existingRun && status !== 'RUNNING') await finishRunIn(tx, ctx.viewer, pedigreeRunId, status);
      await setJobFacts(tx, jobFacts(event, result.ids));
      return { run: pedigreeRunId, created: result.created, edges: result.edges };
    }),
  );
}

/** The batch: node 0 is the run, node 1 its parent (when the parent facet names one). */
function buildBatch(
  event: OlRunEvent,
  status: RunStatus,
  inputs: readonly DatasetRef[],
  outputs: readonly DatasetRef[],
  byLabel: ReadonlyMap<string, string>,
  latest: ReadonlyMap<string, string>,
): { nodes: BatchNode[]; edges: BatchEdgeInput[]; paths: string[] } {
  const nodes: BatchNode[] = [];
  const paths: string[] = [];
  const parent = event.run.facets?.['parent'] as { run: { runId: string }; job: { namespace: string; name: string } } | undefined;
  nodes.push({
    key: 'run',
    externalId: event.run.runId,
    kind: 'RUN',
    status,
    fields: { name: event.job.name, type: 'DATA_PROCESSING', code: codeOf(event), ...(parent ? { parent: 'parent' } : {}) },
  });
  paths.push('event.job');
  if (parent) {
    nodes.push({ key: 'parent', externalId: parent.run.runId, kind: 'RUN', status: 'RUNNING', fields: { name: parent.job.name, type: 'PIPELINE' } });
    paths.push('event.run.facets.parent');
  }

  // One batch node per distinct version; an existing version is referenced by its id.
  const keys = new Map<string, string>();
  const versionOf = (ref: DatasetRef, side: 'input' | 'output'): string => {
    if (ref.version !== null) {
      const existing = byLabel.get(JSON.stringify([ref.name, ref.version]));
      if (existing) return existing;
      return nodeFor(ref, derivedDigest('version', ref.name, ref.version), ref.version);
    }
    if (side === 'input') return latest.get(ref.name) ?? nodeFor(ref, derivedDigest('first', ref.name), null);
    return nodeFor(ref, derivedDigest('output', ref.name, event.run.runId), null);
  };
  const nodeFor = (ref: DatasetRef, digest: string, label: string | null): string => {
    const identity = JSON.stringify([ref.name, digest]);
    const known = keys.get(identity);
    if (known) return known;
    const key = `dataset-${nodes.length}`;
    keys.set(identity, key);
    const schema = facetBody(ref.dataset.facets?.['schema']);
    const dataSource = facetBody(ref.dataset.facets?.['dataSource']);
    nodes.push({
      key,
      kind: 'DATASET_VERSION',
      fields: {
        dataset: ref.name,
        digest,
        uri: ref.name,
        label,
        ...(schema ? { schema } : {}),
        properties: { openlineage: { namespace: ref.dataset.namespace, name: ref.dataset.name }, ...(dataSource ? { dataSource } : {}) },
      },
    });
    paths.push(ref.path);
    return key;
  };

  const edges: BatchEdgeInput[] = [
    ...inputs.map((ref) => ({ kind: 'USED' as const, from: 'run', to: versionOf(ref, 'input') })),
    ...outputs.map((ref) => ({ kind: 'GENERATED_BY' as const, from: versionOf(ref, 'output'), to: 'run' })),
  ];
  return { nodes, edges, paths };
}

/** sourceCodeLocation (repository, commit, path) and sourceCode (its sha256 as the digest). */
function codeOf(event: OlRunEvent): { repository: string | null; commit: string | null; path: string | null; digest: string | null } | null {
  const location = event.job.facets?.['sourceCodeLocation'] as { url: string; repoUrl?: string; path?: string; version?: string } | undefined;
  const source = event.job.facets?.['sourceCode'] as { sourceCode: string } | undefined;
  if (!location && !source) return null;
  return {
    repository: location ? (location.repoUrl ?? location.url) : null,
    commit: location?.version ?? null,
    path: location?.path ?? null,
    digest: source ? `sha256:${createHash('sha256').update(source.sourceCode).digest('hex')}` : null,
  };
}

function jobFacts(event: OlRunEvent, ids: readonly string[]) {
  const errorMessage = facetBody(event.run.facets?.['errorMessage']);
  const rows = [{ id: ids[0]!, jobNamespace: event.job.namespace, jobName: event.job.name, errorMessageJson: errorMessage ? canonicalJson(errorMessage) : null }];
  const parent = event.run.facets?.['parent'] as { job: { namespace: string; name: string } } | undefined;
  if (parent) rows.push({ id: ids[1]!, jobNamespace: parent.job.namespace, jobName: parent.job.name, errorMessageJson: null });
  return rows;
}

/** The batch's field paths (`input.nodes[3].fields.dataset`) as paths in the event (`event.inputs[1].dataset`). */
function atEventPaths(error: unknown, paths: readonly string[]): unknown {
  if (!(error instanceof PedigreeError) || error.code !== 'BAD_USER_INPUT') return error;
  const rewrite = (text: string) => text.replace(/input\.nodes\[(\d+)\]\.fields/g, (whole, i: string) => paths[Number(i)] ?? whole);
  const field = error.details['field'];
  return badInput(typeof field === 'string' ? rewrite(field) : 'event', rewrite(error.message));
}
