/** The benchmark's child processes: installers run to completion, and stopping servers and client pools. */
import { spawn, type ChildProcess } from 'node:child_process';

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
