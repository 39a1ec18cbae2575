import { useEffect, useMemo, useState } from 'react';
import { ApiError, request } from '../api/client.ts';
import { METRIC_HISTORY, type MetricHistoryData } from '../api/queries.ts';

const WIDTH = 300;
const HEIGHT = 120;
const PAD = 28;
/** More points than pixels draw nothing more; a long history is thinned to this many. */
const MAX_POINTS = 600;

/** A line chart of one metric's history (by step, else by time), drawn as SVG. */
export function MetricChart({ token, runId, keys }: { token: string; runId: string; keys: string[] }) {
  const [key, setKey] = useState(keys[0] ?? '');
  const [points, setPoints] = useState<{ x: number; y: number }[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!key) return;
    const abort = new AbortController();
    setPoints(null);
    setError(null);
    request<MetricHistoryData>(token, METRIC_HISTORY, { id: runId, key }, abort.signal).then(
      (data) => {
        const series = data.run?.metrics[0]?.points ?? [];
        const step = Math.max(1, Math.ceil(series.length / MAX_POINTS));
        setPoints(series.filter((_, i) => i % step === 0).map((p, i) => ({ x: p.step ?? Date.parse(p.timestamp) ?? i, y: p.value })));
      },
      (e: unknown) => {
        if (!abort.signal.aborted) setError(e instanceof ApiError ? e.message : 'The metric history could not be loaded.');
      },
    );
    return () => abort.abort();
  }, [token, runId, key]);

  const path = useMemo(() => {
    if (!points || points.length === 0) return null;
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const sx = (x: number) => PAD + ((x - x0) / (x1 - x0 || 1)) * (WIDTH - PAD - 8);
    const sy = (y: number) => HEIGHT - 18 - ((y - y0) / (y1 - y0 || 1)) * (HEIGHT - 30);
    return { d: points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(''), x0, x1, y0, y1 };
  }, [points]);

  if (keys.length === 0) return <p className="muted">No metrics logged.</p>;
  return (
    <figure className="chart">
      <label>
        Metric{' '}
        <select value={key} onChange={(e) => setKey(e.target.value)}>
          {keys.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </label>
      {error && <p className="error-text">{error}</p>}
      {!error && !path && <p className="muted">Loading history…</p>}
      {path && (
        <svg width={WIDTH} height={HEIGHT} role="img" aria-label={`${key}: ${points!.length} points from ${path.y0.toPrecision(3)} to ${path.y1.toPrecision(3)}`}>
          <line x1={PAD} y1={HEIGHT - 18} x2={WIDTH - 8} y2={HEIGHT - 18} className="axis" />
          <line x1={PAD} y1={12} x2={PAD} y2={HEIGHT - 18} className="axis" />
          <text x={2} y={16} className="tick">{path.y1.toPrecision(3)}</text>
          <text x={2} y={HEIGHT - 20} className="tick">{path.y0.toPrecision(3)}</text>
          <text x={PAD} y={HEIGHT - 4} className="tick">{path.x0}</text>
          <text x={WIDTH - 8} y={HEIGHT - 4} className="tick" textAnchor="end">{path.x1}</text>
          <path d={path.d} className="series" />
        </svg>
      )}
    </figure>
  );
}
