/**
 * The test suite's Python: a virtual environment under .data/test-venv made from
 * test/python/requirements.txt (or PEDIGREE_TEST_VENV), created on first use and reused while
 * that file is unchanged.
 * Tests that drive the real `mlflow` and `openlineage-python` clients run their scripts with it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { installOnce, run } from '../../bench/lib/child.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const REQUIREMENTS = join(ROOT, 'test', 'python', 'requirements.txt');
const VENV = process.env['PEDIGREE_TEST_VENV'] ?? join(ROOT, '.data', 'test-venv');
const BASE_PYTHON = process.env['PEDIGREE_TEST_PYTHON'] ?? 'python3';

/** The venv's python executable; throws with pip's last words when it cannot be made. */
export async function ensurePython(log: (line: string) => void = console.log): Promise<string> {
  const python = join(VENV, 'bin', 'python');
  const error = await installOnce({ dir: VENV, source: REQUIREMENTS, stampName: '.requirements.sha256', present: python }, async () => {
    log(`test setup: creating ${VENV} from test/python/requirements.txt (a minute or two, once)`);
    const venv = await run(BASE_PYTHON, ['-m', 'venv', VENV], log);
    if (venv.code !== 0) return `${BASE_PYTHON} -m venv failed: ${venv.tail.trim()}`;
    const pip = await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--no-compile', '-q', '-r', REQUIREMENTS], log);
    return pip.code === 0 ? null : `pip install failed: ${pip.tail.trim()}`;
  });
  if (error !== null) throw new Error(error);
  return python;
}

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `python -c script` (or a file) with extra environment; resolves when it exits. */
export function runPython(python: string, args: readonly string[], env: Record<string, string>, timeoutMs = 170_000): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-u', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
