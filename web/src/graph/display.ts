/**
 * What is drawn (and listed): the loaded neighbourhood plus the highlighted path, with the
 * per-node marks (focus, selected, on path, new, expanded). Drawn edges run from the source to
 * the derived node, left to right.
 */
import type { NodeSummary } from '../api/queries.ts';
import type { Direction, ViewState } from '../view-state.ts';
import type { GraphNode, Neighbourhood } from './neighbourhood.ts';

export interface DisplayNode extends GraphNode {
  isFocus: boolean;
  selected: boolean;
  onPath: boolean;
  isNew: boolean;
  expandedUp: boolean;
  expandedDown: boolean;
  /** False for the focus when as-of lies before it was created. */
  existed: boolean;
  /** 'quarantined': the node itself is; 'downstream': derived from a quarantined node. */
  quarantine: QuarantineMark | null;
}

export type QuarantineMark = 'quarantined' | 'downstream';

/** The active quarantines as the page knows them: the quarantined nodes, and what is downstream of any. */
export interface QuarantineMarks {
  quarantined: ReadonlySet<string>;
  downstream: ReadonlySet<string>;
}

export const NO_QUARANTINES: QuarantineMarks = { quarantined: new Set(), downstream: new Set() };

export interface DisplayEdge {
  id: string;
  source: string;
  target: string;
  label: string;
  onPath: boolean;
  indirect: boolean;
}

export interface DisplayMore {
  id: string;
  anchor: string;
  anchorName: string;
  direction: Direction;
  hidden: number;
  nextLimit: number;
}

export interface Display {
  nodes: DisplayNode[];
  edges: DisplayEdge[];
  more: DisplayMore[];
  /** Identifies the drawn shape: a new layout is needed only when it changes. */
  shape: string;
}

export function buildDisplay(hood: Neighbourhood, view: ViewState, path: NodeSummary[] | null, selected: string | null, newIds: ReadonlySet<string>, quarantines: QuarantineMarks = NO_QUARANTINES): Display {
  const onPath = new Set(path?.map((node) => node.id) ?? []);
  const pathPairs = new Set<string>();
  path?.forEach((node, i) => {
    const next = path[i + 1];
    if (next) pathPairs.add(`${node.id}|${next.id}`).add(`${next.id}|${node.id}`);
  });
  const nodes = new Map(hood.nodes);
  for (const node of path ?? []) if (!nodes.has(node.id)) nodes.set(node.id, { ...node, side: 'up', depth: 0 });

  const displayNodes: DisplayNode[] = [...nodes.values()].map((node) => ({
    ...node,
    isFocus: node.id === hood.focus.id,
    selected: node.id === selected,
    onPath: onPath.has(node.id),
    isNew: newIds.has(node.id),
    expandedUp: view.up.includes(node.id),
    expandedDown: view.down.includes(node.id),
    existed: node.id !== hood.focus.id || hood.focusExisted,
    quarantine: quarantines.quarantined.has(node.id) ? 'quarantined' : quarantines.downstream.has(node.id) ? 'downstream' : null,
  }));

  const edges: DisplayEdge[] = hood.edges.map((edge) => ({
    id: `${edge.from}|${edge.to}|${edge.kind}`,
    source: edge.to,
    target: edge.from,
    label: edge.role ? `${edge.kind.toLowerCase().replace('_', ' ')} · ${edge.role}` : edge.kind.toLowerCase().replace('_', ' '),
    onPath: pathPairs.has(`${edge.from}|${edge.to}`),
    indirect: false,
  }));
  for (const edge of hood.indirect) {
    edges.push({ id: `indirect|${edge.from}|${edge.to}`, source: edge.to, target: edge.from, label: `${edge.hops} hops`, onPath: false, indirect: true });
  }
  // Path steps whose edge is not loaded (the path left the neighbourhood) are drawn too.
  const drawn = new Set(edges.map((edge) => `${edge.target}|${edge.source}`));
  path?.forEach((node, i) => {
    const next = path[i + 1];
    if (next && !drawn.has(`${node.id}|${next.id}`) && !drawn.has(`${next.id}|${node.id}`)) {
      edges.push({ id: `path|${node.id}|${next.id}`, source: next.id, target: node.id, label: 'path', onPath: true, indirect: true });
    }
  });

  const more: DisplayMore[] = hood.more.map((m) => ({ ...m, anchorName: nodes.get(m.anchor)?.displayName ?? m.anchor }));
  for (const m of more) {
    edges.push(m.direction === 'up' ? { id: `${m.id}|edge`, source: m.id, target: m.anchor, label: '', onPath: false, indirect: true } : { id: `${m.id}|edge`, source: m.anchor, target: m.id, label: '', onPath: false, indirect: true });
  }

  const shape = [...displayNodes.map((n) => n.id), '#', ...more.map((m) => `${m.id}:${m.hidden}`), '#', ...edges.map((e) => e.id)].join(',');
  return { nodes: displayNodes, edges, more, shape };
}
