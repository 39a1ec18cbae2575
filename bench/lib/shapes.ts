/**
 * The graph shapes every contender of the benchmark stores: one description, streamed in
 * batches, that Pedigree (`recordLineage`), the hand-written Cypher writer, MLMD, MLflow and
 * `@neo4j/graphql` each translate into their own model. Keys are unique within a shape; an
 * edge or a parent reference may name a key of any earlier batch.
 *
 * Edges point the way lineage does in Pedigree: from the derived node to its source.
 * Besides the explicit `edges`, three references are edges too (see `impliedEdges`):
 * a checkpoint's `run` (GENERATED_BY), a model version's `source` (DERIVED_FROM) and a
 * deployment's `modelVersion` (DEPLOYS).
 */
import { createHash } from 'node:crypto';

export type SpecNode =
  | { readonly key: string; readonly kind: 'DATASET_VERSION'; readonly dataset: string; readonly uri: string; readonly digest: string }
  | { readonly key: string; readonly kind: 'RUN'; readonly name: string; readonly type: 'TRAINING' | 'EVALUATION' | 'DATA_PROCESSING'; readonly params: Readonly<Record<string, number | string>> }
  | { readonly key: string; readonly kind: 'CHECKPOINT'; readonly run: string; readonly step: number; readonly uri: string }
  | { readonly key: string; readonly kind: 'MODEL_VERSION'; readonly model: string; readonly source: string }
  | { readonly key: string; readonly kind: 'DEPLOYMENT'; readonly modelVersion: string; readonly environment: string };

export type SpecKind = SpecNode['kind'];
export type SpecEdgeKind = 'USED' | 'GENERATED_BY' | 'DERIVED_FROM' | 'DEPLOYS';

export interface SpecEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: SpecEdgeKind;
}

export interface Batch {
  readonly nodes: readonly SpecNode[];
  /** USED (run -> input) and GENERATED_BY (dataset version -> run) only; see `impliedEdges`. */
  readonly edges: readonly SpecEdge[];
}

export interface Shape {
  readonly name: string;
  readonly description: string;
  readonly nodeCount: number;
  /** All edges, explicit and implied. */
  readonly edgeCount: number;
  /** Named nodes that scenarios start from, e.g. `top` (deepest) or `hub`. */
  readonly roots: Readonly<Record<string, string>>;
  /** Batches of at most `BATCH_ELEMENTS` nodes plus explicit edges, in dependency order. */
  batches(): Generator<Batch>;
}

/** Nodes plus explicit edges per batch: well inside `recordLineage`'s 10,000. */
export const BATCH_ELEMENTS = 8_000;

/** The references of a node that are lineage edges themselves. */
export function impliedEdges(node: SpecNode): SpecEdge[] {
  switch (node.kind) {
    case 'CHECKPOINT':
      return [{ from: node.key, to: node.run, kind: 'GENERATED_BY' }];
    case 'MODEL_VERSION':
      return [{ from: node.key, to: node.source, kind: 'DERIVED_FROM' }];
    case 'DEPLOYMENT':
      return [{ from: node.key, to: node.modelVersion, kind: 'DEPLOYS' }];
    default:
      return [];
  }
}

/** Every edge of a batch, explicit ones first. */
export function batchEdges(batch: Batch): SpecEdge[] {
  return [...batch.edges, ...batch.nodes.flatMap(impliedEdges)];
}

/** Collects elements into batches no larger than `BATCH_ELEMENTS`. */
class Batcher {
  private nodes: SpecNode[] = [];
  private edges: SpecEdge[] = [];
  private full: Batch[] = [];

  /** The batches completed so far (yield them as you go: a 1M-node shape is never held whole). */
  drain(): Batch[] {
    const done = this.full;
    this.full = [];
    return done;
  }

  node(node: SpecNode): void {
    this.nodes.push(node);
    this.flushIfFull();
  }

  edge(from: string, to: string, kind: 'USED' | 'GENERATED_BY'): void {
    this.edges.push({ from, to, kind });
    this.flushIfFull();
  }

  /** Starts a new batch when the current one is nearly full, so that a group stays together. */
  reserve(elements: number): void {
    if (this.nodes.length + this.edges.length + elements > BATCH_ELEMENTS) this.flush();
  }

  flush(): void {
    if (this.nodes.length + this.edges.length === 0) return;
    this.full.push({ nodes: this.nodes, edges: this.edges });
    this.nodes = [];
    this.edges = [];
  }

  private flushIfFull(): void {
    if (this.nodes.length + this.edges.length >= BATCH_ELEMENTS) this.flush();
  }
}

/** A valid content address per key (Pedigree checks `<algorithm>:<hex>`). */
const digest = (key: string) => `sha256:${createHash('sha256').update(key).digest('hex')}`;
const datasetVersion = (key: string, dataset: string): SpecNode => ({ key, kind: 'DATASET_VERSION', dataset, uri: `s3://bench/${dataset}/${key}`, digest: digest(key) });
const run = (key: string, name: string, type: 'TRAINING' | 'EVALUATION' | 'DATA_PROCESSING', params: Record<string, number | string> = {}): SpecNode => ({ key, kind: 'RUN', name, type, params });

/**
 * A chain `hops` edges long: d0 <- r1 <- d1 <- r2 <- ... Runs USE the dataset version below
 * and GENERATE the one above. `top` is the last node: upstream of it at depth k is k nodes.
 */
export function chain(hops: number): Shape {
  const last = hops % 2 === 0 ? `d${hops / 2}` : `r${(hops + 1) / 2}`;
  return {
    name: `chain-${hops}`,
    description: `a chain of ${hops} hops (dataset version, run, dataset version, ...)`,
    nodeCount: hops + 1,
    edgeCount: hops,
    roots: { top: last, bottom: 'd0' },
    *batches() {
      const out = new Batcher();
      out.node(datasetVersion('d0', 'chain'));
      for (let hop = 1; hop <= hops; hop++) {
        const i = Math.ceil(hop / 2);
        if (hop % 2 === 1) {
          out.node(run(`r${i}`, 'step', 'DATA_PROCESSING', { i }));
          out.edge(`r${i}`, `d${i - 1}`, 'USED');
        } else {
          out.node(datasetVersion(`d${i}`, 'chain'));
          out.edge(`d${i}`, `r${i}`, 'GENERATED_BY');
        }
      }
      out.flush();
      yield* out.drain();
    },
  };
}

/**
 * A diamond ladder `layers` high: two dataset versions per layer; two runs per layer each
 * USE both versions below and each GENERATE one above: 2^layers distinct paths from the top.
 */
export function ladder(layers: number): Shape {
  return {
    name: `ladder-${layers}`,
    description: `a diamond ladder of ${layers} layers (2^${layers} paths from top to bottom)`,
    nodeCount: 2 * (layers + 1) + 2 * layers,
    edgeCount: 6 * layers,
    roots: { top: `d${layers}a`, bottom: 'd0a' },
    *batches() {
      const out = new Batcher();
      out.node(datasetVersion('d0a', 'ladder'));
      out.node(datasetVersion('d0b', 'ladder'));
      for (let i = 1; i <= layers; i++) {
        yield* out.drain();
        out.reserve(10);
        for (const side of ['a', 'b']) {
          out.node(run(`r${i}${side}`, 'mix', 'DATA_PROCESSING', { i }));
          out.edge(`r${i}${side}`, `d${i - 1}a`, 'USED');
          out.edge(`r${i}${side}`, `d${i - 1}b`, 'USED');
          out.node(datasetVersion(`d${i}${side}`, 'ladder'));
          out.edge(`d${i}${side}`, `r${i}${side}`, 'GENERATED_BY');
        }
      }
      out.flush();
      yield* out.drain();
    },
  };
}

/**
 * One dataset version (`hub`) that `fanout` training runs USE; each run GENERATES a
 * checkpoint. Downstream of the hub is 2 x fanout nodes.
 */
export function hub(fanout: number): Shape {
  return {
    name: `hub-${fanout}`,
    description: `a dataset version used by ${fanout.toLocaleString('en')} runs, each with a checkpoint`,
    nodeCount: 1 + 2 * fanout,
    edgeCount: 2 * fanout,
    roots: { hub: 'hub' },
    *batches() {
      const out = new Batcher();
      out.node(datasetVersion('hub', 'hub'));
      for (let i = 0; i < fanout; i++) {
        yield* out.drain();
        out.reserve(3);
        out.node(run(`r${i}`, 'train', 'TRAINING', { seed: i }));
        out.edge(`r${i}`, 'hub', 'USED');
        out.node({ key: `c${i}`, kind: 'CHECKPOINT', run: `r${i}`, step: 1, uri: `s3://bench/hub/c${i}` });
      }
      out.flush();
      yield* out.drain();
    },
  };
}

/**
 * `count` realistic pipelines, 10 nodes each: a raw dataset version; a preprocessing run
 * making features from it; a training run on the features and a shared validation set,
 * with three checkpoints; a model version from the last checkpoint; an evaluation run of
 * the model version on the validation set; and for every tenth pipeline a deployment.
 * Pipeline p's raw data is GENERATED_BY pipeline p-1's preprocessing run (a new version of
 * the same dataset), so provenance grows deeper along the pipelines.
 */
export function pipelines(count: number): Shape {
  const deployments = Math.floor(count / 10);
  return {
    name: `pipelines-${count}`,
    description: `${count.toLocaleString('en')} pipelines (raw data, features, training, 3 checkpoints, model version, evaluation; every 10th deployed)`,
    nodeCount: 1 + count * 9 + deployments,
    edgeCount: count * 11 - 1 + deployments,
    roots: { firstRaw: 'p0.raw', lastModel: `p${count - 1}.model`, lastDeployment: deployments > 0 ? `p${deployments * 10 - 1}.deploy` : `p${count - 1}.model` },
    *batches() {
      const out = new Batcher();
      out.node(datasetVersion('validation', 'validation'));
      for (let p = 0; p < count; p++) {
        const k = (name: string) => `p${p}.${name}`;
        yield* out.drain();
        out.reserve(20);
        out.node(datasetVersion(k('raw'), `raw-${p % 10}`));
        if (p > 0) out.edge(k('raw'), `p${p - 1}.prep`, 'GENERATED_BY');
        out.node(run(k('prep'), 'prepare', 'DATA_PROCESSING', { window: 7 + (p % 3) }));
        out.edge(k('prep'), k('raw'), 'USED');
        out.node(datasetVersion(k('features'), `features-${p % 10}`));
        out.edge(k('features'), k('prep'), 'GENERATED_BY');
        out.node(run(k('train'), 'train', 'TRAINING', { lr: 0.001 * (1 + (p % 5)), epochs: 10 }));
        out.edge(k('train'), k('features'), 'USED');
        out.edge(k('train'), 'validation', 'USED');
        for (const step of [1000, 2000, 3000]) out.node({ key: k(`ckpt${step}`), kind: 'CHECKPOINT', run: k('train'), step, uri: `s3://bench/ckpt/${p}/${step}` });
        out.node({ key: k('model'), kind: 'MODEL_VERSION', model: `model-${p % 10}`, source: k('ckpt3000') });
        out.node(run(k('eval'), 'evaluate', 'EVALUATION'));
        out.edge(k('eval'), k('model'), 'USED');
        out.edge(k('eval'), 'validation', 'USED');
        if (p % 10 === 9) out.node({ key: k('deploy'), kind: 'DEPLOYMENT', modelVersion: k('model'), environment: `env-${p}` });
      }
      out.flush();
      yield* out.drain();
    },
  };
}

/**
 * A wide layered graph: layer 0 has `width` dataset versions; each of `layers` layers has
 * `width` runs, run j USING `fanIn` versions (j .. j+fanIn-1, wrapping) of the layer below
 * and GENERATING version j of its own layer; one evaluation run (`top`) USES the whole last
 * layer. With 1000 x 500 x 5 that is about 1M nodes and 3M edges.
 */
export function wide(width: number, layers: number, fanIn: number): Shape {
  return {
    name: `wide-${width}x${layers}`,
    description: `${width.toLocaleString('en')} x ${layers} layers, each run using ${fanIn} versions of the layer below`,
    nodeCount: width * (2 * layers + 1) + 1,
    edgeCount: width * layers * (fanIn + 1) + width,
    roots: { top: 'top', bottom: 'd0.0' },
    *batches() {
      const out = new Batcher();
      for (let j = 0; j < width; j++) out.node(datasetVersion(`d0.${j}`, 'wide-0'));
      for (let i = 1; i <= layers; i++) {
        for (let j = 0; j < width; j++) {
          yield* out.drain();
          out.reserve(fanIn + 3);
          out.node(run(`r${i}.${j}`, `layer-${i}`, 'DATA_PROCESSING'));
          for (let f = 0; f < fanIn; f++) out.edge(`r${i}.${j}`, `d${i - 1}.${(j + f) % width}`, 'USED');
          out.node(datasetVersion(`d${i}.${j}`, `wide-${i}`));
          out.edge(`d${i}.${j}`, `r${i}.${j}`, 'GENERATED_BY');
        }
      }
      out.reserve(width + 1);
      out.node(run('top', 'evaluate', 'EVALUATION'));
      for (let j = 0; j < width; j++) out.edge('top', `d${layers}.${j}`, 'USED');
      out.flush();
      yield* out.drain();
    },
  };
}

export type Size = 'quick' | 'L';

/** The shapes of one benchmark size. */
export function shapesFor(size: Size) {
  return size === 'L'
    ? { chain: chain(1000), ladder: ladder(160), hub: hub(10_000), pipelines: pipelines(10_000), wide: wide(1000, 500, 5) }
    : { chain: chain(1000), ladder: ladder(40), hub: hub(10_000), pipelines: pipelines(1000), wide: wide(100, 20, 5) };
}
