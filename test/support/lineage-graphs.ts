/**
 * Large lineage graphs inserted with set-based Cypher (UNWIND), in the stored shape of
 * src/domain/rows.ts, for traversal tests where recording through GraphQL would be too slow.
 * Nodes and relationships get `createdAt: datetime()`.
 */
import neo4j, { type Driver } from 'neo4j-driver';
import { newId } from '../../src/domain/ids.ts';

export interface LineageSpec {
  /** Dataset versions of one dataset, numbered in order. */
  readonly datasetVersions?: readonly string[];
  readonly runs?: readonly string[];
  readonly checkpoints?: ReadonlyArray<{ id: string; runId: string; step: number }>;
  readonly edges?: ReadonlyArray<{ from: string; to: string; type: 'USED' | 'GENERATED_BY' | 'DERIVED_FROM' | 'DEPLOYS'; role?: string }>;
}

const BATCH = 5_000;

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}

/** Inserts the nodes, then the relationships, of `spec` into `projectId`. */
export async function insertLineage(driver: Driver, projectId: string, spec: LineageSpec): Promise<void> {
  const datasetId = newId('Dataset');
  const versions = (spec.datasetVersions ?? []).map((id, i) => ({ id, number: neo4j.int(i + 1), digest: `sha256:${id}` }));
  if (versions.length) {
    await driver.executeQuery(
      `CREATE (:Dataset {id: $datasetId, projectId: $projectId, name: $datasetId, description: null, nextNumber: $next, createdAt: datetime(), createdBy: null})`,
      { datasetId, projectId, next: neo4j.int(versions.length + 1) },
    );
  }
  for (const rows of batches(versions)) {
    await driver.executeQuery(
      `MATCH (d:Dataset {id: $datasetId})
       UNWIND $rows AS row
       CREATE (:DatasetVersion:LineageNode {
         id: row.id, projectId: $projectId, datasetId: $datasetId, number: row.number, label: null, digest: row.digest,
         uri: 's3://fixtures/' + row.id, sizeBytes: null, recordCount: null, schemaJson: null, propertiesJson: '{}',
         externalId: null, createdAt: datetime(), createdBy: null
       })-[:VERSION_OF]->(d)`,
      { rows, datasetId, projectId },
    );
  }
  for (const ids of batches(spec.runs ?? [])) {
    await driver.executeQuery(
      `UNWIND $ids AS id
       CREATE (:Run:LineageNode {
         id: id, projectId: $projectId, experimentId: null, parentId: null, name: id, type: 'TRAINING',
         status: 'COMPLETED', paramsJson: '{}', codeJson: null, environmentJson: null, summaryMetricsJson: '{}',
         fingerprint: id, idempotencyKey: null, startedAt: datetime(), endedAt: datetime(),
         createdAt: datetime(), createdBy: null, externalId: null
       })`,
      { ids, projectId },
    );
  }
  for (const rows of batches((spec.checkpoints ?? []).map((c) => ({ ...c, step: neo4j.int(c.step) })))) {
    await driver.executeQuery(
      `UNWIND $rows AS row
       CREATE (:Checkpoint:LineageNode {
         id: row.id, projectId: $projectId, runId: row.runId, step: row.step, epoch: null, uri: 's3://fixtures/' + row.id,
         digest: null, sizeBytes: null, metricsJson: '{}', retention: 'RETAINED', deletedAt: null,
         createdAt: datetime(), createdBy: null, externalId: null
       })`,
      { rows, projectId },
    );
  }
  const byType = new Map<string, Array<{ from: string; to: string; role: string | null }>>();
  for (const edge of spec.edges ?? []) {
    byType.set(edge.type, [...(byType.get(edge.type) ?? []), { from: edge.from, to: edge.to, role: edge.role ?? null }]);
  }
  for (const [type, edges] of byType) {
    for (const rows of batches(edges)) {
      await driver.executeQuery(
        `UNWIND $rows AS row
         MATCH (a:LineageNode {id: row.from}), (b:LineageNode {id: row.to})
         CREATE (a)-[:${type} {role: row.role, createdAt: datetime()}]->(b)`,
        { rows },
      );
    }
  }
}

export interface DiamondLadder {
  /** The output of the last layer: its upstream holds every other node but its sibling. */
  readonly top: string;
  /** layer i: the two dataset versions [a, b] (layer 0 is the raw data). */
  readonly datasets: ReadonlyArray<readonly [string, string]>;
  /** layer i >= 1: the two runs [a, b]; layer 0 has none. */
  readonly runs: ReadonlyArray<readonly [string, string] | null>;
}

/**
 * `layers` layers of two runs that each USE both dataset versions of the layer below and
 * GENERATE one of the two of their own layer: 2^layers distinct paths from the top down to
 * the raw data, 4 * layers - 1 nodes upstream of the top.
 */
export async function createDiamondLadder(driver: Driver, projectId: string, layers: number): Promise<DiamondLadder> {
  const datasets: Array<readonly [string, string]> = [];
  const runs: Array<readonly [string, string] | null> = [null];
  const edges: Array<NonNullable<LineageSpec['edges']>[number]> = [];
  datasets.push([newId('DatasetVersion'), newId('DatasetVersion')]);
  for (let i = 1; i <= layers; i++) {
    const layerRuns = [newId('Run'), newId('Run')] as const;
    const layerData = [newId('DatasetVersion'), newId('DatasetVersion')] as const;
    const below = datasets[i - 1]!;
    for (const [k, run] of layerRuns.entries()) {
      edges.push({ from: run, to: below[0], type: 'USED', role: 'train' }, { from: run, to: below[1], type: 'USED', role: 'eval' });
      edges.push({ from: layerData[k]!, to: run, type: 'GENERATED_BY', role: 'output' });
    }
    runs.push(layerRuns);
    datasets.push(layerData);
  }
  await insertLineage(driver, projectId, { datasetVersions: datasets.flat(), runs: runs.flatMap((r) => r ?? []), edges });
  return { top: datasets[layers]![0], datasets, runs };
}

/**
 * Fine-tuning on fine-tuning: checkpoint k is GENERATED_BY run k, which USED checkpoint k - 1.
 * `hops` relationships from the top checkpoint down to checkpoint 0 (hops must be even).
 */
export async function createFineTuningChain(driver: Driver, projectId: string, hops: number): Promise<{ top: string; bottom: string; all: string[] }> {
  const rounds = hops / 2;
  const checkpoints: Array<{ id: string; runId: string; step: number }> = [];
  const runs: string[] = [];
  const edges: Array<NonNullable<LineageSpec['edges']>[number]> = [];
  const baseRun = newId('Run');
  runs.push(baseRun);
  checkpoints.push({ id: newId('Checkpoint'), runId: baseRun, step: 0 });
  for (let k = 1; k <= rounds; k++) {
    const run = newId('Run');
    const ckp = { id: newId('Checkpoint'), runId: run, step: k };
    edges.push({ from: run, to: checkpoints[k - 1]!.id, type: 'USED', role: 'base' }, { from: ckp.id, to: run, type: 'GENERATED_BY', role: 'checkpoint' });
    runs.push(run);
    checkpoints.push(ckp);
  }
  await insertLineage(driver, projectId, { runs, checkpoints, edges });
  // top ... bottom, nearest first: ckp_n, run_n, ckp_n-1, ..., run_1, ckp_0
  const all: string[] = [];
  for (let k = rounds; k >= 1; k--) all.push(checkpoints[k]!.id, runs[k]!);
  all.push(checkpoints[0]!.id);
  return { top: checkpoints[rounds]!.id, bottom: checkpoints[0]!.id, all };
}

/** Sum of db hits over a PROFILE plan tree. */
export function totalDbHits(plan: { dbHits: number; children: readonly unknown[] }): number {
  return plan.dbHits + plan.children.reduce<number>((sum, child) => sum + totalDbHits(child as typeof plan), 0);
}

/** A PROFILE plan tree's node. */
export interface PlanNode {
  readonly operatorType: string;
  readonly dbHits: number;
  readonly children: readonly PlanNode[];
}

/** The first operator of a PROFILE plan tree (depth first) whose name matches. */
export function findOperator(plan: PlanNode, name: RegExp): PlanNode | undefined {
  if (name.test(plan.operatorType)) return plan;
  for (const child of plan.children) {
    const found = findOperator(child, name);
    if (found) return found;
  }
  return undefined;
}

/** Operator names of a PROFILE plan tree, depth first. */
export function operators(plan: { operatorType: string; children: readonly unknown[] }): string[] {
  return [plan.operatorType, ...plan.children.flatMap((child) => operators(child as typeof plan))];
}
