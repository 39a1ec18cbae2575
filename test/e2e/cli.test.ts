/** `npm start` (src/main.ts) as a user runs it: failures end with one clear line, no stack. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/ports.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');

interface Exit {
  code: number | null;
  stderr: string;
}

function start(env: Record<string, string>, until?: RegExp): { done: Promise<Exit>; matched: Promise<void>; kill(signal: NodeJS.Signals): void } {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', PEDIGREE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let onMatch = () => {};
  const matched = new Promise<void>((resolve) => (onMatch = resolve));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (until?.test(stderr)) onMatch();
  });
  const done = new Promise<Exit>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { done, matched, kill: (signal) => child.kill(signal) };
}

function expectOneClearLine(exit: Exit, pattern: RegExp): void {
  expect(exit.code).toBe(1);
  const lines = exit.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(pattern);
  expect(exit.stderr).not.toMatch(/^\s+at /m);
}

describe('npm start', () => {
  it('ends with one line when NEO4J_URI is unreachable', async () => {
    const port = await freePort();
    const exit = await start({ NEO4J_URI: `bolt://127.0.0.1:${port}`, PORT: '0', PEDIGREE_NEO4J_STARTUP_TIMEOUT_MS: '1000' }).done;
    expectOneClearLine(exit, new RegExp(`^pedigree: cannot reach Neo4j at bolt://127.0.0.1:${port} .*check NEO4J_URI`));
  });

  it('ends with one line when its port is taken', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, () => resolve((blocker.address() as { port: number }).port)));
    try {
      const exit = await start({ NEO4J_URI: inject('neo4jUri'), PORT: String(port) }).done;
      expectOneClearLine(exit, new RegExp(`^pedigree: port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('ends with one line when Java is missing and NEO4J_URI is unset', async () => {
    const exit = await start({ PATH: dirname(process.execPath), PORT: '0' }).done;
    expectOneClearLine(exit, /^pedigree: Java 17\+ is required for the embedded Neo4j/);
  });

  it('runs the embedded default, refuses a second start on the same data directory, and stops on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pedigree-cli-'));
    const first = start({ PEDIGREE_DATA_DIR: dataDir, NEO4J_PORT: String(await freePort()), PORT: String(await freePort()) }, /serving http/);
    try {
      await first.matched;
      const second = await start({ PEDIGREE_DATA_DIR: dataDir, NEO4J_PORT: String(await freePort()), PORT: String(await freePort()) }).done;
      expectOneClearLine(second, /^pedigree: pedigree-neo4j: the data directory .* is already in use/);
    } finally {
      first.kill('SIGTERM');
      const exit = await first.done;
      expect(exit.code).toBe(0);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
