/**
 * Loads what a view shows: the focus node's upstream and downstream up to the chosen depth, plus
 * one hop in the chosen direction of every expanded node, each as of the chosen instant and
 * filtered by kind, merged into one graph. A traversal cut by its limit leaves an "N more" node
 * on its anchor (reachableCount says how many the database reached); opening it raises that
 * anchor's limit by a page.
 */
import { request } from '../api/client.ts';
import { NEIGHBOURHOOD, type LineageEdge, type LineageGraph, type NeighbourhoodData, type NodeSummary } from '../api/queries.ts';
import type { Direction, ViewState } from '../view-state.ts';

export type Side = 'focus' | Direction;

export interface GraphNode extends NodeSummary {
  /** Where the node was first reached from, for the list view's grouping. */
  side: Side;
  /** Edges from the focus (upstream and downstream hits); expansions count from their anchor. */
  depth: number;
}

export interface MoreNode {
  id: string;
  anchor: string;
  direction: Direction;
  hidden: number;
  /** The anchor's limit once this node is opened. */
  nextLimit: number;
}

/** A kinds filter leaves hits whose edges ran through filtered-out nodes: drawn dashed, with their distance. */
export interface IndirectEdge {
  from: string;
  to: string;
  hops: number;
}

export interface Neighbourhood {
  focus: GraphNode & { project: { id: string } };
  /** False when as-of lies before the focus node was created. */
  focusExisted: boolean;
  nodes: Map<string, GraphNode>;
  edges: LineageEdge[];
  indirect: IndirectEdge[];
  more: MoreNode[];
}

interface Fetch {
  anchor: string;
  up: boolean;
  down: boolean;
  depth: number;
}

export function limitOf(view: ViewState, direction: Direction, anchor: string): number {
  return view.more[`${direction}:${anchor}`] ?? view.page;
}

/** Rejects with an ApiError; resolves null when the focus node is not visible to the token. */
export async function loadNeighbourhood(token: string, view: ViewState, signal?: AbortSignal): Promise<Neighbourhood | null> {
  if (!view.node) return null;
  const fetches: Fetch[] = [
    { anchor: view.node, up: true, down: true, depth: view.depth },
    ...view.up.map((anchor) => ({ anchor, up: true, down: false, depth: 1 })),
    ...view.down.map((anchor) => ({ anchor, up: false, down: true, depth: 1 })),
  ];
  const answers = await Promise.all(
    fetches.map((f) =>
      request<NeighbourhoodData>(
        token,
        NEIGHBOURHOOD,
        {
          id: f.anchor,
          depth: f.depth,
          kinds: view.kinds.length > 0 ? view.kinds : null,
          asOf: view.asOf,
          limitUp: limitOf(view, 'up', f.anchor),
          limitDown: limitOf(view, 'down', f.anchor),
          up: f.up,
          down: f.down,
        },
        signal,
      ),
    ),
  );
  const root = answers[0]?.node;
  if (!root) return null;
  const focusExisted = view.asOf === null || Date.parse(root.createdAt) <= Date.parse(view.asOf);
  const focus = { id: root.id, kind: root.kind, displayName: root.displayName, createdAt: root.createdAt, project: root.project, side: 'focus' as const, depth: 0 };
  const hood: Neighbourhood = { focus, focusExisted, nodes: new Map([[focus.id, focus]]), edges: [], indirect: [], more: [] };
  const edgeKeys = new Set<string>();

  // Expansions are merged in the order they were made, each only if its anchor is on the graph
  // by then (an anchor can vanish when as-of or the kinds filter change).
  answers.forEach((answer, index) => {
    const f = fetches[index]!;
    const node = answer.node;
    if (!node || !hood.nodes.has(f.anchor)) return;
    const baseDepth = index === 0 ? 0 : hood.nodes.get(f.anchor)!.depth;
    if (f.up && node.upstream) merge(hood, edgeKeys, f.anchor, 'up', node.upstream, baseDepth, limitOf(view, 'up', f.anchor), view.page);
    if (f.down && node.downstream) merge(hood, edgeKeys, f.anchor, 'down', node.downstream, baseDepth, limitOf(view, 'down', f.anchor), view.page);
  });
  return hood;
}

function merge(hood: Neighbourhood, edgeKeys: Set<string>, anchor: string, direction: Direction, graph: LineageGraph, baseDepth: number, limit: number, page: number): void {
  for (const hit of graph.nodes) {
    if (!hood.nodes.has(hit.node.id)) hood.nodes.set(hit.node.id, { ...hit.node, side: direction, depth: baseDepth + hit.depth });
  }
  for (const edge of graph.edges) {
    const key = `${edge.from}|${edge.to}|${edge.kind}`;
    if (edgeKeys.has(key)) continue;
    edgeKeys.add(key);
    hood.edges.push(edge);
  }
  // Hits not connected to the anchor through returned edges (the kinds filter hid the nodes in between).
  const reached = new Set([anchor]);
  const neighbours = new Map<string, string[]>();
  for (const { from, to } of graph.edges) {
    neighbours.set(from, [...(neighbours.get(from) ?? []), to]);
    neighbours.set(to, [...(neighbours.get(to) ?? []), from]);
  }
  const queue = [anchor];
  while (queue.length > 0) {
    for (const next of neighbours.get(queue.pop()!) ?? []) {
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  for (const hit of graph.nodes) {
    if (reached.has(hit.node.id)) continue;
    hood.indirect.push(direction === 'up' ? { from: anchor, to: hit.node.id, hops: hit.depth } : { from: hit.node.id, to: anchor, hops: hit.depth });
  }
  const hidden = graph.reachableCount - graph.nodes.length;
  if (hidden > 0) hood.more.push({ id: `more:${direction}:${anchor}`, anchor, direction, hidden, nextLimit: limit + page });
}
