import { useEffect, useState, type ReactNode } from 'react';
import { ApiError, request } from '../api/client.ts';
import { DETAIL, RELEASE_CHECK, type Detail, type DetailData, type FeatureProfile, type ReleaseCheckData, type ReleaseTargetKind } from '../api/queries.ts';
import { KIND_LABEL, formatInstant } from './kinds.ts';
import { MetricChart } from './MetricChart.tsx';

interface Props {
  token: string;
  nodeId: string;
  isFocus: boolean;
  onOpen(id: string): void;
  onError(error: ApiError): void;
}

/** What Pedigree knows about the selected node, per kind. */
export function DetailPanel({ token, nodeId, isFocus, onOpen, onError }: Props) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    setDetail(null);
    setMessage(null);
    request<DetailData>(token, DETAIL, { id: nodeId }, abort.signal).then(
      (data) => (data.node ? setDetail(data.node) : setMessage(`Node ${nodeId} was not found.`)),
      (error: unknown) => {
        if (abort.signal.aborted) return;
        if (error instanceof ApiError && (error.kind === 'unauthenticated' || error.kind === 'network')) onError(error);
        setMessage(error instanceof Error ? error.message : 'The details could not be loaded.');
      },
    );
    return () => abort.abort();
  }, [token, nodeId, onError]);

  return (
    <aside className="detail" aria-label="Details of the selected node">
      {message && <p className="error-text">{message}</p>}
      {!message && !detail && <p className="muted">Loading…</p>}
      {detail && (
        <>
          <header>
            <span className={`badge kind-${detail.kind}`}>{KIND_LABEL[detail.kind]}</span>
            <h2>{detail.displayName}</h2>
            {!isFocus && (
              <button type="button" onClick={() => onOpen(detail.id)}>
                Open neighbourhood
              </button>
            )}
          </header>
          <dl>
            <Row label="id" value={<code>{detail.id}</code>} />
            <Row label="created" value={formatInstant(detail.createdAt)} />
            <Row label="by" value={detail.createdBy?.id} />
            <KindRows detail={detail} onOpen={onOpen} />
          </dl>
          {detail.kind === 'RUN' && <MetricChart token={token} runId={detail.id} keys={Object.keys(detail.summaryMetrics).sort()} />}
          {detail.kind === 'MODEL_VERSION' && <Aliases detail={detail} />}
          {detail.kind === 'MODEL_VERSION' && <Approvals detail={detail} />}
          {detail.kind === 'MODEL_VERSION' && <ReleaseCheck token={token} detail={detail} onError={onError} />}
          {detail.kind === 'DEPLOYMENT' && <Skew detail={detail} onOpen={onOpen} />}
          {detail.kind === 'DATASET_VERSION' && <Profile features={detail.profile} />}
        </>
      )}
    </aside>
  );
}

function Row({ label, value }: { label: string; value: ReactNode }) {
  if (value === null || value === undefined || value === '') return null;
  return (
    <>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </>
  );
}

function Json({ value }: { value: unknown }) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && Object.keys(value).length === 0) return null;
  return <pre>{JSON.stringify(value, null, 2)}</pre>;
}

function Link({ node, onOpen }: { node: { id: string; displayName: string } | null; onOpen(id: string): void }) {
  if (!node) return null;
  return (
    <button type="button" className="link" onClick={() => onOpen(node.id)}>
      {node.displayName}
    </button>
  );
}

function KindRows({ detail, onOpen }: { detail: Detail; onOpen(id: string): void }) {
  switch (detail.kind) {
    case 'DATASET_VERSION':
      return (
        <>
          <Row label="dataset" value={`${detail.dataset.name} #${detail.number}`} />
          <Row label="label" value={detail.label} />
          <Row label="uri" value={<code>{detail.uri}</code>} />
          <Row label="digest" value={<code>{detail.digest}</code>} />
          <Row label="size" value={detail.sizeBytes === null ? null : `${detail.sizeBytes} bytes`} />
          <Row label="records" value={detail.recordCount} />
          <Row label="produced by" value={<Link node={detail.producedBy} onOpen={onOpen} />} />
          <Row label="properties" value={<Json value={detail.properties} />} />
        </>
      );
    case 'RUN':
      return (
        <>
          <Row label="type" value={detail.runType} />
          <Row label="status" value={<span className={`status status-${detail.runStatus}`}>{detail.runStatus}</span>} />
          <Row label="experiment" value={detail.experiment?.name} />
          <Row label="started" value={formatInstant(detail.startedAt)} />
          <Row label="ended" value={detail.endedAt && formatInstant(detail.endedAt)} />
          <Row label="params" value={<Json value={detail.params} />} />
          <Row label="code" value={detail.code && <Json value={Object.fromEntries(Object.entries(detail.code).filter(([, v]) => v !== null))} />} />
          <Row label="environment" value={detail.environment && <Json value={Object.fromEntries(Object.entries(detail.environment).filter(([, v]) => v !== null))} />} />
          <Row label="metrics" value={<Json value={detail.summaryMetrics} />} />
        </>
      );
    case 'CHECKPOINT':
      return (
        <>
          <Row label="run" value={<Link node={detail.run} onOpen={onOpen} />} />
          <Row label="step" value={detail.step} />
          <Row label="epoch" value={detail.epoch} />
          <Row label="uri" value={<code>{detail.uri}</code>} />
          <Row label="digest" value={detail.checkpointDigest && <code>{detail.checkpointDigest}</code>} />
          <Row label="retention" value={detail.retention} />
          <Row label="deleted" value={detail.deletedAt && formatInstant(detail.deletedAt)} />
          <Row label="metrics" value={<Json value={detail.metrics} />} />
        </>
      );
    case 'MODEL_VERSION':
      return (
        <>
          <Row label="model" value={`${detail.model.name} #${detail.number}`} />
          <Row label="semver" value={detail.semver} />
          <Row label="status" value={<span className={`status status-${detail.versionStatus}`}>{detail.versionStatus}</span>} />
          <Row label="aliases" value={detail.aliases.length > 0 ? detail.aliases.join(', ') : null} />
          <Row label="description" value={detail.description} />
          <Row label="metrics" value={<Json value={detail.metrics} />} />
          <Row
            label="deployments"
            value={
              detail.deployments.length > 0 && (
                <ul className="plain">
                  {detail.deployments.map((d) => (
                    <li key={d.id}>
                      <Link node={d} onOpen={onOpen} /> {d.environment} · {d.status}
                    </li>
                  ))}
                </ul>
              )
            }
          />
        </>
      );
    case 'DEPLOYMENT':
      return (
        <>
          <Row label="environment" value={detail.deploymentEnvironment} />
          <Row label="status" value={<span className={`status status-${detail.deploymentStatus}`}>{detail.deploymentStatus}</span>} />
          <Row label="endpoint" value={detail.endpoint && <code>{detail.endpoint}</code>} />
          <Row label="serves" value={<Link node={detail.modelVersion} onOpen={onOpen} />} />
          <Row label="replaces" value={<Link node={detail.replaces} onOpen={onOpen} />} />
          <Row label="deployed" value={formatInstant(detail.deployedAt)} />
          <Row label="ended" value={detail.endedAt && formatInstant(detail.endedAt)} />
        </>
      );
    case 'ARTIFACT':
      return (
        <>
          <Row label="type" value={detail.artifactType} />
          <Row label="name" value={detail.name} />
          <Row label="uri" value={detail.artifactUri && <code>{detail.artifactUri}</code>} />
          <Row label="digest" value={detail.artifactDigest && <code>{detail.artifactDigest}</code>} />
          <Row label="properties" value={<Json value={detail.properties} />} />
        </>
      );
    default: {
      const never: never = detail;
      return never;
    }
  }
}

function Aliases({ detail }: { detail: Extract<Detail, { kind: 'MODEL_VERSION' }> }) {
  if (detail.model.aliases.length === 0) return null;
  return (
    <section>
      <h3>Aliases of {detail.model.name}</h3>
      <ul className="plain">
        {detail.model.aliases.map((alias) => (
          <li key={alias.name}>
            <strong>{alias.name}</strong> → {alias.version.displayName}
            <ol className="history" aria-label={`History of ${alias.name}`}>
              {alias.history.map((move) => (
                <li key={move.at}>
                  {formatInstant(move.at)}: {move.from ? `${move.from.displayName} → ` : ''}
                  {move.to.displayName}
                  {move.by ? ` by ${move.by.id}` : ''}
                </li>
              ))}
            </ol>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Approvals({ detail }: { detail: Extract<Detail, { kind: 'MODEL_VERSION' }> }) {
  return (
    <section aria-label="Approvals">
      <h3>Approvals</h3>
      {detail.approvals.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <ul className="plain">
          {detail.approvals.map((approval) => (
            <li key={`${approval.targetKind}:${approval.target}:${approval.by?.id ?? ''}:${approval.at}`}>
              <strong>{approval.target}</strong> ({approval.targetKind.toLowerCase()}) by {approval.by?.id ?? 'a deleted user'}, {formatInstant(approval.at)}
              {approval.comment ? `: ${approval.comment}` : ''}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

type CheckResult = ReleaseCheckData['releaseCheck'];

/** A dry run of the release gates for a target typed in (first: the environment of the newest deployment). */
function ReleaseCheck({ token, detail, onError }: { token: string; detail: Extract<Detail, { kind: 'MODEL_VERSION' }>; onError(error: ApiError): void }) {
  const [targetKind, setTargetKind] = useState<ReleaseTargetKind>('ENVIRONMENT');
  const [target, setTarget] = useState(detail.deployments[0]?.environment ?? 'prod');
  const [result, setResult] = useState<{ target: string; check: CheckResult } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const check = () => {
    const name = target.trim();
    if (!name) return;
    setBusy(true);
    setMessage(null);
    request<ReleaseCheckData>(token, RELEASE_CHECK, { version: detail.id, targetKind, target: name }).then(
      (data) => setResult({ target: `${targetKind === 'ENVIRONMENT' ? 'environment' : 'alias'} ${name}`, check: data.releaseCheck }),
      (error: unknown) => {
        if (error instanceof ApiError && (error.kind === 'unauthenticated' || error.kind === 'network')) onError(error);
        setResult(null);
        setMessage(error instanceof Error ? error.message : 'The release check failed.');
      },
    ).finally(() => setBusy(false));
  };

  return (
    <section aria-label="Release check">
      <h3>Release check</h3>
      <form
        className="release-check"
        onSubmit={(event) => {
          event.preventDefault();
          check();
        }}
      >
        <select aria-label="Target kind" value={targetKind} onChange={(event) => setTargetKind(event.target.value as ReleaseTargetKind)}>
          <option value="ENVIRONMENT">environment</option>
          <option value="ALIAS">alias</option>
        </select>
        <input aria-label="Target" value={target} onChange={(event) => setTarget(event.target.value)} />
        <button type="submit" disabled={busy}>
          Check
        </button>
      </form>
      {message && <p className="error-text">{message}</p>}
      {result && (
        <div role="status" className={result.check.allowed ? 'check-allowed' : 'check-refused'}>
          {result.check.allowed ? `Allowed into ${result.target}.` : `Not allowed into ${result.target}:`}
          {result.check.failures.length > 0 && (
            <ul className="plain">
              {result.check.failures.map((failure, i) => (
                <li key={`${failure.rule}:${i}`}>
                  <strong>{failure.rule}</strong>: {failure.message}
                  {failure.quarantined.length > 0 && ` (${failure.quarantined.map((n) => n.displayName).join(', ')})`}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

function Skew({ detail, onOpen }: { detail: Extract<Detail, { kind: 'DEPLOYMENT' }>; onOpen(id: string): void }) {
  const skew = detail.latestSkew;
  return (
    <section aria-label="Serving skew">
      <h3>Serving skew</h3>
      {!skew ? (
        <p className="muted">No serving window with a profiled baseline yet.</p>
      ) : (
        <>
          <p>
            {skew.exceeded ? 'Exceeded' : 'Within thresholds'} against baseline <Link node={skew.baseline} onOpen={onOpen} />
          </p>
          <table className="skew">
            <thead>
              <tr>
                <th scope="col">feature</th>
                <th scope="col">method</th>
                <th scope="col">distance</th>
                <th scope="col">limit</th>
                <th scope="col">over</th>
              </tr>
            </thead>
            <tbody>
              {skew.features.map((f) => (
                <tr key={f.feature} className={f.exceeded ? 'exceeded' : undefined}>
                  <th scope="row">{f.feature}</th>
                  <td>{f.method === 'JENSEN_SHANNON' ? 'Jensen-Shannon' : 'L∞'}</td>
                  <td>{f.distance.toFixed(3)}</td>
                  <td>{f.threshold.toFixed(3)}</td>
                  <td>{f.exceeded ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Profile({ features }: { features: FeatureProfile[] }) {
  if (features.length === 0) return null;
  return (
    <section aria-label="Profile">
      <h3>Profile</h3>
      <ul className="plain">
        {features.map((feature) => (
          <li key={feature.name}>
            <strong>{feature.name}</strong>{' '}
            {feature.histogram && <Histogram name={feature.name} edges={feature.histogram.edges} counts={feature.histogram.counts} />}
            {feature.categories && feature.categories.map((c) => `${c.value}: ${c.count}`).join(', ')}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A histogram as bars, one per bin, scaled to the largest count. */
function Histogram({ name, edges, counts }: { name: string; edges: number[]; counts: number[] }) {
  const max = Math.max(...counts, 1);
  const width = 120;
  const height = 28;
  const bar = width / Math.max(counts.length, 1);
  return (
    <svg className="histogram" role="img" aria-label={`${name}: ${counts.length} bins from ${edges[0]} to ${edges[edges.length - 1]}`} width={width} height={height}>
      {counts.map((count, i) => (
        <rect key={i} x={i * bar + 1} width={Math.max(bar - 2, 1)} y={height - (count / max) * height} height={(count / max) * height} />
      ))}
    </svg>
  );
}
