/**
 * setDatasetProfile: the training-side distributions of a dataset version, the baseline that
 * serving windows of deployments trained on it are compared with. Immutable once set, like the
 * version: the same profile again (in any order) writes nothing; a different one is CONFLICT.
 * WRITER in the version's project. One write transaction; a concurrent first set of the same
 * version loses on the dataset_profile_version constraint and re-runs as a repeat.
 */
import { createHash } from 'node:crypto';
import { requireRole } from '../auth/authorize.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { conflict, notFound } from '../domain/errors.ts';
import { LruMap } from '../domain/lru.ts';
import { appendAudit } from '../events/outbox.ts';
import type { Executor } from '../neo4j/executor.ts';
import { createProfile, profilesOf, profileTarget } from '../neo4j/queries/monitoring.ts';
import { retryOnCreateRace } from '../recording/retry.ts';
import type { FeatureProfile } from './skew.ts';
import type { ServingTargets } from './targets.ts';
import { checkFeatures, type FeatureProfileInput } from './validate.ts';

/** Services' dependencies, and this instance's held serving targets (none: every window reads its target first). */
export type MonitoringDeps = ServiceDeps & { readonly servingTargets?: ServingTargets };

export interface SetDatasetProfileInput {
  readonly datasetVersion: string;
  readonly features: readonly FeatureProfileInput[];
}

/** Sets the profile; returns the dataset version's id. */
export async function setDatasetProfile(deps: MonitoringDeps, input: SetDatasetProfileInput): Promise<string> {
  const features = checkFeatures('input.features', input.features);
  const featuresJson = JSON.stringify(features);
  const digest = sha256(featuresJson);
  const actor = deps.viewer.subject;
  return retryOnCreateRace(() =>
    deps.executor.write('setDatasetProfile', async (tx) => {
      const target = await profileTarget(tx, input.datasetVersion);
      const hidden = () => notFound('dataset version', input.datasetVersion, 'input.datasetVersion');
      if (!target) throw hidden();
      requireRole(deps.viewer, target.projectId, 'WRITER', hidden);
      if (target.digest === digest) return input.datasetVersion;
      if (target.digest !== null) {
        throw conflict(`dataset version '${input.datasetVersion}' already has a different profile; profiles are immutable`, { field: 'input.features' });
      }
      await Promise.all([
        createProfile(tx, { datasetVersionId: input.datasetVersion, projectId: target.projectId, digest, featuresJson, createdBy: actor }),
        appendAudit(tx, { projectId: target.projectId, actor, subjectId: input.datasetVersion, details: { features: features.length, digest } }),
      ]);
      return input.datasetVersion;
    }),
  );
}

/** A stored feature list (canonical JSON of checkFeatures' result). */
export function parseFeatures(json: string): FeatureProfile[] {
  return JSON.parse(json) as FeatureProfile[];
}

/**
 * Parsed profiles by digest, the most recently used last. A digest names its contents (sha256
 * of the canonical features), so an entry is never stale, on any instance: no invalidation.
 * Every serving window of a deployment compares with the same baseline; holding it here spares
 * each window the transfer and parsing of the whole profile.
 */
const parsedProfiles = new LruMap<string, FeatureProfile[]>(256);

/** The profile with `digest` of dataset version `id`, from the cache or one read. */
export async function profileFeatures(executor: Executor, profile: { id: string; digest: string }): Promise<FeatureProfile[]> {
  const cached = parsedProfiles.get(profile.digest);
  if (cached) return cached;
  const [row] = await executor.readOne('monitoring.profile', (tx) => profilesOf(tx, [profile.id]));
  // Profiles are immutable once set: the row read is the one the digest names.
  if (!row || row.digest !== profile.digest) throw new Error(`profile ${profile.digest} of ${profile.id} not found`);
  const features = parseFeatures(row.featuresJson);
  parsedProfiles.set(profile.digest, features);
  return features;
}

export function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
