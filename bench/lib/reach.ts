/**
 * What every contender's answer to a traversal question must count, worked out from the
 * shape's own description (not from any store): a breadth-first search over the shape's
 * edges, each node once at its minimum depth, the root excluded.
 */
import { batchEdges, type Shape } from './shapes.ts';
import type { TraversalQuestion } from '../peers/types.ts';

/** Adjacency of a shape in both directions: `up` follows edges (derived -> source), `down` reverses them. */
export interface ShapeGraph {
  readonly up: ReadonlyMap<string, readonly string[]>;
  readonly down: ReadonlyMap<string, readonly string[]>;
}

const graphs = new WeakMap<Shape, ShapeGraph>();

/** Builds (once per shape object) the adjacency of all edges, explicit and implied. */
export function shapeGraph(shape: Shape): ShapeGraph {
  const cached = graphs.get(shape);
  if (cached) return cached;
  const up = new Map<string, string[]>();
  const down = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, from: string, to: string) => {
    const list = map.get(from);
    if (list) list.push(to);
    else map.set(from, [to]);
  };
  for (const batch of shape.batches()) {
    for (const edge of batchEdges(batch)) {
      add(up, edge.from, edge.to);
      add(down, edge.to, edge.from);
    }
  }
  const graph = { up, down };
  graphs.set(shape, graph);
  return graph;
}

/** How many nodes the question reaches (at most `limit`), the root not counted. */
export function expectedReach(shape: Shape, question: TraversalQuestion): number {
  const { up, down } = shapeGraph(shape);
  const next = question.direction === 'UPSTREAM' ? up : down;
  const seen = new Set([question.root]);
  let frontier = [question.root];
  for (let depth = 1; depth <= question.depth && frontier.length > 0; depth++) {
    const reached: string[] = [];
    for (const key of frontier) {
      for (const neighbour of next.get(key) ?? []) {
        if (seen.has(neighbour)) continue;
        seen.add(neighbour);
        reached.push(neighbour);
      }
    }
    frontier = reached;
  }
  const count = seen.size - 1;
  return question.limit === null ? count : Math.min(count, question.limit);
}
