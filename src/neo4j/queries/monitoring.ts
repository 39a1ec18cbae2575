/**
 * Serving observations (src/monitoring): dataset profiles, serving windows and skew
 * thresholds. None of them is a lineage node: `(:DatasetProfile)`, `(:ServingWindow)` and
 * `(:SkewThreshold)` carry no :LineageNode label and no lineage relationship; they point at
 * their dataset version, deployment or project by id property only, so no traversal reaches
 * them. Window instants are Neo4j datetimes, read back as epoch milliseconds.
 */
import type { Tx } from '../executor.ts';
import { APPEND_EVENTS, eventRows, type NewEvent } from './event-append.ts';

export interface ProfileRow {
  readonly datasetVersionId: string;
  readonly digest: string;
  readonly featuresJson: string;
}

/** The profiles of the given dataset versions (none for a version without one). */
export async function profilesOf(tx: Tx, datasetVersionIds: readonly string[]): Promise<ProfileRow[]> {
  const records = await tx.run(
    `UNWIND $ids AS id
     MATCH (p:DatasetProfile {datasetVersionId: id})
     RETURN p.datasetVersionId AS datasetVersionId, p.digest AS digest, p.featuresJson AS featuresJson`,
    { ids: datasetVersionIds },
  );
  return records.map((r) => ({ datasetVersionId: r.get('datasetVersionId') as string, digest: r.get('digest') as string, featuresJson: r.get('featuresJson') as string }));
}

/** The dataset version's project and the digest of its profile (null: none yet); null when the version does not exist. */
export async function profileTarget(tx: Tx, datasetVersionId: string): Promise<{ projectId: string; digest: string | null } | null> {
  const [record] = await tx.run(
    `MATCH (v:DatasetVersion {id: $id})
     OPTIONAL MATCH (p:DatasetProfile {datasetVersionId: v.id})
     RETURN v.projectId AS projectId, p.digest AS digest`,
    { id: datasetVersionId },
  );
  return record ? { projectId: record.get('projectId') as string, digest: (record.get('digest') as string | null) ?? null } : null;
}

/** Creates the profile; a concurrent first set fails on the dataset_profile_version constraint. */
export async function createProfile(tx: Tx, input: { datasetVersionId: string; projectId: string; digest: string; featuresJson: string; createdBy: string | null }): Promise<void> {
  await tx.run(
    `CREATE (:DatasetProfile {
       datasetVersionId: $datasetVersionId, projectId: $projectId, digest: $digest, featuresJson: $featuresJson,
       createdAt: datetime(), createdBy: $createdBy
     })`,
    input,
  );
}

export interface ServingWindowRow {
  readonly deploymentId: string;
  readonly projectId: string;
  /** Epoch milliseconds. */
  readonly startMs: number;
  readonly endMs: number;
  /** sha256 of the canonical metrics and features: what "the same window again" compares. */
  readonly digest: string;
  readonly metricsJson: string;
  readonly featuresJson: string;
  /** The SkewReport as JSON; null when no baseline had a profile. */
  readonly skewJson: string | null;
}

const WINDOW = `w {.deploymentId, .projectId, .digest, .metricsJson, .featuresJson, .skewJson, startMs: w.start.epochMillis, endMs: w.end.epochMillis}`;

function windowRow(map: Record<string, unknown>): ServingWindowRow {
  return { ...(map as unknown as ServingWindowRow), skewJson: (map['skewJson'] as string | null | undefined) ?? null };
}

/** One write's facts about a deployment, or null when it does not exist. */
export interface WindowTarget {
  readonly projectId: string;
  readonly modelName: string;
  /** The window already recorded with the same (deployment, start, end), if any. */
  readonly existing: ServingWindowRow | null;
  readonly rules: ReadonlyArray<{ model: string | null; feature: string | null; threshold: number }>;
  /**
   * The deployment's baseline (see BASELINE) and its profile's digest (the profile itself is
   * immutable, so callers fetch it by digest only when they do not hold it); null when none is profiled.
   */
  readonly baseline: { readonly id: string; readonly digest: string } | null;
}

/**
 * The baseline of deployment `d`: the profiled dataset version nearest upstream of the run that
 * produced its model version (directly, or through the checkpoint it was derived from). Versions
 * reached through an input the run USED with the role 'train' come first: the second search, over
 * every input, runs only when the first finds none. Then the nearest (fewest hops from the run),
 * then the smaller id. A hop is USED | GENERATED_BY | DERIVED_FROM, up to 50 from the run. Each
 * reachable set is a var-length pattern aggregated per end node with min(length(p)), the
 * breadth-first plan of src/neo4j/queries/lineage.ts (linear on diamonds).
 */
const BASELINE = `
     OPTIONAL CALL (d) {
       MATCH (d)-[:DEPLOYS]->(v:ModelVersion)
       OPTIONAL MATCH (v)-[:GENERATED_BY]->(direct:Run)
       OPTIONAL MATCH (v)-[:DERIVED_FROM]->(c:Checkpoint)
       OPTIONAL MATCH (viaCkp:Run {id: c.runId})
       WITH coalesce(direct, viaCkp) AS r WHERE r IS NOT NULL
       RETURN r LIMIT 1
     }
     OPTIONAL CALL (r) {
       MATCH (r)-[u:USED]->(first) WHERE u.role = 'train'
       MATCH p = (first)-[:USED|GENERATED_BY|DERIVED_FROM*0..49]->(n:DatasetVersion)
       WITH n, min(length(p)) AS depth
       WHERE EXISTS { MATCH (:DatasetProfile {datasetVersionId: n.id}) }
       RETURN n AS trained ORDER BY depth, n.id LIMIT 1
     }
     OPTIONAL CALL (r, trained) {
       WITH r WHERE trained IS NULL
       MATCH p = (r)-[:USED|GENERATED_BY|DERIVED_FROM*1..50]->(n:DatasetVersion)
       WITH n, min(length(p)) AS depth
       WHERE EXISTS { MATCH (:DatasetProfile {datasetVersionId: n.id}) }
       RETURN n AS nearest ORDER BY depth, n.id LIMIT 1
     }
     WITH *, coalesce(trained, nearest) AS base
     OPTIONAL MATCH (profile:DatasetProfile {datasetVersionId: base.id})`;

/**
 * The deployment `d` with the facts a window write needs: its model `m`, the window `w` recorded
 * with the key ($deploymentId, $startMs, $endMs), the project's `rules` and the `baseline` (with
 * its profile's digest). TARGET_FIELDS returns them as WindowTarget's fields.
 */
const TARGET = `MATCH (d:Deployment {id: $deploymentId})
     OPTIONAL MATCH (m:Model {id: d.modelId})
     OPTIONAL MATCH (w:ServingWindow {deploymentId: d.id, start: datetime({epochMillis: toInteger($startMs)}), end: datetime({epochMillis: toInteger($endMs)})})
     CALL (d) {
       OPTIONAL MATCH (t:SkewThreshold {projectId: d.projectId})
       RETURN collect(t {.model, .feature, .threshold}) AS rules
     }${BASELINE}
     WITH *, CASE WHEN profile IS NULL THEN null ELSE {id: base.id, digest: profile.digest} END AS baseline`;

const TARGET_FIELDS = `d.projectId AS projectId, m.name AS modelName, CASE WHEN w IS NULL THEN null ELSE ${WINDOW} END AS existing, rules, baseline`;

function targetOf(record: { get(key: string): unknown }): WindowTarget {
  const existing = record.get('existing') as Record<string, unknown> | null;
  const rules = (record.get('rules') as Array<{ model: string; feature: string; threshold: number }>).map((t) => ({
    model: t.model === '' ? null : t.model,
    feature: t.feature === '' ? null : t.feature,
    threshold: t.threshold,
  }));
  return {
    projectId: record.get('projectId') as string,
    modelName: (record.get('modelName') as string | null) ?? '',
    existing: existing ? windowRow(existing) : null,
    rules,
    baseline: record.get('baseline') as WindowTarget['baseline'],
  };
}

/**
 * In one statement: the deployment's project and model name, the window recorded with this
 * key, the project's skew thresholds, and the deployment's baseline with its profile's digest.
 */
export async function windowTarget(tx: Tx, key: { deploymentId: string; startMs: number; endMs: number }): Promise<WindowTarget | null> {
  const [record] = await tx.run(`${TARGET}\n     RETURN ${TARGET_FIELDS}`, key);
  return record ? targetOf(record) : null;
}

/** What recordWindowFor found: the target as the statement saw it, and the window when it created one. */
export interface WindowWrite {
  readonly target: WindowTarget;
  readonly created: ServingWindowRow | null;
}

/**
 * One statement: resolves the deployment's target again (TARGET) and creates the window `row`
 * with `events` (APPEND_EVENTS) only when no window has the key and the target is the one
 * `assumed` (the row's skew and events were computed from it): the same project, model name,
 * rules (as a set) and baseline with the same profile digest. Otherwise it writes nothing and
 * returns the target it found, for the caller to compute again. Null when the deployment does
 * not exist. A concurrent first record of the same key fails on serving_window_key.
 */
export async function recordWindowFor(tx: Tx, assumed: Omit<WindowTarget, 'existing'>, row: ServingWindowRow, events: readonly NewEvent[]): Promise<WindowWrite | null> {
  const [record] = await tx.run(
    `${TARGET}
     WITH *, w IS NULL AND d.projectId = $assumed.projectId AND coalesce(m.name, '') = $assumed.modelName
       AND size(rules) = size($assumed.rules) AND all(rule IN rules WHERE rule IN $assumed.rules)
       AND coalesce(baseline.id, '') = coalesce($assumed.baseline.id, '') AND coalesce(baseline.digest, '') = coalesce($assumed.baseline.digest, '') AS matches
     // Aggregated (one row either way), not OPTIONAL CALL: on Neo4j 5.26 an OPTIONAL CALL that
     // creates a node and returns no row yields a property-less node with id -1 instead of null.
     CALL (matches) {
       WITH * WHERE matches
       WITH datetime() AS now
       CREATE (w:ServingWindow {
         deploymentId: $deploymentId, projectId: $projectId, start: datetime({epochMillis: toInteger($startMs)}), end: datetime({epochMillis: toInteger($endMs)}),
         digest: $digest, metricsJson: $metricsJson, featuresJson: $featuresJson, skewJson: $skewJson, recordedAt: now
       })
       WITH w, now
       CALL (now) {
         ${APPEND_EVENTS}
       }
       RETURN count(w) > 0 AS created
     }
     RETURN ${TARGET_FIELDS}, created`,
    {
      ...row,
      assumed: { ...assumed, rules: assumed.rules.map((r) => ({ model: r.model ?? '', feature: r.feature ?? '', threshold: r.threshold })) },
      events: eventRows(events),
      action: tx.unit,
    },
  );
  if (!record) return null;
  // Created: the row as sent (not read back: the window's JSON is most of the statement's bytes).
  const created = record.get('created') as boolean;
  if (created && events.length > 0) tx.eventsAppended?.();
  return { target: targetOf(record), created: created ? row : null };
}

/** The baseline of a deployment (see BASELINE) with its profile; null when none is profiled or the deployment does not exist. */
export async function baselineOf(tx: Tx, deploymentId: string): Promise<{ id: string; featuresJson: string } | null> {
  const [record] = await tx.run(
    `MATCH (d:Deployment {id: $deploymentId})${BASELINE}
     RETURN CASE WHEN profile IS NULL THEN null ELSE {id: base.id, featuresJson: profile.featuresJson} END AS baseline`,
    { deploymentId },
  );
  return (record?.get('baseline') as { id: string; featuresJson: string } | null | undefined) ?? null;
}

/** A deployment's windows newest first (by end, then start), after the position `after`, at most `limit`. */
export async function windowsOf(tx: Tx, deploymentId: string, after: { endMs: number; startMs: number } | null, limit: number): Promise<ServingWindowRow[]> {
  const records = await tx.run(
    `MATCH (w:ServingWindow {deploymentId: $deploymentId})
     WHERE w.end IS NOT NULL AND ($after IS NULL
       OR w.end < datetime({epochMillis: toInteger($after.endMs)})
       OR (w.end = datetime({epochMillis: toInteger($after.endMs)}) AND w.start < datetime({epochMillis: toInteger($after.startMs)})))
     RETURN ${WINDOW} AS row ORDER BY w.end DESC, w.start DESC LIMIT toInteger($limit)`,
    { deploymentId, after, limit },
  );
  return records.map((r) => windowRow(r.get('row') as Record<string, unknown>));
}

/** Per deployment: the skew of its newest window that has one (null: none). */
export async function latestSkews(tx: Tx, deploymentIds: readonly string[]): Promise<Map<string, string>> {
  const records = await tx.run(
    `UNWIND $ids AS id
     CALL (id) {
       MATCH (w:ServingWindow {deploymentId: id}) WHERE w.end IS NOT NULL AND w.skewJson IS NOT NULL
       RETURN w.skewJson AS skewJson ORDER BY w.end DESC, w.start DESC LIMIT 1
     }
     RETURN id, skewJson`,
    { ids: deploymentIds },
  );
  return new Map(records.map((r) => [r.get('id') as string, r.get('skewJson') as string]));
}

/** Sets the threshold of (project, model, feature), '' standing for "any". */
export async function upsertThreshold(tx: Tx, input: { projectId: string; model: string; feature: string; threshold: number; actor: string | null }): Promise<void> {
  await tx.run(
    `MERGE (t:SkewThreshold {projectId: $projectId, model: $model, feature: $feature})
     SET t.threshold = $threshold, t.updatedAt = datetime(), t.updatedBy = $actor`,
    input,
  );
}

/** Deletes up to `batch` windows that ended before the cutoff; returns how many. */
export async function pruneWindowsBefore(tx: Tx, cutoffMs: number, batch: number): Promise<number> {
  const [record] = await tx.run(
    `MATCH (w:ServingWindow) WHERE w.end < datetime({epochMillis: toInteger($cutoffMs)})
     WITH w LIMIT toInteger($batch)
     DELETE w
     RETURN count(*) AS deleted`,
    { cutoffMs, batch },
  );
  return (record?.get('deleted') as number | undefined) ?? 0;
}
