/** The benchmark's child processes: installers run to completion, and stopping servers and client pools. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Fills `dir` with what `install` puts there (a Python venv, Maven's copy of APOC), built from
 * `source` (a requirements file, a pom): reused while the sha256 of `source` matches the stamp
 * `stampName` that a good install leaves in `dir` (and `present`, when given, exists); otherwise
 * `dir` is removed and installed anew. Resolves with null when `dir` is ready, or with why not.
 */
export async function installOnce(
  options: { dir: string; source: string; stampName: string; present?: string },
  install: () => Promise<string | null>,
): Promise<string | null> {
  const stamp = join(options.dir, options.stampName);
  const hash = createHash('sha256').update(await readFile(options.source)).digest('hex');
  const current = existsSync(stamp) && (await readFile(stamp, 'utf8')).trim() === hash;
  if (current && (options.present === undefined || existsSync(options.present))) return null;
  await rm(options.dir, { recursive: true, force: true });
  const error = await install();
  if (error === null) await writeFile(stamp, `${hash}\n`);
  return error;
}

/** Runs a command to completion; resolves with its exit code and the tail of its output (a failure is logged). */
export function run(command: string, args: readonly string[], log: (line: string) => void): Promise<{ code: number; tail: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => resolve({ code: -1, tail: String(error) }));
    child.on('close', (code) => {
      if (code !== 0) log(`${command} ${args.join(' ')} exited ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`);
      resolve({ code: code ?? -1, tail });
    });
  });
}

/**
 * Starts `node [nodeArgs] script` as a server child that exits with the harness, however the
 * harness exits: it preloads bench/lib/exit-with-harness.ts, which watches its stdin pipe from
 * here. stderr is always piped (callers read start-up and failure messages from it).
 */
export function spawnServer(
  script: string,
  options: { env: NodeJS.ProcessEnv; nodeArgs?: readonly string[]; cwd?: string; stdout: 'ignore' | 'inherit' | 'pipe' },
): ChildProcess {
  return spawn(process.execPath, ['--import', join(import.meta.dirname, 'exit-with-harness.ts'), ...(options.nodeArgs ?? []), script], {
    env: options.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['pipe', options.stdout, 'pipe'],
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within 15 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await exited(child, 15_000))) child.kill('SIGKILL');
}

/** Whether the child exited within `timeoutMs`. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
