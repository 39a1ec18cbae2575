/**
 * Search by name or id across the project's datasets, runs and models and their versions. The
 * public API has no text search, so the page loads the project's catalogue (dataset and model
 * names, runs) once and filters it as you type; the newest versions of the datasets and models
 * whose names match are fetched by name, and an id of any kind is looked up with node(id).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, request } from '../api/client.ts';
import { CATALOG, NODE_BY_ID, versionsOf, type CatalogData, type NodeByIdData, type NodeSummary, type VersionsOfData } from '../api/queries.ts';
import { KIND_SHORT } from './kinds.ts';

interface Hit {
  group: string;
  node: NodeSummary;
}

const ID_PREFIX = /^(dsv|run|ckp|mv|dep|art)_\S+$/;
/** Datasets and models whose versions are fetched for one search text. */
const MAX_NAMES = 6;

export function Search({ token, project, onOpen, onError }: { token: string; project: string; onOpen(id: string): void; onError(error: ApiError): void }) {
  const [catalog, setCatalog] = useState<CatalogData | null>(null);
  const [text, setText] = useState('');
  const [byId, setById] = useState<NodeSummary | null>(null);
  const [versions, setVersions] = useState<{ text: string; groups: { group: string; nodes: NodeSummary[] }[] }>({ text: '', groups: [] });
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

  // The versions of matching names, once typing pauses.
  useEffect(() => {
    const q = text.trim().toLowerCase();
    const name = q.split('@')[0] ?? '';
    if (!catalog?.project || !name) return;
    const datasets = catalog.project.datasets.nodes.filter((d) => d.name.toLowerCase().includes(name) || d.id === q).slice(0, MAX_NAMES);
    const models = catalog.project.models.nodes.filter((m) => m.name.toLowerCase().includes(name) || m.id === q).slice(0, MAX_NAMES);
    if (datasets.length + models.length === 0) {
      setVersions({ text: q, groups: [] });
      return;
    }
    const abort = new AbortController();
    const variables: Record<string, string> = { project };
    datasets.forEach((d, i) => (variables[`d${i}`] = d.name));
    models.forEach((m, i) => (variables[`m${i}`] = m.name));
    const timer = setTimeout(() => {
      request<VersionsOfData>(token, versionsOf(datasets.length, models.length), variables, abort.signal).then(
        (data) => {
          const groups = [...models.map((_, i) => ['model', data[`m${i}`]] as const), ...datasets.map((_, i) => ['dataset', data[`d${i}`]] as const)].flatMap(([kind, found]) =>
            found ? [{ group: `${kind} ${found.name}`, nodes: found.versions.nodes }] : [],
          );
          setVersions({ text: q, groups });
        },
        (error: unknown) => {
          if (!abort.signal.aborted && error instanceof ApiError) onError(error);
        },
      );
    }, 150);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [token, project, catalog, text, onError]);

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
    const name = q.split('@')[0] ?? '';
    if (versions.text === q) {
      for (const { group, nodes } of versions.groups) {
        const whole = group.slice(group.indexOf(' ') + 1).toLowerCase().includes(q);
        for (const node of nodes) if (whole || node.displayName.toLowerCase().includes(q) || node.id === q || (q.includes('@') && node.displayName.toLowerCase().startsWith(name))) out.push({ group, node });
      }
    }
    for (const run of catalog?.runs.nodes ?? []) if ([run.displayName, run.name, run.id].some((v) => v.toLowerCase().includes(q))) out.push({ group: 'run', node: run });
    return out.slice(0, 50);
  }, [text, catalog, byId, versions]);

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
          {hits.length === 0 && <li className="muted">{catalog && versions.text === text.trim().toLowerCase() ? 'Nothing matches.' : 'Searching…'}</li>}
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
