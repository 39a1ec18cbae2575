import type { Display, DisplayNode } from '../graph/display.ts';
import type { GraphActions } from './GraphView.tsx';
import { KIND_LABEL, formatInstant } from './kinds.ts';

const GROUPS: { side: DisplayNode['side']; title: string }[] = [
  { side: 'focus', title: 'Focus' },
  { side: 'up', title: 'Upstream (what it was derived from)' },
  { side: 'down', title: 'Downstream (what was derived from it)' },
];

/** The same neighbourhood as a table per direction, for screen readers and keyboard users. */
export function ListView({ display, actions }: { display: Display; actions: GraphActions }) {
  return (
    <div className="list-view">
      {GROUPS.map(({ side, title }) => {
        const nodes = display.nodes.filter((node) => node.side === side).sort((a, b) => a.depth - b.depth || a.displayName.localeCompare(b.displayName));
        const more = display.more.filter((m) => side !== 'focus' && m.direction === side);
        if (nodes.length === 0 && more.length === 0) return null;
        return (
          <section key={side} aria-label={title}>
            <h2>{title}</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Hops</th>
                  <th scope="col">Created</th>
                  <th scope="col">Marks</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {nodes.map((node) => (
                  <tr key={node.id} className={node.selected ? 'selected' : undefined}>
                    <th scope="row">
                      <button type="button" className="link" onClick={() => actions.select(node.id)}>
                        {node.displayName}
                      </button>
                    </th>
                    <td>{KIND_LABEL[node.kind]}</td>
                    <td>{node.depth}</td>
                    <td>{formatInstant(node.createdAt)}</td>
                    <td>{[node.isFocus && 'focus', node.onPath && 'on path', node.isNew && 'new', !node.existed && 'not yet created', node.quarantine === 'quarantined' && 'quarantined', node.quarantine === 'downstream' && 'downstream of a quarantine'].filter(Boolean).join(', ')}</td>
                    <td className="actions">
                      {!node.isFocus && (
                        <button type="button" onClick={() => actions.open(node.id)}>
                          Open
                        </button>
                      )}
                      <button type="button" aria-pressed={node.expandedUp} onClick={() => actions.expand(node.id, 'up')}>
                        {node.expandedUp ? 'Collapse' : 'Expand'} upstream<span className="sr-only"> of {node.displayName}</span>
                      </button>
                      <button type="button" aria-pressed={node.expandedDown} onClick={() => actions.expand(node.id, 'down')}>
                        {node.expandedDown ? 'Collapse' : 'Expand'} downstream<span className="sr-only"> of {node.displayName}</span>
                      </button>
                    </td>
                  </tr>
                ))}
                {more.map((m) => (
                  <tr key={m.id}>
                    <td colSpan={6}>
                      <button type="button" onClick={() => actions.more(m.id)}>
                        {m.hidden} more from {m.anchorName}…
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        );
      })}
    </div>
  );
}
