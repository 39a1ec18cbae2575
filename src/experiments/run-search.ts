/**
 * `runs(filter, orderBy, first, after)`: validation, keyset cursors (src/domain/connection.ts),
 * and the two phases of a metric order (runs with the metric by its latest value, then runs
 * without it, newest first). A project the viewer cannot read gives an empty page, exactly like
 * a project with no runs, so its existence does not leak (as `cachedRun` answers null).
 */
import { canRead } from '../auth/authorize.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { checkFirst, connection, decodeCursor, encodeCursor, type PageInfo } from '../domain/connection.ts';
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

interface Page {
  readonly nodes: RunRow[];
  readonly pageInfo: PageInfo;
}

function orderKey(metric: string | null, descending: boolean): string | null {
  return metric === null ? null : `${descending ? 'DESC' : 'ASC'}:${metric}`;
}

/** Cursors are tagged with the order: a cursor of one order is refused by another. */
const cursorTag = (order: string | null) => (order === null ? 'runs' : `runs:${order}`);

/**
 * Where the previous page ended, and in which phase: a number is the latest value of the
 * metric phase, a string the start (a Neo4j instant) of the newest-first phase.
 */
function decodeRunCursor(after: string | null | undefined, order: string | null): [number | string, string] | null {
  return decodeCursor(after, cursorTag(order), ['scalar', 'string'], ([at]) => (typeof at === 'number' ? order !== null : INSTANT.test(at)));
}

function encodeRunCursor(order: string | null, hit: RunHit): string {
  return encodeCursor(cursorTag(order), [hit.last ?? hit.startedAt, hit.run.id]);
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
  const first = checkFirst(args.first ?? 50, MAX_RUNS_PAGE);
  const metric = args.orderBy?.metric === null || args.orderBy?.metric === undefined ? null : checkName('orderBy.metric', args.orderBy.metric);
  const descending = (args.orderBy?.direction ?? 'DESC') === 'DESC';
  const order = orderKey(metric, descending);
  const cursor = decodeRunCursor(args.after, order);
  if (!canRead(ctx.viewer, search.projectId)) return { nodes: [], pageInfo: { hasNextPage: false, endCursor: null } };

  const limit = first + 1;
  const hits = await ctx.executor.read('runs.search', async (tx) => {
    const byMetric =
      metric !== null && (cursor === null || typeof cursor[0] === 'number')
        ? await runsByMetric(tx, search, { metric, descending, after: cursor && { last: cursor[0] as number, id: cursor[1] }, limit })
        : [];
    if (byMetric.length >= limit) return byMetric;
    const after = cursor && typeof cursor[0] === 'string' ? { startedAt: cursor[0], id: cursor[1] } : null;
    return [...byMetric, ...(await runsByStart(tx, search, { after, limit: limit - byMetric.length, withoutMetric: metric }))];
  });
  const page = connection(hits, first, (hit) => encodeRunCursor(order, hit));
  return { nodes: page.nodes.map((hit) => hit.run), pageInfo: page.pageInfo };
}
