/**
 * Lineage for federation tests: one node of every entity type recorded through the public
 * mutations, copies of those nodes in bulk (the stored shape comes from the recorded node, so
 * copies stay realistic when the shape changes), and `createdBy` set the way an authenticated
 * subject will set it once the security issue lands (mutations record null until then).
 */
import neo4j, { type Driver } from 'neo4j-driver';
import { newId, type IdLabel } from '../../src/domain/ids.ts';
import type { TestGateway } from './gateway.ts';
import { unique } from './graph.ts';

export type EntityLabel = 'Project' | 'Dataset' | 'DatasetVersion' | 'Experiment' | 'Run' | 'Checkpoint' | 'Artifact' | 'Model' | 'ModelVersion' | 'Deployment';

export type OneOfEach = Record<EntityLabel, string>;

const sha = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** A small pipeline: raw data -> training run (in an experiment) -> checkpoint -> model version -> deployment. */
export async function recordOneOfEach(server: TestGateway): Promise<OneOfEach> {
  const m = async (mutation: string, input: Record<string, unknown>) => {
    const data = await server.ok<Record<string, any>>(mutation, { input });
    return Object.values(data)[0] as Record<string, any>;
  };
  const project = await m('mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }', { name: unique('fed') });
  const dsv = await m('mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id dataset { id } } }', {
    project: project.id, dataset: 'clicks', uri: 's3://clicks/1', digest: sha(1),
  });
  const art = await m('mutation($input: RecordArtifactInput!) { recordArtifact(input: $input) { id } }', {
    project: project.id, type: 'labels', name: 'clicks-labels', uri: 's3://labels/1', digest: sha(2),
  });
  const run = await m('mutation($input: StartRunInput!) { startRun(input: $input) { id experiment { id } } }', {
    project: project.id, name: 'train', type: 'TRAINING', experiment: 'sweep', inputs: [{ id: dsv.id, role: 'train' }, { id: art.id, role: 'labels' }],
  });
  const ckp = await m('mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id } }', { run: run.id, step: 1, uri: 's3://ckpt/1' });
  await m('mutation($input: FinishRunInput!) { finishRun(input: $input) { id } }', { run: run.id, status: 'COMPLETED' });
  const mv = await m('mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id model { id } } }', {
    project: project.id, model: 'ranker', source: ckp.id, semver: '1.0.0',
  });
  const dep = await m('mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }', {
    version: mv.id, environment: 'prod', endpoint: 'https://ranker.example.com',
  });
  return {
    Project: project.id,
    Dataset: dsv.dataset.id,
    DatasetVersion: dsv.id,
    Experiment: run.experiment.id,
    Run: run.id,
    Checkpoint: ckp.id,
    Artifact: art.id,
    Model: mv.model.id,
    ModelVersion: mv.id,
    Deployment: dep.id,
  };
}

const LINEAGE: ReadonlySet<EntityLabel> = new Set(['DatasetVersion', 'Run', 'Checkpoint', 'Artifact', 'ModelVersion', 'Deployment']);

/** Version numbers and steps of copies: above anything recorded, never reused in a test run. */
let copyNumber = 1_000;

/** What each copy must change so the uniqueness constraints of V001 hold. */
function distinct(label: EntityLabel, id: string): Record<string, unknown> {
  switch (label) {
    case 'Project':
      return { name: unique('fed-copy') };
    case 'Dataset':
    case 'Experiment':
    case 'Model':
      return { name: `copy-${id}` };
    case 'DatasetVersion':
      return { number: copyNumber++, digest: `sha256:${id}`, label: null, externalId: null };
    case 'Run':
      return { idempotencyKey: null, externalId: null };
    case 'Checkpoint':
      return { step: copyNumber++, externalId: null };
    case 'Artifact':
      return { name: `copy-${id}`, externalId: null };
    case 'ModelVersion':
      return { number: copyNumber++, semver: null, externalId: null };
    case 'Deployment':
      return { externalId: null };
    default: {
      const never: never = label;
      throw new Error(`no copy rule for ${String(never)}`);
    }
  }
}

/**
 * `count` copies of the node `templateId` (properties only, no relationships), each with a new
 * id and `extra` properties; returns their ids, oldest first (createdAt one millisecond apart).
 */
export async function copyNodes(
  driver: Driver,
  label: EntityLabel,
  templateId: string,
  count: number,
  extra: Record<string, unknown> = {},
): Promise<string[]> {
  const ids = Array.from({ length: count }, () => newId(label as IdLabel));
  // Labels come last: uniqueness constraints see the copy only once its id is its own.
  // Integers go as Cypher integers (a JS number would be stored as a float).
  const cypher = (value: unknown) => (Number.isInteger(value) ? neo4j.int(value as number) : value);
  const rows = ids.map((id, k) => ({
    k: neo4j.int(k),
    set: Object.fromEntries(Object.entries({ ...distinct(label, id), ...extra, id }).map(([key, v]) => [key, cypher(v)])),
  }));
  await driver.executeQuery(
    `MATCH (t:${label} {id: $templateId})
     UNWIND $rows AS row
     CREATE (c)
     SET c = properties(t), c += row.set, c.createdAt = t.createdAt + duration({milliseconds: row.k + 1})
     SET c:${label}${LINEAGE.has(label) ? ':LineageNode' : ''}`,
    { templateId, rows },
  );
  return ids;
}

/** Records `subject` as the creator of these nodes, as the authenticated caller would have. */
export async function setCreatedBy(driver: Driver, ids: readonly string[], subject: string): Promise<void> {
  await driver.executeQuery('UNWIND $ids AS id MATCH (n:LineageNode {id: id}) SET n.createdBy = $subject', { ids, subject });
}
