/**
 * Expected answer sizes, computed from a shape's description alone (breadth first in
 * memory), so the harness can flag a contender that answers a different question.
 */
import type { TraversalQuestion } from '../peers/types.ts';
import { batchEdges, type Shape } from './shapes.ts';

/** How many nodes are within `depth` hops of the root in the direction asked, capped by `limit`. */
export function expectedReach(shape: Shape, question: TraversalQuestion): number {
  const next = new Map<string, string[]>();
  for (const batch of shape.batches()) {
    for (const edge of batchEdges(batch)) {
      const [from, to] = question.direction === 'UPSTREAM' ? [edge.from, edge.to] : [edge.to, edge.from];
      const list = next.get(from);
      if (list) list.push(to);
      else next.set(from, [to]);
    }
  }
  const seen = new Set([question.root]);
  let frontier = [question.root];
  for (let depth = 0; depth < question.depth && frontier.length > 0; depth++) {
    const following: string[] = [];
    for (const key of frontier) {
      for (const neighbour of next.get(key) ?? []) {
        if (seen.has(neighbour)) continue;
        seen.add(neighbour);
        following.push(neighbour);
      }
    }
    frontier = following;
  }
  const reached = seen.size - 1;
  return question.limit === null ? reached : Math.min(reached, question.limit);
}
