/**
 * The Python peers, MLMD and MLflow: each a long-lived Python process
 * (bench/peers/python/*_peer.py) in a virtual environment of its own under bench/.venv/,
 * speaking JSON lines over stdin/stdout, one response per request.
 *
 * The venv is created on first use (`python3 -m venv` + `pip install -r`) and reused while
 * the sha256 of its requirements file matches the stamp written after a good install. When
 * it cannot be created or the process does not start, the peer answers every question
 * `unsupported` with the reason instead of failing the harness.
 *
 * Times come from Python (time.perf_counter around the library's calls), so the pipe and
 * JSON encoding between Node and Python are not counted.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { installOnce, run } from '../lib/child.ts';
import { batchEdges, type Batch, type Shape } from '../lib/shapes.ts';
import { runBudget } from '../lib/stats.ts';
import type { Ingested, MetricCalls, Outcome, Peer, Timed, TraversalQuestion } from './types.ts';

type Log = (line: string) => void;

const PYTHON_DIR = fileURLToPath(new URL('./python/', import.meta.url));
const VENV_ROOT = fileURLToPath(new URL('../.venv/', import.meta.url));
const PYTHON = process.env['BENCH_PYTHON'] ?? 'python3';

/** The venv's python, created or refreshed as needed; or why it could not be. */
export async function ensureVenv(name: string, requirements: string, log: Log): Promise<{ python: string } | { error: string }> {
  const dir = join(VENV_ROOT, name);
  const python = join(dir, 'bin', 'python');
  const error = await installOnce({ dir, source: requirements, stampName: '.requirements.sha256', present: python }, async () => {
    log(`${name}: creating ${dir} (pip install -r ${requirements}; a minute or more)`);
    const venv = await run(PYTHON, ['-m', 'venv', dir], log);
    if (venv.code !== 0) return `${PYTHON} -m venv failed: ${lastLine(venv.tail)}`;
    // --no-compile: byte-compiling every installed file took half of MLflow's install (67 s against
    // 34 s here); Python compiles what it imports on first use instead.
    const pip = await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--no-compile', '-q', '-r', requirements], log);
    return pip.code === 0 ? null : `pip install failed: ${lastLine(pip.tail)}`;
  });
  return error === null ? { python } : { error };
}

const lastLine = (text: string) => text.trim().split('\n').filter((line) => line.trim() !== '').at(-1) ?? 'no output';

type Response = Record<string, unknown>;

/** One Python peer process: requests go out one at a time, in order. */
class PeerProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<{ resolve: (r: Response) => void; reject: (e: Error) => void }> = [];
  private exited: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(python: string, script: string, log: Log, label: string) {
    this.child = spawn(python, ['-u', '-B', join(PYTHON_DIR, script)], { cwd: PYTHON_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const next = this.waiting.shift();
      if (next) next.resolve(JSON.parse(line) as Response);
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      if (line.trim() !== '') log(`${label}: ${line}`);
    });
    const fail = (why: string) => {
      this.exited = why;
      for (const pending of this.waiting.splice(0)) pending.reject(new Error(`${label} ${why}`));
    };
    this.child.on('error', (error) => fail(`could not start: ${error.message}`));
    this.child.on('exit', (code, signal) => fail(`exited (${signal ?? code})`));
  }

  /** Sends one request and waits for its response; a Python-side error is thrown. */
  request(body: Response): Promise<Response> {
    const send = async () => {
      if (this.exited) throw new Error(`python peer ${this.exited}`);
      const response = await new Promise<Response>((resolve, reject) => {
        this.waiting.push({ resolve, reject });
        this.child.stdin.write(`${JSON.stringify(body)}\n`);
      });
      if (typeof response['error'] === 'string') throw new Error(`${String(body['op'])}: ${response['error']}`);
      return response;
    };
    const result = this.queue.then(send, send);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request({ op: 'close' }).catch(() => undefined);
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A peer that cannot run here: every question is answered with the reason. */
function unavailable(name: string, reason: string): Peer {
  const no = { unsupported: reason };
  return {
    name: `${name} (not installed)`,
    ingestBatched: async () => no,
    ingestSingle: async () => no,
    traverse: async () => no,
    lookup: async () => no,
    logMetrics: async () => no,
    close: async () => undefined,
  };
}

async function startProcess(venv: string, script: string, log: Log): Promise<{ peer: PeerProcess; version: string } | { error: string }> {
  const env = await ensureVenv(venv, join(PYTHON_DIR, `requirements-${venv}.txt`), log);
  if ('error' in env) return { error: `could not install ${venv}: ${env.error}` };
  const peer = new PeerProcess(env.python, script, log, venv);
  try {
    const hello = await peer.request({ op: 'hello' });
    return { peer, version: String(hello['version']) };
  } catch (error) {
    await peer.close();
    return { error: `could not start ${script}: ${(error as Error).message}` };
  }
}

const nodeList = (batch: Batch) => batch.nodes;
const timed = (response: Response): Outcome<Timed> =>
  typeof response['unsupported'] === 'string' ? { unsupported: response['unsupported'] } : { samples: response['samples'] as number[], count: response['count'] as number };

/** Sends a shape batch by batch into a fresh store, `op` per batch; sums Python's times. */
async function stream(python: PeerProcess, op: string, store: string, shape: Shape, limit: number): Promise<Ingested> {
  await python.request({ op: 'open', store });
  let ms = 0;
  let elements = 0;
  let left = limit;
  for (const batch of shape.batches()) {
    if (left <= 0) break;
    const response = await python.request({ op, store, nodes: nodeList(batch), edges: batchEdges(batch), limit: left });
    ms += response['ms'] as number;
    elements += response['elements'] as number;
    left -= batch.nodes.length;
  }
  return { ms, elements };
}

/**
 * MLMD (ml-metadata on SQLite): `put_lineage_subgraph` per batch, `put_artifacts` /
 * `put_executions` / `put_events` per element, `get_lineage_subgraph` for traversals (hop
 * cap 100; derive/deploy edges go through a synthetic execution, see mlmd_peer.py),
 * `get_artifacts_by_external_ids` + `get_executions_by_external_ids` for lookups.
 */
export async function startMlmdPeer(log: Log): Promise<Peer> {
  const started = await startProcess('mlmd', 'mlmd_peer.py', log);
  if ('error' in started) return unavailable('MLMD', started.error);
  const { peer: python, version } = started;
  const ingested = new Set<string>();
  const notIngested = (shape: Shape) => ({ unsupported: `${shape.name} was not ingested into MLMD` });
  return {
    name: `MLMD ${version} (SQLite)`,
    async ingestBatched(shape) {
      const result = await stream(python, 'ingest_batched', shape.name, shape, Number.POSITIVE_INFINITY);
      ingested.add(shape.name);
      return result;
    },
    ingestSingle: (shape, count) => stream(python, 'ingest_single', `${shape.name}#single`, shape, count),
    async traverse(shape, question: TraversalQuestion, runs) {
      if (!ingested.has(shape.name)) return notIngested(shape);
      return timed(await python.request({ op: 'traverse', store: shape.name, ...question, runs, budgetMs: runBudget() }));
    },
    async lookup(shape, keys, runs) {
      if (!ingested.has(shape.name)) return notIngested(shape);
      return timed(await python.request({ op: 'lookup', store: shape.name, keys, runs, budgetMs: runBudget() }));
    },
    logMetrics: async () => ({ unsupported: 'MLMD keeps no metric series: a value is a property of an artifact or execution, one per name' }),
    close: () => python.close(),
  };
}

export interface MlflowOptions {
  /**
   * Largest shape (nodes) the MLflow peer loads: MLflow has no bulk API, so a shape goes in
   * one client call per element (tens of ms each on SQLite). Default 3,000, or
   * BENCH_MLFLOW_MAX_NODES.
   */
  readonly maxNodes?: number;
}

/** Why MLflow cannot hold a shape at all, or null: see the header of mlflow_peer.py. */
function mlflowRefusal(shape: Shape, maxNodes: number): string | null {
  if (shape.nodeCount > maxNodes) return `MLflow has no bulk API: ${shape.nodeCount.toLocaleString('en')} nodes would take one client call each (limit here ${maxNodes.toLocaleString('en')} nodes)`;
  let datasetOutputs = false;
  for (const batch of shape.batches()) {
    if (batch.nodes.some((n) => n.kind === 'MODEL_VERSION')) return null;
    // Explicit GENERATED_BY edges are always dataset version -> run (see `Batch`).
    datasetOutputs ||= batch.edges.some((e) => e.kind === 'GENERATED_BY');
  }
  return datasetOutputs ? `${shape.name} is dataset versions GENERATED_BY runs, which MLflow cannot record (run outputs hold logged models only)` : null;
}

/**
 * MLflow (tracking + registry on SQLite, MlflowClient in-process): runs with dataset inputs,
 * checkpoints as logged models, model versions in the registry; lineage walked with client
 * calls. It has no bulk API, so `ingestBatched` reports unsupported but still loads the shape
 * (one call per element, untimed) for the traversal and lookup questions.
 */
export async function startMlflowPeer(log: Log, options: MlflowOptions = {}): Promise<Peer> {
  const maxNodes = options.maxNodes ?? Number(process.env['BENCH_MLFLOW_MAX_NODES'] ?? 3000);
  const started = await startProcess('mlflow', 'mlflow_peer.py', log);
  if ('error' in started) return unavailable('MLflow', started.error);
  const { peer: python, version } = started;
  const loaded = new Map<string, string | null>();
  const refused = (shape: Shape) => {
    const why = loaded.get(shape.name);
    if (why === undefined) return { unsupported: `${shape.name} was not ingested into MLflow` };
    return why === null ? null : { unsupported: why };
  };
  return {
    name: `MLflow ${version} (SQLite)`,
    async ingestBatched(shape) {
      const why = mlflowRefusal(shape, maxNodes);
      loaded.set(shape.name, why);
      if (why) return { unsupported: why };
      const load = await stream(python, 'ingest_single', shape.name, shape, Number.POSITIVE_INFINITY);
      log(`mlflow: loaded ${shape.name} one call per element: ${load.elements} elements in ${(load.ms / 1000).toFixed(1)} s`);
      return { unsupported: 'MLflow has no bulk API across runs and models (log_batch only writes one run\'s params/metrics/tags); see the single-call ingest' };
    },
    async ingestSingle(shape, count) {
      const why = mlflowRefusal(shape, Number.POSITIVE_INFINITY);
      if (why) return { unsupported: why };
      return stream(python, 'ingest_single', `${shape.name}#single`, shape, count);
    },
    async traverse(shape, question, runs) {
      const no = refused(shape);
      if (no) return no;
      return timed(await python.request({ op: 'traverse', store: shape.name, ...question, runs, budgetMs: runBudget() }));
    },
    async lookup(shape, keys, runs) {
      const no = refused(shape);
      if (no) return no;
      return timed(await python.request({ op: 'lookup', store: shape.name, keys, runs, budgetMs: runBudget() }));
    },
    async logMetrics(plan) {
      // log_batch for the calls of many points (MLflow takes at most 1,000 metrics a call), log_metric per step.
      const response = await python.request({ op: 'log_metrics', ...plan });
      const stored = response['stored'] as number[];
      const expected = [plan.batchCalls * plan.batchSize, plan.singlePoints];
      if (stored.some((n, i) => n !== expected[i])) throw new Error(`MLflow stored ${stored.join('/')} points, expected ${expected.join('/')}`);
      return { batches: response['batches'], singles: response['singles'] } as MetricCalls;
    },
    close: () => python.close(),
  };
}
