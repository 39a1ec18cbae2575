/** Timing helpers of the benchmark: repeated runs after warm-up, percentiles, concurrency. */
import { performance } from 'node:perf_hooks';

export interface Summary {
  readonly runs: number;
  readonly median: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  return rank([...samples].sort((a, b) => a - b), p);
}

function rank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Sorts once; no spread of the samples into arguments (a closed-loop run can hold hundreds of thousands). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    median: rank(sorted, 50),
    p99: rank(sorted, 99),
    min: sorted.length === 0 ? Number.NaN : sorted[0]!,
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

/** Timed runs a contender always gets. */
export const MIN_RUNS = 5;
let runBudgetMs = 10_000;
/** The time of timed runs after which a contender stops short of `runs` (the preset sets it). */
export const runBudget = (): number => runBudgetMs;
export function setRunBudget(ms: number): void {
  runBudgetMs = ms;
}

/**
 * Runs `fn` `warmup` times untimed, then `runs` times, or fewer (at least MIN_RUNS) once the
 * timed runs took `runBudget()`: slow contenders keep a run within minutes; wall times in ms and
 * what the last run returned.
 */
export async function timeRepeated<T>(fn: () => Promise<T>, options: { warmup: number; runs: number }): Promise<{ samples: number[]; last: T }> {
  let last: T | undefined;
  for (let i = 0; i < options.warmup; i++) last = await fn();
  const samples: number[] = [];
  let spent = 0;
  for (let i = 0; i < options.runs && (i < MIN_RUNS || spent < runBudgetMs); i++) {
    const start = performance.now();
    last = await fn();
    samples.push(performance.now() - start);
    spent += samples[samples.length - 1]!;
  }
  return { samples, last: last as T };
}

/** Times one call. */
export async function timeOnce<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/**
 * `concurrency` workers calling `fn` back to back for `seconds` (after `warmupSeconds`):
 * per-call latencies and completed calls per second.
 */
export async function closedLoop(fn: (worker: number, i: number) => Promise<unknown>, options: { concurrency: number; seconds: number; warmupSeconds: number }): Promise<{ samples: number[]; perSecond: number }> {
  const samples: number[] = [];
  const warmupEnd = performance.now() + options.warmupSeconds * 1000;
  const end = warmupEnd + options.seconds * 1000;
  let measuredFrom = Number.NaN;
  const worker = async (w: number) => {
    for (let i = 0; ; i++) {
      const start = performance.now();
      if (start >= end) return;
      await fn(w, i);
      const done = performance.now();
      if (start >= warmupEnd) {
        if (Number.isNaN(measuredFrom)) measuredFrom = start;
        samples.push(done - start);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  return { samples, perSecond: samples.length / ((performance.now() - warmupEnd) / 1000) };
}

export const fmtMs = (ms: number): string => (Number.isNaN(ms) ? '–' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
export const fmtRate = (perSecond: number): string => Math.round(perSecond).toLocaleString('en');
