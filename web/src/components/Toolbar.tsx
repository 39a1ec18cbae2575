import { NODE_KINDS, type NodeKind } from '../api/queries.ts';
import { MAX_DEPTH, type ViewState } from '../view-state.ts';
import { KIND_LABEL } from './kinds.ts';

export type LiveStatus = 'connecting' | 'live' | 'offline';

interface Props {
  view: ViewState;
  projects: { id: string; name: string }[];
  live: LiveStatus;
  pathPick: 'off' | 'first' | 'second';
  search: React.ReactNode;
  onChange(patch: Partial<ViewState>): void;
  onProject(id: string): void;
  onPathPick(): void;
  onSignOut(): void;
}

/** datetime-local values are read and shown as UTC, like every instant the API returns. */
function toInput(iso: string | null): string {
  return iso ? iso.slice(0, 19) : '';
}

function fromInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(`${value.length === 16 ? `${value}:00` : value}Z`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function Toolbar({ view, projects, live, pathPick, search, onChange, onProject, onPathPick, onSignOut }: Props) {
  const toggleKind = (kind: NodeKind) => onChange({ kinds: view.kinds.includes(kind) ? view.kinds.filter((k) => k !== kind) : [...view.kinds, kind] });
  return (
    <header className="toolbar">
      <span className="brand">Pedigree</span>
      <label>
        <span className="sr-only">Project</span>
        <select aria-label="Project" value={view.project ?? ''} onChange={(e) => onProject(e.target.value)}>
          {!view.project && <option value="">Choose a project</option>}
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      {search}
      <label>
        Depth{' '}
        <select aria-label="Depth" value={view.depth} onChange={(e) => onChange({ depth: Number(e.target.value) })}>
          {Array.from({ length: MAX_DEPTH }, (_, i) => i + 1).map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
      </label>
      <details className="kinds">
        <summary>Kinds{view.kinds.length > 0 ? ` (${view.kinds.length})` : ': all'}</summary>
        <fieldset>
          <legend className="sr-only">Show only these kinds</legend>
          {NODE_KINDS.map((kind) => (
            <label key={kind}>
              <input type="checkbox" checked={view.kinds.includes(kind)} onChange={() => toggleKind(kind)} /> {KIND_LABEL[kind]}
            </label>
          ))}
          {view.kinds.length > 0 && (
            <button type="button" onClick={() => onChange({ kinds: [] })}>
              All kinds
            </button>
          )}
        </fieldset>
      </details>
      <label className={view.asOf ? 'as-of set' : 'as-of'}>
        As of{' '}
        <input type="datetime-local" step="1" aria-label="As of (UTC)" value={toInput(view.asOf)} onChange={(e) => onChange({ asOf: fromInput(e.target.value) })} />
      </label>
      {view.asOf && (
        <button type="button" onClick={() => onChange({ asOf: null })}>
          Now
        </button>
      )}
      <button type="button" aria-pressed={pathPick !== 'off'} onClick={onPathPick}>
        {pathPick === 'off' ? 'Path…' : pathPick === 'first' ? 'Pick 1st node' : 'Pick 2nd node'}
      </button>
      {view.path && (
        <button type="button" onClick={() => onChange({ path: null })}>
          Clear path
        </button>
      )}
      <button type="button" aria-pressed={view.list} onClick={() => onChange({ list: !view.list })}>
        {view.list ? 'Graph view' : 'List view'}
      </button>
      <span className={`live live-${live}`} role="status" title="Live updates (versionEvents)">
        {!view.project ? '' : live === 'live' ? '● live' : live === 'connecting' ? '○ connecting' : '○ offline'}
      </span>
      <button type="button" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}
