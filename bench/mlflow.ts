/**
 * MLflow client benchmark: the same workload (bench/peers/python/mlflow_workload.py: runs with
 * params, a metric per step, a log_batch of 1,000 metrics, a logged pyfunc model) driven by the
 * real mlflow client against Pedigree's MLflow routes and against MLflow's own tracking server
 * (`mlflow server`, SQLite backend, proxied artifacts on local disk, one worker), in one run on
 * the same machine. Prints p50 and p99 per call kind and the ratio of Pedigree's median to
 * MLflow's. Not a test.
 *
 *   node bench/mlflow.ts [runs=5] [steps=100]
 *
 * Uses NEO4J_URI when set, otherwise a throwaway embedded Neo4j. The client and the MLflow
 * server come from the MLflow peer's virtual environment (bench/peers/python/requirements-mlflow.txt).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stopChild } from './lib/child.ts';
import { BENCH_TOKEN, freePort, startBenchGateway } from './lib/gateway.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { renderTable } from './lib/report.ts';
import { fmtMs, summarize } from './lib/stats.ts';
import { ensureVenv } from './peers/python.ts';

const [runs = 5, steps = 100] = process.argv.slice(2).map(Number);
const PYTHON_DIR = join(import.meta.dirname, 'peers', 'python');
const log = (line: string) => console.error(line);

const made = await ensureVenv('mlflow', join(PYTHON_DIR, 'requirements-mlflow.txt'), log);
if ('error' in made) throw new Error(`the MLflow peer's environment could not be made: ${made.error}`);
const venv = made;
const scratch = await mkdtemp(join(tmpdir(), 'pedigree-bench-mlflow-'));

type Times = Record<string, number[]>;

/** Runs the workload against a tracking URI; its own timings, in ms per call kind. */
function workload(trackingUri: string, token: string | null): Promise<Times> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MLFLOW_TRACKING_URI: trackingUri,
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
      MLFLOW_DISABLE_TELEMETRY: 'true',
      DO_NOT_TRACK: 'true',
      GIT_PYTHON_REFRESH: 'quiet',
      ...(token ? { MLFLOW_TRACKING_TOKEN: token } : {}),
    };
    const child = spawn(venv.python, ['-u', join(PYTHON_DIR, 'mlflow_workload.py'), String(runs), String(steps)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Times) : reject(new Error(`workload exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

async function pedigree(): Promise<Times> {
  const database = await benchNeo4j({ heap: '1g', pagecache: '256m', log });
  const gateway = await startBenchGateway(database.uri, { PEDIGREE_MLFLOW_ARTIFACT_ROOT: join(scratch, 'pedigree-artifacts') });
  try {
    const name = `mlflow-bench-${Date.now()}`;
    await gateway.post('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name });
    return await workload(`${gateway.url.replace(/\/graphql$/, '')}/mlflow/${name}`, BENCH_TOKEN);
  } finally {
    await gateway.stop();
    await database.stop();
  }
}

async function mlflowServer(): Promise<Times> {
  const port = await freePort();
  const server = spawn(
    join(dirname(venv.python), 'mlflow'),
    ['server', '--backend-store-uri', `sqlite:///${join(scratch, 'mlflow.db')}`, '--artifacts-destination', join(scratch, 'mlflow-artifacts'), '--host', '127.0.0.1', '--port', String(port), '--workers', '1'],
    { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  server.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 600_000;
    for (;;) {
      if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) break;
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`mlflow server did not start: ${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    return await workload(url, null);
  } finally {
    await stopChild(server);
  }
}

try {
  log(`mlflow bench: ${runs} runs x (5 log_param, ${steps} log_metric, 1 log_batch of 1,000, 1 log_model)`);
  const ours = await pedigree();
  const theirs = await mlflowServer();
  const rows = Object.keys(ours).map((kind) => {
    const a = summarize(ours[kind]!);
    const b = summarize(theirs[kind] ?? []);
    return { contender: kind, cells: [String(a.runs), fmtMs(a.median), fmtMs(a.p99), fmtMs(b.median), fmtMs(b.p99), (a.median / b.median).toFixed(2)] };
  });
  console.log(renderTable({ title: 'MLflow client, per call (ms)', header: ['calls', 'Pedigree p50', 'Pedigree p99', 'MLflow p50', 'MLflow p99', 'p50 ratio'], rows }));
} finally {
  await rm(scratch, { recursive: true, force: true });
}
