/** Markdown tables of the benchmark, and the description of the machine it ran on. */
import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { isUnsupported, type Ingested, type Outcome, type Timed } from '../peers/types.ts';
import { fmtMs, fmtRate, summarize } from './stats.ts';

export interface Row {
  readonly contender: string;
  readonly cells: readonly string[];
}

export interface Table {
  readonly title: string;
  readonly note?: string;
  readonly header: readonly string[];
  readonly rows: Row[];
}

export function renderTable(table: Table): string {
  const lines = [`### ${table.title}`, ''];
  if (table.note) lines.push(table.note, '');
  lines.push(`| contender | ${table.header.join(' | ')} |`, `|---|${table.header.map(() => '---:').join('|')}|`);
  for (const row of table.rows) lines.push(`| ${row.contender} | ${row.cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

export const TIMED_HEADER = ['nodes returned', 'median ms', 'p99 ms', 'median vs hand-written'] as const;

/** A row of a timed scenario; `limit` is the hand-written contender's median. */
export function timedRow(contender: string, outcome: Outcome<Timed>, limitMedian: number | null, expected: number | null): Row {
  if (isUnsupported(outcome)) return { contender, cells: ['unsupported', '–', '–', outcome.unsupported] };
  const s = summarize(outcome.samples);
  const wrong = expected !== null && outcome.count !== expected ? ` (expected ${expected})` : '';
  const ratio = limitMedian === null ? '1.00x (the limit)' : `${(s.median / limitMedian).toFixed(2)}x`;
  return { contender, cells: [`${outcome.count.toLocaleString('en')}${wrong}`, fmtMs(s.median), fmtMs(s.p99), ratio] };
}

export const INGEST_HEADER = ['elements', 'seconds', 'elements/s', 'rate vs hand-written'] as const;

export function ingestRow(contender: string, outcome: Outcome<Ingested>, limitRate: number | null): Row {
  if (isUnsupported(outcome)) return { contender, cells: ['unsupported', '–', '–', outcome.unsupported] };
  const rate = outcome.elements / (outcome.ms / 1000);
  const ratio = limitRate === null ? '1.00x (the limit)' : `${(rate / limitRate).toFixed(2)}x`;
  return { contender, cells: [outcome.elements.toLocaleString('en'), (outcome.ms / 1000).toFixed(1), fmtRate(rate), ratio] };
}

function tryRun(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return null;
  }
}

/** CPU, cores, memory, OS, Node, Java and Python versions. */
export function machineDescription(): string[] {
  const cpu = cpus();
  const java = tryRun('java', ['-version']) ?? '';
  const javaVersion = /version "([^"]+)"/.exec(java)?.[1] ?? (tryRun('sh', ['-c', 'java -version 2>&1 | head -1']) ?? 'unknown');
  return [
    `CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores`,
    `memory: ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Linux ${release()}`,
    `Node ${process.versions.node}; Java ${javaVersion}; ${tryRun('python3', ['--version']) ?? 'no python3'}`,
  ];
}
