/**
 * The explorer's state: the signed-in token (sessionStorage: this tab only), the view (the
 * URL's query string, see view-state.ts), the loaded neighbourhood, the highlighted path and
 * the live subscription. Every failure ends in a message: a refused token returns to sign-in,
 * a lost network shows a banner with a retry, an unknown or foreign node says so.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, createLiveClient, request } from '../api/client.ts';
import { LINEAGE_PATH, PROJECTS, QUARANTINE_REACH, QUARANTINES, VERSION_EVENTS, type NodeSummary, type PathData, type ProjectsData, type QuarantinesData, type VersionEventData } from '../api/queries.ts';
import { buildDisplay, NO_QUARANTINES, type QuarantineMarks } from '../graph/display.ts';
import { layout } from '../graph/layout.ts';
import { loadNeighbourhood, type Neighbourhood } from '../graph/neighbourhood.ts';
import { formatView, parseView, type Direction, type ViewState } from '../view-state.ts';
import { DetailPanel } from './DetailPanel.tsx';
import { GraphView, type GraphActions } from './GraphView.tsx';
import { formatInstant } from './kinds.ts';
import { ListView } from './ListView.tsx';
import { Search } from './Search.tsx';
import { SignIn } from './SignIn.tsx';
import { Toolbar, type LiveStatus } from './Toolbar.tsx';

const TOKEN_KEY = 'pedigree.token';
const REFUSED = 'Your token was refused: it expired or was revoked. Sign in again.';

export function App() {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY));
  const [signInMessage, setSignInMessage] = useState<string | null>(null);
  const [projects, setProjects] = useState<ProjectsData['projects'] | null>(null);
  const [view, setView] = useState<ViewState>(() => parseView(window.location.search));
  const viewRef = useRef(view);
  const [banner, setBanner] = useState<string | null>(null);
  const [hood, setHood] = useState<Neighbourhood | null>(null);
  const hoodRef = useRef<Neighbourhood | null>(null);
  const [hoodMessage, setHoodMessage] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<string | null>(view.node);
  const [path, setPath] = useState<NodeSummary[] | null>(null);
  const [pathMessage, setPathMessage] = useState<string | null>(null);
  const [newIds, setNewIds] = useState<ReadonlySet<string>>(new Set());
  const [live, setLive] = useState<LiveStatus>('connecting');
  const [pathPick, setPathPick] = useState<'off' | 'first' | 'second'>('off');
  const pathFirst = useRef<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const liveReload = useRef(false);
  const [announcement, setAnnouncement] = useState('');
  const [quarantines, setQuarantines] = useState<QuarantineMarks>(NO_QUARANTINES);

  const navigate = useCallback((patch: Partial<ViewState>, replace = false) => {
    const next = { ...viewRef.current, ...patch };
    viewRef.current = next;
    setView(next);
    const url = formatView(next);
    if (url !== window.location.search) window.history[replace ? 'replaceState' : 'pushState'](null, '', url);
  }, []);

  useEffect(() => {
    const onPop = () => {
      viewRef.current = parseView(window.location.search);
      setView(viewRef.current);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const signOut = useCallback((message: string | null) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setToken(null);
    setProjects(null);
    setHood(null);
    setSignInMessage(message);
  }, []);

  const onError = useCallback(
    (error: ApiError) => {
      if (error.kind === 'unauthenticated') signOut(REFUSED);
      else setBanner(error.message);
    },
    [signOut],
  );

  useEffect(() => {
    if (!token || projects) return;
    const abort = new AbortController();
    request<ProjectsData>(token, PROJECTS, {}, abort.signal).then((data) => setProjects(data.projects), (error: unknown) => {
      if (!abort.signal.aborted && error instanceof ApiError) onError(error);
    });
    return () => abort.abort();
  }, [token, projects, onError]);

  useEffect(() => {
    if (projects && projects.length > 0 && !view.project && !view.node) navigate({ project: projects[0]!.id }, true);
  }, [projects, view.project, view.node, navigate]);

  // A new focus starts with nothing marked new, itself selected and no half-picked path.
  useEffect(() => {
    setNewIds(new Set());
    setSelected(view.node);
  }, [view.node]);

  const hoodKey = JSON.stringify([view.node, view.depth, view.kinds, view.asOf, view.up, view.down, view.page, view.more]);
  useEffect(() => {
    const current = viewRef.current;
    if (!token || !current.node) {
      setHood(null);
      hoodRef.current = null;
      return;
    }
    const abort = new AbortController();
    setLoading(true);
    loadNeighbourhood(token, current, abort.signal)
      .then(
        (next) => {
          if (!next) {
            setHood(null);
            hoodRef.current = null;
            setHoodMessage(`Node ${current.node} was not found: it does not exist, or it belongs to a project this token cannot read.`);
            return;
          }
          const before = hoodRef.current;
          if (liveReload.current && before && before.focus.id === next.focus.id) {
            const added = [...next.nodes.keys()].filter((id) => !before.nodes.has(id));
            if (added.length > 0) {
              setNewIds((marked) => new Set([...marked, ...added]));
              setAnnouncement(`New in view: ${added.map((id) => next.nodes.get(id)!.displayName).join(', ')}`);
            }
          }
          liveReload.current = false;
          hoodRef.current = next;
          setHood(next);
          setHoodMessage(null);
          setBanner(null);
          if (next.focus.project.id !== viewRef.current.project) navigate({ project: next.focus.project.id }, true);
        },
        (error: unknown) => {
          if (abort.signal.aborted) return;
          if (error instanceof ApiError && error.kind === 'not-found') {
            setHood(null);
            hoodRef.current = null;
            setHoodMessage(`${error.message}: the node does not exist, or it belongs to a project this token cannot read.`);
          } else if (error instanceof ApiError) onError(error);
          else setBanner(String(error));
        },
      )
      .finally(() => {
        if (!abort.signal.aborted) setLoading(false);
      });
    return () => abort.abort();
  }, [token, hoodKey, reloads, navigate, onError]);

  // Quarantine marks: one request per loaded view (the project's active quarantines and what is
  // downstream of each, as of the view's instant). A failure leaves the drawing unmarked.
  useEffect(() => {
    setQuarantines(NO_QUARANTINES);
    const project = hood?.focus.project.id;
    if (!token || !project) return;
    const abort = new AbortController();
    request<QuarantinesData>(token, QUARANTINES, { project, asOf: viewRef.current.asOf, reach: QUARANTINE_REACH }, abort.signal).then(
      (data) =>
        setQuarantines({
          quarantined: new Set(data.quarantines.map((q) => q.node.id)),
          downstream: new Set(data.quarantines.flatMap((q) => q.node.downstream.nodes.map((hit) => hit.node.id))),
        }),
      (error: unknown) => {
        if (!abort.signal.aborted && error instanceof ApiError && error.kind === 'unauthenticated') onError(error);
      },
    );
    return () => abort.abort();
  }, [token, hood, onError]);

  const pathKey = view.path?.join(',') ?? '';
  useEffect(() => {
    setPath(null);
    setPathMessage(null);
    const ends = viewRef.current.path;
    if (!token || !ends) return;
    const abort = new AbortController();
    const find = async () => {
      const [a, b] = ends;
      const forward = await request<PathData>(token, LINEAGE_PATH, { from: a, to: b }, abort.signal);
      if (forward.lineagePath) return forward.lineagePath;
      return (await request<PathData>(token, LINEAGE_PATH, { from: b, to: a }, abort.signal)).lineagePath;
    };
    find().then(
      (found) => {
        setPath(found);
        if (found) setAnnouncement(`Path: ${found.map((n) => n.displayName).join(' ← ')}`);
        else setPathMessage('No derivation path joins these two nodes (neither is upstream of the other).');
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        if (error instanceof ApiError && error.kind !== 'not-found' && error.kind !== 'other') onError(error);
        else setPathMessage(error instanceof Error ? error.message : String(error));
      },
    );
    return () => abort.abort();
  }, [token, pathKey, onError]);

  // Live: versionEvents of the project; any event reloads the view (debounced) and marks what is new.
  useEffect(() => {
    if (!token || !view.project) return;
    let wasClosed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reload = () => {
      if (viewRef.current.asOf !== null || !viewRef.current.node) return; // a past instant does not change
      clearTimeout(timer);
      timer = setTimeout(() => {
        liveReload.current = true;
        setReloads((n) => n + 1);
      }, 150);
    };
    setLive('connecting');
    const client = createLiveClient(token, {
      connected: () => {
        setLive('live');
        if (wasClosed) reload(); // events missed while offline
      },
      closed: () => {
        wasClosed = true;
        setLive('offline');
      },
      refused: () => signOut(REFUSED),
    });
    // A subscription the gateway ended with an error (a limit, say) is started again after a
    // pause, rather than leaving the view offline until a reload.
    // The pause doubles from 2 s to at most 30 s while the errors go on.
    let unsubscribe = () => {};
    let again: ReturnType<typeof setTimeout> | undefined;
    let errors = 0;
    const subscribe = () => {
      unsubscribe = client.subscribe<VersionEventData>(
        { query: VERSION_EVENTS, variables: { project: view.project } },
        {
          next: (result) => {
            errors = 0;
            if (result.data) reload();
          },
          error: () => {
            setLive('offline');
            again = setTimeout(
              () => {
                subscribe();
                setLive('live');
                reload(); // events missed meanwhile
              },
              Math.min(30_000, 2_000 * 2 ** errors++),
            );
          },
          complete: () => {},
        },
      );
    };
    subscribe();
    return () => {
      clearTimeout(timer);
      clearTimeout(again);
      unsubscribe();
      void client.dispose();
    };
  }, [token, view.project, signOut]);

  const display = useMemo(() => (hood ? buildDisplay(hood, view, path, selected, newIds, quarantines) : null), [hood, view, path, selected, newIds, quarantines]);
  const shape = display?.shape;
  const positions = useMemo(
    () => (display ? layout({ nodes: [...display.nodes.map((n) => n.id), ...display.more.map((m) => m.id)], edges: display.edges }, display.nodes.find((n) => n.isFocus)?.id) : new Map()),
    // Only the drawn shape decides positions; marks and selection do not move nodes.
    [shape],
  );

  const actions = useMemo<GraphActions>(
    () => ({
      select(id) {
        setSelected(id);
        if (pathPick === 'first') {
          pathFirst.current = id;
          setPathPick('second');
          setAnnouncement('Now pick the second node of the path.');
        } else if (pathPick === 'second' && pathFirst.current) {
          navigate({ path: [pathFirst.current, id] });
          setPathPick('off');
        }
      },
      open(id) {
        navigate({ node: id, up: [], down: [], more: {}, path: null });
      },
      expand(id, direction: Direction) {
        const current = viewRef.current;
        const list = current[direction];
        const expanded = list.includes(id);
        const more = Object.fromEntries(Object.entries(current.more).filter(([key]) => !expanded || key !== `${direction}:${id}`));
        navigate({ [direction]: expanded ? list.filter((x) => x !== id) : [...list, id], more });
      },
      more(moreId) {
        const entry = hoodRef.current?.more.find((m) => m.id === moreId);
        if (entry) navigate({ more: { ...viewRef.current.more, [`${entry.direction}:${entry.anchor}`]: entry.nextLimit } });
      },
    }),
    [navigate, pathPick],
  );

  if (!token) {
    return (
      <SignIn
        message={signInMessage}
        onSignIn={(value, list) => {
          sessionStorage.setItem(TOKEN_KEY, value);
          setSignInMessage(null);
          setProjects(list);
          setToken(value);
        }}
      />
    );
  }

  const selectedId = selected && display?.nodes.some((n) => n.id === selected) ? selected : (hood?.focus.id ?? null);
  return (
    <div className="app">
      <Toolbar
        view={view}
        projects={projects ?? []}
        live={live}
        pathPick={pathPick}
        search={view.project ? <Search token={token} project={view.project} onOpen={(id) => actions.open(id)} onError={onError} /> : null}
        onChange={(patch) => navigate(patch)}
        onProject={(id) => navigate({ project: id, node: null, up: [], down: [], more: {}, path: null })}
        onPathPick={() => {
          setPathPick(pathPick === 'off' ? 'first' : 'off');
          setAnnouncement(pathPick === 'off' ? 'Pick the first node of the path.' : 'Path picking cancelled.');
        }}
        onSignOut={() => signOut(null)}
      />
      {banner && (
        <div className="banner" role="alert">
          {banner}{' '}
          <button
            type="button"
            onClick={() => {
              setBanner(null);
              setReloads((n) => n + 1);
              if (!projects) setProjects(null);
            }}
          >
            Retry
          </button>
        </div>
      )}
      {hood && !hood.focusExisted && view.asOf && (
        <div className="notice" role="status">
          {hood.focus.displayName} was created at {formatInstant(hood.focus.createdAt)}, after {formatInstant(view.asOf)}: it did not exist then.
        </div>
      )}
      {pathMessage && (
        <div className="notice" role="status">
          {pathMessage}
        </div>
      )}
      {path && (
        <nav className="path-bar" aria-label="Highlighted path">
          Path:{' '}
          {path.map((node, i) => (
            <span key={node.id}>
              {i > 0 && ' ← '}
              <button type="button" className="link" onClick={() => actions.select(node.id)}>
                {node.displayName}
              </button>
            </span>
          ))}
        </nav>
      )}
      <div className="workspace">
        <main className="canvas" aria-busy={loading}>
          {!view.node && <Welcome />}
          {view.node && hoodMessage && (
            <div className="empty" role="alert">
              {hoodMessage}
            </div>
          )}
          {display && !hoodMessage && (view.list ? <ListView display={display} actions={actions} /> : <GraphView display={display} positions={positions} actions={actions} />)}
          {loading && <div className="loading">Loading…</div>}
        </main>
        {selectedId && hood && !hoodMessage && <DetailPanel key={`${selectedId}#${reloads}`} token={token} nodeId={selectedId} isFocus={selectedId === hood.focus.id} onOpen={actions.open} onError={onError} />}
      </div>
      <div className="sr-only" aria-live="polite">
        {announcement}
      </div>
    </div>
  );
}

function Welcome() {
  return (
    <div className="empty">
      <h1>Explore lineage</h1>
      <p>Search a dataset, run or model above (press / to focus the search), then open a version to see where it came from and what was derived from it.</p>
    </div>
  );
}
