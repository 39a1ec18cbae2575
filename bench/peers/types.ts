/**
 * What the harness asks of every contender besides Pedigree (hand-written Cypher, MLMD,
 * MLflow, @neo4j/graphql). A contender translates a `Shape` into its own model and answers
 * the same questions; what it cannot answer it reports as unsupported, with the reason,
 * and the harness prints that reason in the table instead of dropping the row.
 */
import type { Shape } from '../lib/shapes.ts';

export interface Unsupported {
  readonly unsupported: string;
}

export type Outcome<T> = T | Unsupported;

export const isUnsupported = <T>(outcome: Outcome<T>): outcome is Unsupported =>
  typeof outcome === 'object' && outcome !== null && 'unsupported' in outcome;

/** Wall times in milliseconds of repeated runs of one operation (after warm-up), plus what one run returned. */
export interface Timed {
  readonly samples: readonly number[];
  /** How many nodes (or records) one run returned: the harness checks contenders agree. */
  readonly count: number;
}

export interface Ingested {
  readonly ms: number;
  /** Nodes plus edges written. */
  readonly elements: number;
}

export interface TraversalQuestion {
  /** A node key of the shape, e.g. `shape.roots.top`. */
  readonly root: string;
  readonly direction: 'UPSTREAM' | 'DOWNSTREAM';
  /** Hops; the traversal passes through every kind of node. */
  readonly depth: number;
  /** At most this many nodes (nearest first); null for all within `depth`. */
  readonly limit: number | null;
  /** Only how many (impact analysis); a peer without a count answers with the nodes and their number. */
  readonly countOnly?: boolean;
  /**
   * Only the reached nodes' ids, nearest first: no depths, no fields, no edges. The question
   * `@neo4j/graphql`'s `@cypher` field answers; asked of Pedigree and the limit too, so that it
   * is compared with the same question.
   */
  readonly idsOnly?: boolean;
}

/** Writes the first nodes of a shape one call per node, on demand: for contenders timed in alternating chunks. */
export interface SingleWriter {
  readonly nodes: number;
  /** Writes node `index` (every node before it already written); resolves with the elements it stored. */
  write(index: number): Promise<number>;
}

export interface Peer {
  /** Name and version as printed in the table, e.g. "MLMD 1.17.0 (SQLite)". */
  readonly name: string;
  /** Stores the whole shape in batches (its own bulk API), timed end to end. */
  ingestBatched(shape: Shape): Promise<Outcome<Ingested>>;
  /** Stores `count` nodes of the shape one API call per node or edge (a pipeline logging as it goes). */
  ingestSingle(shape: Shape, count: number): Promise<Outcome<Ingested>>;
  /**
   * The same writes one node at a time, so that the run can alternate this peer with the limit in
   * chunks (peers on the bench's own Neo4j have it; the others run `ingestSingle` after).
   */
  singleWriter?(shape: Shape, count: number): SingleWriter | Promise<SingleWriter>;
  /** The nodes reachable from a root of an already ingested shape. */
  traverse(shape: Shape, question: TraversalQuestion, runs: number): Promise<Outcome<Timed>>;
  /** 'ids' when `traverse` answers every question with ids only (see `idsOnly`). */
  readonly traversalAnswer?: 'ids';
  /** Fetches nodes of an ingested shape by key in one request (`_entities` with 1,000 keys). */
  lookup(shape: Shape, keys: readonly string[], runs: number): Promise<Outcome<Timed>>;
  /**
   * What an autologger sends (bench/lib/metrics.ts), on a run of the peer's own, timed per call.
   * Every peer but the limit and Pedigree, which bench/lib/metrics.ts drives itself, alternating.
   */
  logMetrics?(plan: MetricCallsPlan): Promise<Outcome<MetricCalls>>;
  close(): Promise<void>;
}

export interface MetricCallsPlan {
  /** Calls of `batchSize` points of one key, steps ascending, then `singlePoints` calls of one point of one key. */
  readonly batchCalls: number;
  readonly batchSize: number;
  readonly singlePoints: number;
  /** Untimed calls first, on another run. */
  readonly warmupBatches: number;
  readonly warmupSingles: number;
}

/** Wall times in milliseconds of each call, in order. */
export interface MetricCalls {
  readonly batches: readonly number[];
  readonly singles: readonly number[];
}
