/**
 * A Pedigree gateway as users run it: `node src/main.ts` in a child process with
 * NODE_ENV=production, so the benchmark's clients do not share its event loop. Its resident memory is read from /proc.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { spawnServer } from './child.ts';

export const BENCH_TOKEN = 'bench-admin-token-0123456789abcdef';

export interface BenchGateway {
  readonly url: string;
  readonly wsUrl: string;
  readonly pid: number;
  /** POSTs an operation that must succeed; returns `data`. */
  post<T = Record<string, { id: string }>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Current and peak resident set size in MB. */
  memory(): { rssMb: number; peakMb: number };
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startBenchGateway(neo4jUri: string, env: Record<string, string> = {}): Promise<BenchGateway> {
  const port = await freePort();
  // BENCH_GATEWAY_NODE_ARGS adds node options, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (written when the gateway stops).
  const nodeArgs = process.env['BENCH_GATEWAY_NODE_ARGS']?.split(' ').filter((arg) => arg !== '') ?? [];
  const child: ChildProcess = spawnServer(join(import.meta.dirname, '..', '..', 'src', 'main.ts'), {
    nodeArgs,
    env: {
      ...process.env,
      // As the image runs it (Dockerfile): graphql-js drops its development-only checks.
      NODE_ENV: 'production',
      NEO4J_URI: neo4jUri,
      PORT: String(port),
      HOST: '127.0.0.1',
      PEDIGREE_ADMIN_TOKEN: BENCH_TOKEN,
      PEDIGREE_RATE_LIMIT_PER_SECOND: '0',
      PEDIGREE_LOG_LEVEL: 'warn',
      ...env,
    },
    // BENCH_GATEWAY_LOGS=1 shows the gateway's log (e.g. with PEDIGREE_SLOW_QUERY_MS to find slow statements).
    stdout: process.env['BENCH_GATEWAY_LOGS'] ? 'inherit' : 'ignore',
  });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('serving http')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code}: ${stderr}`)));
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  const status = () => readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status())![1]) / 1024;
  return {
    url,
    wsUrl: url.replace('http', 'ws'),
    pid: child.pid!,
    async post<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const response = await fetchOnce(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: unknown[] };
      if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 2000)}`);
      return body.data!;
    },
    memory: () => ({ rssMb: mb('VmRSS'), peakMb: mb('VmHWM') }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The benchmarks' HTTP client: one keep-alive pool (undici, the package.json version) for every
 * request to a gateway or a peer's server. Node's global fetch was not used: after an idle spell
 * of about 3 s (the time a contender waits while another runs) it opened a new TCP connection
 * for every later request, which then added a connection's setup to each timed request.
 */
const pool = new Agent({ keepAliveTimeout: 4_000 });

/**
 * fetch through that pool, retried once when the server closed an idle keep-alive connection
 * just as it was reused (ECONNRESET before any answer; seen on the busy 2-core machine).
 * Nothing was executed.
 */
export async function fetchOnce(url: string, init: RequestInit): Promise<Response> {
  const send = () => undiciFetch(url, { ...(init as UndiciRequestInit), dispatcher: pool }) as unknown as Promise<Response>;
  try {
    return await send();
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw error;
    return send();
  }
}
