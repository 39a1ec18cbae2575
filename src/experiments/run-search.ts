/**
 * `runs(filter, orderBy, first, after)`: validation, opaque keyset cursors, and the two phases
 * of a metric order (runs with the metric by its latest value, then runs without it, newest
 * first). A project the viewer cannot read gives an empty page, exactly like a project with no
 * runs, so its existence does not leak (as `cachedRun` answers null).
 */
import { canRead } from '../auth/authorize.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { badInput } from '../domain/errors.ts';
import type { QueryRunsArgs } from '../generated/graphql.ts';
import type { RunRow } from '../domain/rows.ts';
import { runsByMetric, runsByStart, type RunHit, type RunSearch } from '../neo4j/queries/run-search.ts';
import { canonicalJson } from '../domain/json.ts';
import { checkName, checkText, MAX_NAME_LENGTH } from '../recording/validate.ts';
import { PARAM_PREFIX } from '../domain/search-params.ts';

export const MAX_RUNS_PAGE = 500;
const MAX_PREDICATES = 20;
const MAX_IN_VALUES = 100;
/** A Neo4j datetime as `toString` writes it (UTC, up to nanoseconds). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Where the previous page ended: in the metric phase (`m`) or the newest-first phase (`t`). */
type Cursor = { readonly order: string | null; readonly m: [number, string] } | { readonly order: string | null; readonly t: [string, string] };

interface Page {
  readonly nodes: RunRow[];
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

function orderKey(metric: string | null, descending: boolean): string | null {
  return metric === null ? null : `${descending ? 'DESC' : 'ASC'}:${metric}`;
}

function decodeCursor(after: string, order: string | null): Cursor {
  const invalid = () => badInput('after', 'after is not a cursor of this query and order');
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(after, 'base64url').toString());
  } catch {
    throw invalid();
  }
  const c = cursor as Record<string, unknown> | null;
  if (c === null || typeof c !== 'object' || c.order !== order) throw invalid();
  const pair = (value: unknown, type: 'number' | 'string') =>
    Array.isArray(value) && value.length === 2 && typeof value[0] === type && typeof value[1] === 'string';
  if (order !== null && pair(c.m, 'number')) return { order, m: c.m as [number, string] };
  if (pair(c.t, 'string') && INSTANT.test((c.t as string[])[0]!)) return { order, t: c.t as [string, string] };
  throw invalid();
}

function encodeCursor(order: string | null, hit: RunHit): string {
  const cursor: Cursor = hit.last !== null ? { order, m: [hit.last, hit.run.id] } : { order, t: [hit.startedAt, hit.run.id] };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function instant(field: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(String(value));
  if (Number.isNaN(ms)) throw badInput(field, `${field} must be an ISO-8601 instant`);
  return new Date(ms).toISOString();
}

function checkParamKey(field: string, key: string): string {
  const trimmed = checkText(field, key, MAX_NAME_LENGTH).trim();
  if (trimmed.length === 0 || trimmed.split('.').some((segment) => segment.length === 0)) {
    throw badInput(field, `${field} must be a dotted key like 'optimizer.lr' (no empty segments)`);
  }
  return trimmed;
}

function checkCount<T>(field: string, list: readonly T[] | null | undefined): readonly T[] {
  if ((list?.length ?? 0) > MAX_PREDICATES) throw badInput(field, `${field} may hold at most ${MAX_PREDICATES} predicates`);
  return list ?? [];
}

/** The validated search; throws BAD_USER_INPUT with the offending field. */
export function checkRunFilter(filter: QueryRunsArgs['filter']): RunSearch {
  const params = checkCount('filter.params', filter.params).map((p, i) => {
    const at = `filter.params[${i}]`;
    const hasEq = Object.hasOwn(p, 'eq') && p.eq !== undefined;
    const hasIn = p.in !== null && p.in !== undefined;
    if (hasEq === hasIn) throw badInput(at, `${at} needs exactly one of eq or in`);
    const values = hasEq ? [p.eq] : p.in!;
    if (values.length === 0 || values.length > MAX_IN_VALUES) throw badInput(`${at}.in`, `${at}.in must hold 1 to ${MAX_IN_VALUES} values`);
    return { property: PARAM_PREFIX + checkParamKey(`${at}.key`, p.key), values: values.map((v) => canonicalJson(v ?? null)) };
  });
  const metrics = checkCount('filter.metrics', filter.metrics).map((m, i) => {
    const at = `filter.metrics[${i}]`;
    const bounds = { gt: m.gt ?? null, gte: m.gte ?? null, lt: m.lt ?? null, lte: m.lte ?? null };
    if (Object.values(bounds).every((b) => b === null)) throw badInput(at, `${at} needs at least one of gt, gte, lt, lte`);
    return { key: checkName(`${at}.key`, m.key), ...bounds };
  });
  return {
    projectId: checkName('filter.project', filter.project),
    experimentId: filter.experiment === null || filter.experiment === undefined ? null : checkName('filter.experiment', filter.experiment),
    types: filter.types ?? null,
    statuses: filter.statuses ?? null,
    params,
    metrics,
    usedId: filter.used === null || filter.used === undefined ? null : checkName('filter.used', filter.used),
    startedAfter: instant('filter.startedAfter', filter.startedAfter),
    startedBefore: instant('filter.startedBefore', filter.startedBefore),
  };
}

export async function searchRuns(ctx: ServiceDeps, args: QueryRunsArgs): Promise<Page> {
  const search = checkRunFilter(args.filter);
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 0 || first > MAX_RUNS_PAGE) throw badInput('first', `first must be between 0 and ${MAX_RUNS_PAGE}`);
  const metric = args.orderBy?.metric === null || args.orderBy?.metric === undefined ? null : checkName('orderBy.metric', args.orderBy.metric);
  const descending = (args.orderBy?.direction ?? 'DESC') === 'DESC';
  const order = orderKey(metric, descending);
  const cursor = args.after === null || args.after === undefined ? null : decodeCursor(args.after, order);
  if (!canRead(ctx.viewer, search.projectId)) return { nodes: [], pageInfo: { hasNextPage: false, endCursor: null } };

  const limit = first + 1;
  const hits = await ctx.executor.read('runs.search', async (tx) => {
    const byMetric =
      metric !== null && (cursor === null || 'm' in cursor)
        ? await runsByMetric(tx, search, { metric, descending, after: cursor && 'm' in cursor ? { last: cursor.m[0], id: cursor.m[1] } : null, limit })
        : [];
    if (byMetric.length >= limit) return byMetric;
    const after = cursor && 't' in cursor ? { startedAt: cursor.t[0], id: cursor.t[1] } : null;
    return [...byMetric, ...(await runsByStart(tx, search, { after, limit: limit - byMetric.length, withoutMetric: metric }))];
  });
  const nodes = hits.slice(0, first);
  const last = nodes[nodes.length - 1];
  return { nodes: nodes.map((h) => h.run), pageInfo: { hasNextPage: hits.length > first, endCursor: last ? encodeCursor(order, last) : null } };
}
