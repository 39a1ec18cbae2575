/**
 * The neighbourhood drawn with React Flow at ELK's positions. Nodes are buttons a keyboard can
 * reach: Tab moves between them, arrows move along lineage (left: upstream, right: downstream,
 * up/down: the next node in the same column), Enter opens a node's neighbourhood, U and D
 * expand upstream and downstream.
 */
import { Background, Controls, Handle, MiniMap, Position, ReactFlow, ReactFlowProvider, useReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import { createContext, memo, useContext, useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import type { Display, DisplayNode } from '../graph/display.ts';
import { NODE_HEIGHT, NODE_WIDTH, type Positions } from '../graph/layout.ts';
import type { Direction } from '../view-state.ts';
import { KIND_LABEL, KIND_SHORT } from './kinds.ts';

export interface GraphActions {
  select(id: string): void;
  open(id: string): void;
  expand(id: string, direction: Direction): void;
  more(id: string): void;
}

/** From this many nodes on, only what is in view is rendered. */
const LARGE = 200;

const Actions = createContext<GraphActions | null>(null);

type LineageData = { node: DisplayNode };
type MoreData = { hidden: number; direction: Direction; anchorName: string };

const LineageNodeView = memo(function LineageNodeView({ data }: NodeProps<Node<LineageData>>) {
  const actions = useContext(Actions)!;
  const { node } = data;
  const classes = ['lineage-node', `kind-${node.kind}`, node.isFocus && 'focus', node.onPath && 'on-path', node.isNew && 'new', node.selected && 'selected', !node.existed && 'not-yet', node.quarantine && `quarantine-${node.quarantine}`].filter(Boolean).join(' ');
  return (
    <div className={classes} data-id={node.id} data-testid={`node-${node.id}`} data-quarantine={node.quarantine ?? undefined}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <button
        type="button"
        className="expand up"
        aria-pressed={node.expandedUp}
        aria-label={`${node.expandedUp ? 'Collapse' : 'Expand'} upstream of ${node.displayName}`}
        title="Expand upstream (U)"
        onClick={(e) => {
          e.stopPropagation();
          actions.expand(node.id, 'up');
        }}
      >
        ‹
      </button>
      <div className="body">
        <span className={`badge kind-${node.kind}`}>{KIND_SHORT[node.kind]}</span>
        {node.isNew && <span className="new-mark">NEW</span>}
        {node.quarantine && (
          <span className="quarantine-mark" title={node.quarantine === 'quarantined' ? 'Quarantined' : 'Downstream of a quarantined node'}>
            {node.quarantine === 'quarantined' ? 'QUARANTINED' : 'TAINTED'}
          </span>
        )}
        <span className="name" title={node.displayName}>
          {node.displayName}
        </span>
      </div>
      <button
        type="button"
        className="expand down"
        aria-pressed={node.expandedDown}
        aria-label={`${node.expandedDown ? 'Collapse' : 'Expand'} downstream of ${node.displayName}`}
        title="Expand downstream (D)"
        onClick={(e) => {
          e.stopPropagation();
          actions.expand(node.id, 'down');
        }}
      >
        ›
      </button>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const MoreNodeView = memo(function MoreNodeView({ id, data }: NodeProps<Node<MoreData>>) {
  const actions = useContext(Actions)!;
  return (
    <div className="more-node">
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <button type="button" onClick={() => actions.more(id)} aria-label={`Show more of the ${data.hidden} further ${data.direction === 'up' ? 'upstream' : 'downstream'} nodes of ${data.anchorName}`}>
        {data.hidden} more…
      </button>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const NODE_TYPES = { lineage: LineageNodeView, more: MoreNodeView };

interface Props {
  display: Display;
  positions: Positions;
  actions: GraphActions;
}

export function GraphView(props: Props) {
  return (
    <ReactFlowProvider>
      <Graph {...props} />
    </ReactFlowProvider>
  );
}

function Graph({ display, positions, actions }: Props) {
  const flow = useReactFlow();
  const nodes = useMemo<Node[]>(
    () =>
      [
        ...display.nodes.map((node) => ({
          id: node.id,
          type: 'lineage',
          position: positions.get(node.id) ?? { x: 0, y: 0 },
          data: { node },
          // Known sizes: React Flow need not render every node once to measure it, so a large
          // drawing renders only the nodes in view from the first frame. `measured` too: a node
          // object without it makes React Flow drop the node's handle positions and measure it
          // again, and until a resize observation arrives (a rendered frame later, or never when
          // the size did not change and frames are throttled) the node's edges are not drawn.
          width: NODE_WIDTH,
          height: NODE_HEIGHT,
          measured: { width: NODE_WIDTH, height: NODE_HEIGHT },
          ariaLabel: `${KIND_LABEL[node.kind]} ${node.displayName}${node.isFocus ? ', focus' : ''}${node.onPath ? ', on the highlighted path' : ''}${node.isNew ? ', new' : ''}${node.quarantine === 'quarantined' ? ', quarantined' : node.quarantine === 'downstream' ? ', downstream of a quarantined node' : ''}`,
          selected: node.selected,
        })),
        ...display.more.map((more) => ({
          id: more.id,
          type: 'more',
          position: positions.get(more.id) ?? { x: 0, y: 0 },
          data: { hidden: more.hidden, direction: more.direction, anchorName: more.anchorName },
          width: 160,
          height: 40,
          measured: { width: 160, height: 40 },
        })),
      ] satisfies Node[],
    [display, positions],
  );
  const edges = useMemo<Edge[]>(
    () =>
      display.edges.map((edge) => ({
        id: edge.id,
        source: edge.source,
        target: edge.target,
        // Labels of a large drawing are noise at any zoom that shows many edges.
        label: display.edges.length > LARGE ? undefined : edge.label,
        className: [edge.onPath && 'on-path', edge.indirect && 'indirect'].filter(Boolean).join(' '),
        animated: edge.onPath,
        focusable: false,
      })),
    [display],
  );

  const wrapper = useRef<HTMLDivElement>(null);
  // A new drawing is fitted once its positions exist; the next frame is when it is on screen,
  // marked for measurements (bench/explorer.ts) as `explorer:drawn` and data-drawn = node count.
  useEffect(() => {
    if (positions.size === 0) return;
    // A large neighbourhood opens at a readable zoom on its focus (the minimap shows the whole):
    // fitting a thousand nodes would draw them all, too small to read.
    const focus = display.nodes.find((node) => node.isFocus);
    const at = focus && positions.get(focus.id);
    if (positions.size > LARGE && at) void flow.setCenter(at.x + NODE_WIDTH / 2, at.y + NODE_HEIGHT / 2, { zoom: 0.8, duration: 0 });
    else void flow.fitView({ padding: 0.15, maxZoom: 1.2, duration: 0 });
    const frame = requestAnimationFrame(() => {
      performance.mark('explorer:drawn');
      if (wrapper.current) wrapper.current.dataset['drawn'] = String(positions.size);
    });
    return () => cancelAnimationFrame(frame);
    // Only a new drawing moves the viewport, not a new selection or mark.
  }, [flow, positions]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const current = display.nodes.find((node) => node.selected) ?? display.nodes.find((node) => node.isFocus);
    if (!current) return;
    let next: string | undefined;
    switch (event.key) {
      case 'ArrowLeft':
        next = display.edges.find((edge) => edge.target === current.id && !edge.source.startsWith('more:'))?.source;
        break;
      case 'ArrowRight':
        next = display.edges.find((edge) => edge.source === current.id && !edge.target.startsWith('more:'))?.target;
        break;
      case 'ArrowUp':
      case 'ArrowDown': {
        const here = positions.get(current.id);
        if (!here) return;
        const column = display.nodes
          .filter((node) => Math.abs((positions.get(node.id)?.x ?? Number.NaN) - here.x) < 1)
          .sort((a, b) => positions.get(a.id)!.y - positions.get(b.id)!.y);
        const index = column.findIndex((node) => node.id === current.id);
        next = column[index + (event.key === 'ArrowUp' ? -1 : 1)]?.id;
        break;
      }
      case 'Enter':
        if (!current.isFocus) actions.open(current.id);
        event.preventDefault();
        return;
      case 'u':
      case 'U':
        actions.expand(current.id, 'up');
        return;
      case 'd':
      case 'D':
        actions.expand(current.id, 'down');
        return;
      default:
        return;
    }
    event.preventDefault();
    if (next) {
      actions.select(next);
      const position = positions.get(next);
      if (position) void flow.setCenter(position.x + 100, position.y + 29, { zoom: Math.max(flow.getZoom(), 0.8), duration: 0 });
      requestAnimationFrame(() => document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(next)}"]`)?.focus());
    }
  };

  return (
    <Actions.Provider value={actions}>
      <div className="graph" ref={wrapper} onKeyDown={onKeyDown} aria-label="Lineage graph: arrows move along lineage, Enter opens, U and D expand" role="application">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={NODE_TYPES}
          onNodeClick={(_event, node) => (node.type === 'lineage' ? actions.select(node.id) : undefined)}
          onNodeDoubleClick={(_event, node) => (node.type === 'lineage' ? actions.open(node.id) : undefined)}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable
          onlyRenderVisibleElements={nodes.length > LARGE}
          minZoom={0.05}
          maxZoom={2}
        >
          <Background gap={24} size={1} />
          <Controls showInteractive={false} />
          {nodes.length > 40 && <MiniMap pannable zoomable />}
        </ReactFlow>
      </div>
    </Actions.Provider>
  );
}
