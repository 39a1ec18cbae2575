/**
 * Search by name or id across the project's datasets, runs and models and their versions. The
 * public API has no text search, so the page loads the project's catalogue (names and newest
 * versions) once and filters it as you type; an id of any kind is looked up with node(id).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, request } from '../api/client.ts';
import { CATALOG, NODE_BY_ID, type CatalogData, type NodeByIdData, type NodeSummary } from '../api/queries.ts';
import { KIND_SHORT } from './kinds.ts';

interface Hit {
  group: string;
  node: NodeSummary;
}

const ID_PREFIX = /^(dsv|run|ckp|mv|dep|art)_\S+$/;

export function Search({ token, project, onOpen, onError }: { token: string; project: string; onOpen(id: string): void; onError(error: ApiError): void }) {
  const [catalog, setCatalog] = useState<CatalogData | null>(null);
  const [text, setText] = useState('');
  const [byId, setById] = useState<NodeSummary | null>(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setCatalog(null);
    request<CatalogData>(token, CATALOG, { project }, abort.signal).then(setCatalog, (error: unknown) => {
      if (!abort.signal.aborted && error instanceof ApiError) onError(error);
    });
    return () => abort.abort();
  }, [token, project, onError]);

  useEffect(() => {
    const id = text.trim();
    setById(null);
    if (!ID_PREFIX.test(id)) return;
    const abort = new AbortController();
    request<NodeByIdData>(token, NODE_BY_ID, { id }, abort.signal).then(
      (data) => setById(data.node && data.node.project.id === project ? data.node : null),
      () => {},
    );
    return () => abort.abort();
  }, [token, project, text]);

  // "/" focuses the search from anywhere but a text field.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (event.key === '/' && !['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) {
        event.preventDefault();
        input.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const hits = useMemo<Hit[]>(() => {
    const q = text.trim().toLowerCase();
    if (!q) return [];
    const out: Hit[] = byId ? [{ group: 'id', node: byId }] : [];
    const matches = (...values: string[]) => values.some((value) => value.toLowerCase().includes(q));
    for (const model of catalog?.project?.models.nodes ?? []) {
      const all = matches(model.name, model.id);
      for (const version of model.versions.nodes) if (all || matches(version.displayName, version.id)) out.push({ group: `model ${model.name}`, node: version });
    }
    for (const dataset of catalog?.project?.datasets.nodes ?? []) {
      const all = matches(dataset.name, dataset.id);
      for (const version of dataset.versions.nodes) if (all || matches(version.displayName, version.id)) out.push({ group: `dataset ${dataset.name}`, node: version });
    }
    for (const run of catalog?.runs.nodes ?? []) if (matches(run.displayName, run.name, run.id)) out.push({ group: 'runs', node: run });
    return out.slice(0, 50);
  }, [text, catalog, byId]);

  const choose = (hit: Hit | undefined) => {
    if (!hit) return;
    onOpen(hit.node.id);
    setOpen(false);
    setText('');
  };

  return (
    <div className="search" role="search">
      <label className="sr-only" htmlFor="search-input">
        Search datasets, runs, models and versions by name or id
      </label>
      <input
        id="search-input"
        ref={input}
        type="search"
        placeholder="Search name or id  ( / )"
        autoComplete="off"
        role="combobox"
        aria-expanded={open && hits.length > 0}
        aria-controls="search-results"
        aria-activedescendant={open && hits[active] ? `hit-${hits[active].node.id}` : undefined}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') setActive((i) => Math.min(i + 1, hits.length - 1));
          else if (e.key === 'ArrowUp') setActive((i) => Math.max(i - 1, 0));
          else if (e.key === 'Enter') choose(hits[active]);
          else if (e.key === 'Escape') setOpen(false);
          else return;
          e.preventDefault();
        }}
      />
      {open && text.trim() && (
        <ul id="search-results" role="listbox" aria-label="Search results" className="search-results">
          {hits.length === 0 && <li className="muted">{catalog ? 'Nothing matches.' : 'Loading the catalogue…'}</li>}
          {hits.map((hit, i) => (
            <li
              key={`${hit.group}/${hit.node.id}`}
              id={`hit-${hit.node.id}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(hit);
              }}
            >
              <span className={`badge kind-${hit.node.kind}`}>{KIND_SHORT[hit.node.kind]}</span> {hit.node.displayName} <span className="muted">{hit.group}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
