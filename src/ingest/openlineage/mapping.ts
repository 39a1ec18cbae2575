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
import { badInput, PedigreeError } from '../../domain/errors.ts';
import type { BatchEdgeInput } from '../../generated/graphql.ts';
import type { RunStatus } from '../../domain/rows.ts';
import { edgesOfRun, inputVersions, lockRunByExternalId, setJobFacts, versionsByDigest, versionsByLabel } from '../../neo4j/queries/openlineage.ts';
import { canonicalJson } from '../../domain/json.ts';
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
  readonly side: 'input' | 'output';
}

export async function ingestRunEvent(ctx: Context, projectId: string, event: OlRunEvent): Promise<IngestResult> {
  const status = STATUS[event.eventType ?? 'OTHER'];
  const refs = (side: 'inputs' | 'outputs'): DatasetRef[] =>
    (event[side] ?? []).map((dataset, i) => {
      const version = dataset.facets?.['version']?.['datasetVersion'];
      const name = datasetName(dataset);
      return { dataset, path: `event.${side}[${i}]`, name, version: typeof version === 'string' ? version : null, side: side === 'inputs' ? 'input' : 'output' };
    });
  const datasets = [...refs('inputs'), ...refs('outputs')];
  const runId = event.run.runId;
  // The digest a version gets when the event creates it: derived from what identifies it.
  const digestOf = (ref: DatasetRef): string =>
    ref.version !== null
      ? derivedDigest('version', ref.name, ref.version)
      : ref.side === 'input'
        ? derivedDigest('first', ref.name)
        : derivedDigest('output', ref.name, runId);

  return retryOnCreateRace(() =>
    ctx.executor.write('openlineage', async (tx) => {
      // Sent together (one round trip): the run (locked) and its edges, versions named by a
      // facet or by the digest the event would give them, and the versions unversioned inputs link to.
      const versioned = datasets.filter((d) => d.version !== null).map((d) => ({ name: d.name, label: d.version! }));
      const [existingRun, edges, byLabel, byDigest, latest] = await Promise.all([
        lockRunByExternalId(tx, projectId, runId),
        edgesOfRun(tx, projectId, runId),
        versionsByLabel(tx, projectId, versioned),
        versionsByDigest(tx, projectId, datasets.filter((d) => d.version !== null || d.side === 'output').map((d) => ({ name: d.name, digest: digestOf(d) }))),
        inputVersions(tx, projectId, runId, [...new Set(datasets.filter((d) => d.version === null && d.side === 'input').map((d) => d.name))]),
      ]);
      const existing = (ref: DatasetRef): string | undefined =>
        ref.version !== null
          ? (byLabel.get(JSON.stringify([ref.name, ref.version])) ?? byDigest.get(JSON.stringify([ref.name, digestOf(ref)])))
          : ref.side === 'input'
            ? latest.get(ref.name)
            : byDigest.get(JSON.stringify([ref.name, digestOf(ref)]));

      const batch = buildBatch(event, status, datasets, existing, digestOf, existingRun ? edges : null);
      let pedigreeRunId = existingRun?.id;
      let created = 0;
      let linked = 0;
      // An event that names nothing new for an existing run (a COMPLETE after its START, a
      // duplicate) has no batch to write: recordLineage would write nothing for it either.
      if (batch !== null) {
        let result;
        try {
          result = await writeLineage(tx, ctx.viewer, planLineage({ project: projectId, nodes: batch.nodes, edges: batch.edges }));
        } catch (error) {
          throw atEventPaths(error, batch.paths);
        }
        pedigreeRunId = result.ids[0]!;
        created = result.created;
        linked = result.edges;
        if (!existingRun) await setJobFacts(tx, jobFacts(event, result.ids));
      }
      if (existingRun && status !== 'RUNNING') await finishRunIn(tx, ctx.viewer, existingRun.id, status);
      const errorMessage = facetBody(event.run.facets?.['errorMessage']);
      if (existingRun && errorMessage) {
        await setJobFacts(tx, [{ id: existingRun.id, jobNamespace: event.job.namespace, jobName: event.job.name, errorMessageJson: canonicalJson(errorMessage) }]);
      }
      return { run: pedigreeRunId!, created, edges: linked };
    }),
  );
}

/**
 * The batch: node 0 is the run, node 1 its parent (when the parent facet names one), then the
 * dataset versions the event creates; edges the run does not have yet. Null when an existing
 * run gets nothing new.
 */
function buildBatch(
  event: OlRunEvent,
  status: RunStatus,
  datasets: readonly DatasetRef[],
  existing: (ref: DatasetRef) => string | undefined,
  digestOf: (ref: DatasetRef) => string,
  runEdges: { used: ReadonlySet<string>; generated: ReadonlySet<string> } | null,
): { nodes: BatchNode[]; edges: BatchEdgeInput[]; paths: string[] } | null {
  const nodes: BatchNode[] = [];
  const paths: string[] = [];
  const parent = event.run.facets?.['parent'] as { run: { runId: string }; job: { namespace: string; name: string } } | undefined;
  nodes.push({
    key: 'run',
    externalId: event.run.runId,
    kind: 'RUN',
    status,
    fields: { name: event.job.name, type: 'DATA_PROCESSING', code: codeOf(event), ...(parent && runEdges === null ? { parent: 'parent' } : {}) },
  });
  paths.push('event.job');
  // The parent is linked when the run is created (recordLineage links a new run only).
  if (parent && runEdges === null) {
    nodes.push({ key: 'parent', externalId: parent.run.runId, kind: 'RUN', status: 'RUNNING', fields: { name: parent.job.name, type: 'PIPELINE' } });
    paths.push('event.run.facets.parent');
  }
  const runNodes = nodes.length;

  // One batch node per distinct new version; an existing version is referenced by its id.
  const keys = new Map<string, string>();
  const versionOf = (ref: DatasetRef): string => {
    const id = existing(ref);
    if (id !== undefined) return id;
    const digest = digestOf(ref);
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
        label: ref.version,
        ...(schema ? { schema } : {}),
        properties: { openlineage: { namespace: ref.dataset.namespace, name: ref.dataset.name }, ...(dataSource ? { dataSource } : {}) },
      },
    });
    paths.push(ref.path);
    return key;
  };

  const edges: BatchEdgeInput[] = [];
  for (const ref of datasets) {
    const version = versionOf(ref);
    if (ref.side === 'input' && !runEdges?.used.has(version)) edges.push({ kind: 'USED', from: 'run', to: version });
    if (ref.side === 'output' && !runEdges?.generated.has(version)) edges.push({ kind: 'GENERATED_BY', from: version, to: 'run' });
  }
  if (runEdges !== null && nodes.length === runNodes && edges.length === 0) return null;
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
