/**
 * Everything that defines a view lives in the query string of `/`, so a link reproduces it and
 * back/forward step through views:
 *   project, node (the focus), depth (1..10), kinds (comma-separated NodeKinds), asOf (RFC 3339),
 *   up / down (nodes expanded upstream / downstream), page (nodes per fan-out before "N more"),
 *   more (anchors whose fan-out was paged further, as dir:id:limit), path (from,to), list (1).
 */
import { NODE_KINDS, type NodeKind } from './api/queries.ts';

export type Direction = 'up' | 'down';

export interface ViewState {
  project: string | null;
  node: string | null;
  depth: number;
  kinds: NodeKind[];
  asOf: string | null;
  up: string[];
  down: string[];
  page: number;
  /** `${direction}:${anchor}` -> node limit, for fan-outs paged past `page`. */
  more: Record<string, number>;
  path: [string, string] | null;
  list: boolean;
}

export const MAX_DEPTH = 10;
export const DEFAULT_PAGE = 25;

export const EMPTY_VIEW: ViewState = { project: null, node: null, depth: 1, kinds: [], asOf: null, up: [], down: [], page: DEFAULT_PAGE, more: {}, path: null, list: false };

function clampInt(value: string | null, fallback: number, min: number, max: number): number {
  const n = value === null ? Number.NaN : Number.parseInt(value, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

function list(value: string | null): string[] {
  return value ? value.split(',').filter((part) => part.length > 0) : [];
}

export function parseView(search: string): ViewState {
  const params = new URLSearchParams(search);
  const asOf = params.get('asOf');
  const path = list(params.get('path'));
  const more: Record<string, number> = {};
  for (const entry of list(params.get('more'))) {
    const match = /^(up|down):(.+):(\d+)$/.exec(entry);
    if (match) more[`${match[1]}:${match[2]}`] = Number(match[3]);
  }
  return {
    project: params.get('project'),
    node: params.get('node'),
    depth: clampInt(params.get('depth'), 1, 1, MAX_DEPTH),
    kinds: list(params.get('kinds')).filter((kind): kind is NodeKind => (NODE_KINDS as readonly string[]).includes(kind)),
    asOf: asOf && !Number.isNaN(Date.parse(asOf)) ? new Date(asOf).toISOString() : null,
    up: list(params.get('up')),
    down: list(params.get('down')),
    page: clampInt(params.get('page'), DEFAULT_PAGE, 1, 1000),
    more,
    path: path.length === 2 ? [path[0]!, path[1]!] : null,
    list: params.get('list') === '1',
  };
}

export function formatView(view: ViewState): string {
  const params = new URLSearchParams();
  if (view.project) params.set('project', view.project);
  if (view.node) params.set('node', view.node);
  if (view.depth !== 1) params.set('depth', String(view.depth));
  if (view.kinds.length > 0) params.set('kinds', view.kinds.join(','));
  if (view.asOf) params.set('asOf', view.asOf);
  if (view.up.length > 0) params.set('up', view.up.join(','));
  if (view.down.length > 0) params.set('down', view.down.join(','));
  if (view.page !== DEFAULT_PAGE) params.set('page', String(view.page));
  const more = Object.entries(view.more).map(([key, limit]) => `${key}:${limit}`);
  if (more.length > 0) params.set('more', more.join(','));
  if (view.path) params.set('path', view.path.join(','));
  if (view.list) params.set('list', '1');
  const query = params.toString().replaceAll('%2C', ',').replaceAll('%3A', ':');
  return query ? `?${query}` : window.location.pathname;
}
