/**
 * Layered (Sugiyama) layout with dagre: sources on the left, derived things on the right, so
 * the drawn arrows follow the data (dataset -> run -> model -> deployment), the reverse of the
 * stored PROV edges. dagre rather than ELK: ELK's compiled worker alone is 475 KB gzipped, over
 * the page's whole JavaScript budget, while dagre is 17 KB.
 *
 * dagre's crossing minimisation is quadratic in a layer's width, so a drawing of more than
 * LARGE_LAYOUT nodes (a big fan-out, where there is little to uncross) gets plain columns
 * instead: each node one column right of what it was derived from, in the order the API
 * returned them (nearest first), in time linear in the drawing.
 */
import { Graph, layout as dagreLayout } from '@dagrejs/dagre';

export const NODE_WIDTH = 210;
export const NODE_HEIGHT = 58;

export interface LayoutInput {
  nodes: string[];
  /** Drawn direction: source (left) -> target (right). */
  edges: { id: string; source: string; target: string }[];
}

/** Top-left corner of each node. */
export type Positions = Map<string, { x: number; y: number }>;

export const LARGE_LAYOUT = 300;
const COLUMN = NODE_WIDTH + 120;
const ROW = NODE_HEIGHT + 16;

/** Measured as `explorer:layout` (bench/explorer.ts reads it). */
export function layout(input: LayoutInput, root?: string): Positions {
  const started = performance.now();
  const positions = input.nodes.length > LARGE_LAYOUT ? columns(input, root ?? input.nodes[0]) : layered(input);
  performance.measure('explorer:layout', { start: started });
  return positions;
}

/** Columns by signed distance from the root along drawn edges (breadth first), stacked and centred. */
function columns(input: LayoutInput, root: string | undefined): Positions {
  const next = new Map<string, { id: string; step: number }[]>();
  const link = (a: string, b: string, step: number) => {
    const list = next.get(a);
    if (list) list.push({ id: b, step });
    else next.set(a, [{ id: b, step }]);
  };
  for (const edge of input.edges) {
    link(edge.source, edge.target, 1);
    link(edge.target, edge.source, -1);
  }
  const column = new Map<string, number>();
  const queue: string[] = [];
  for (const start of [root, ...input.nodes]) {
    if (start === undefined || column.has(start)) continue;
    column.set(start, 0);
    queue.push(start);
    for (let i = queue.length - 1; i < queue.length; i++) {
      const id = queue[i]!;
      for (const { id: other, step } of next.get(id) ?? []) {
        if (column.has(other)) continue;
        column.set(other, column.get(id)! + step);
        queue.push(other);
      }
    }
  }
  const stacks = new Map<number, string[]>();
  for (const id of input.nodes) {
    const c = column.get(id) ?? 0;
    const stack = stacks.get(c);
    if (stack) stack.push(id);
    else stacks.set(c, [id]);
  }
  const positions: Positions = new Map();
  for (const [c, stack] of stacks) {
    const top = -((stack.length - 1) * ROW) / 2;
    stack.forEach((id, i) => positions.set(id, { x: c * COLUMN, y: top + i * ROW }));
  }
  return positions;
}

function layered(input: LayoutInput): Positions {
  const graph = new Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 100, marginx: 10, marginy: 10 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const id of input.nodes) graph.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of input.edges) {
    if (graph.hasNode(edge.source) && graph.hasNode(edge.target)) graph.setEdge(edge.source, edge.target, {}, edge.id);
  }
  dagreLayout(graph);
  const positions: Positions = new Map();
  for (const id of input.nodes) {
    const node = graph.node(id);
    positions.set(id, { x: node.x - NODE_WIDTH / 2, y: node.y - NODE_HEIGHT / 2 });
  }
  return positions;
}
