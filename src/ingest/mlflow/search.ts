/**
 * The subset of MLflow's run filter grammar supported here: clauses joined by AND, each
 * `params.<key>`, `tags.<key>`, `attributes.run_name|run_id|status` compared with `=` or `!=`
 * to a quoted string, or `metrics.<key>` compared with = != < <= > >= to a number. Anything
 * else is INVALID_PARAMETER_VALUE (never silently ignored).
 */
import type { MlflowRunRow } from '../../neo4j/queries/mlflow.ts';
import { invalidParameter } from './errors.ts';
import { toMlflowStatus } from './shapes.ts';

const CLAUSE = /^\s*(params|param|tags|tag|attributes|attribute|attr|metrics|metric)\.(`[^`]+`|"[^"]+"|[\w.-]+)\s*(=|!=|<=|>=|<|>)\s*('(?:[^']|'')*'|"[^"]*"|-?[\d.eE+-]+)\s*$/i;

type Predicate = (row: MlflowRunRow) => boolean;

function unquote(value: string): string {
  return /^['"`]/.test(value) ? value.slice(1, -1).replaceAll("''", "'") : value;
}

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

function clause(text: string, filter: string): Predicate {
  const match = CLAUSE.exec(text);
  if (!match) throw invalidParameter(`Unsupported filter '${filter}'.`);
  const kind = match[1]!.toLowerCase();
  const key = unquote(match[2]!);
  const op = match[3]!;
  const raw = match[4]!;
  if (kind.startsWith('metric')) {
    const value = Number(raw);
    if (Number.isNaN(value)) throw invalidParameter(`Unsupported filter '${filter}': metrics compare to numbers.`);
    return (row) => {
      const v = (JSON.parse(row.run.summaryMetricsJson) as Record<string, number>)[key];
      return v !== undefined && compare(op, v, value);
    };
  }
  if (op !== '=' && op !== '!=') throw invalidParameter(`Unsupported filter '${filter}': params, tags and attributes compare with = or !=.`);
  const value = unquote(raw);
  const read: (row: MlflowRunRow) => string | undefined = kind.startsWith('param')
    ? (row) => {
        const v = (JSON.parse(row.run.paramsJson) as Record<string, unknown>)[key];
        return v === undefined ? undefined : String(v);
      }
    : kind.startsWith('tag')
      ? (row) => (key === 'mlflow.runName' ? row.run.name : (JSON.parse(row.run.tagsJson ?? '{}') as Record<string, string>)[key])
      : attribute(key, filter);
  return op === '=' ? (row) => read(row) === value : (row) => read(row) !== value;
}

function attribute(key: string, filter: string): (row: MlflowRunRow) => string | undefined {
  switch (key) {
    case 'run_name':
      return (row) => row.run.name;
    case 'run_id':
      return (row) => row.run.id;
    case 'status':
      return (row) => toMlflowStatus(row.run.status);
    default:
      throw invalidParameter(`Unsupported filter '${filter}': attribute '${key}'.`);
  }
}

export function filterRuns(rows: readonly MlflowRunRow[], filter: string): MlflowRunRow[] {
  if (filter.trim() === '') return [...rows];
  const predicates = filter.split(/\s+AND\s+/i).map((text) => clause(text, filter));
  return rows.filter((row) => predicates.every((p) => p(row)));
}
