/**
 * registerDatasetVersion: validation, then one write transaction. Idempotent on the digest
 * (per dataset); numbers are allocated under the dataset's write lock, so they are gap-free
 * and unique under concurrency. The driver may re-run the unit of work: a re-run after a lost
 * commit acknowledgement finds the version by digest and writes nothing.
 */
import type { ServiceDeps } from '../auth/viewer.ts';
import { badInput, conflict } from '../domain/errors.ts';
import type { RegisterDatasetVersionInput } from '../generated/graphql.ts';
import { newId } from '../domain/ids.ts';
import type { DatasetVersionRow } from '../domain/rows.ts';
import { writeDatasetVersion, type DatasetVersionWrite } from '../neo4j/queries/datasets.ts';
import type { NewEvent } from '../events/outbox.ts';
import { checkJsonObject, checkOptionalJson } from '../domain/json.ts';
import { gatedWrite } from './gated-write.ts';
import { retryOnCreateRace } from './retry.ts';
import { projectAndRefChecks } from './refs.ts';
import { checkName, checkOptionalText, checkText, MAX_NAME_LENGTH } from './validate.ts';

/** `<algorithm>:<lower-case hex>`, e.g. `sha256:9f86d0...`. */
const DIGEST = /^[a-z][a-z0-9]*(?:[-_+.][a-z0-9]+)*:[0-9a-f]{8,512}$/;

export function checkDigest(field: string, value: string): string {
  if (value.length > 600 || !DIGEST.test(value)) {
    throw badInput(field, `${field} must look like '<algorithm>:<lower-case hex>', e.g. 'sha256:9f86d081...'`);
  }
  return value;
}

export function checkUri(field: string, value: string): string {
  const uri = checkText(field, value, 4096);
  if (uri.trim().length === 0) throw badInput(field, `${field} must not be empty`);
  return uri;
}

/** A non-negative finite number, or null. */
export function checkCount(field: string, value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isFinite(value) || value < 0) throw badInput(field, `${field} must be a non-negative number`);
  return value;
}

/** A validated dataset version (without project), shared by registerDatasetVersion and recordLineage. */
export interface DatasetVersionSpec {
  readonly name: string;
  readonly digest: string;
  readonly uri: string;
  readonly label: string | null;
  readonly sizeBytes: number | null;
  readonly recordCount: number | null;
  readonly schemaJson: string | null;
  readonly propertiesJson: string;
  readonly producedBy: string | null;
}

/** Checks the fields of a RegisterDatasetVersionInput; `at` is the input's path for errors. */
export function checkDatasetVersion(at: string, input: Omit<RegisterDatasetVersionInput, 'project'>): DatasetVersionSpec {
  return {
    name: checkName(`${at}.dataset`, input.dataset),
    digest: checkDigest(`${at}.digest`, input.digest),
    uri: checkUri(`${at}.uri`, input.uri),
    label: checkOptionalText(`${at}.label`, input.label, MAX_NAME_LENGTH),
    sizeBytes: checkCount(`${at}.sizeBytes`, input.sizeBytes),
    recordCount: checkCount(`${at}.recordCount`, input.recordCount),
    schemaJson: checkOptionalJson(`${at}.schema`, input.schema),
    propertiesJson: checkJsonObject(`${at}.properties`, input.properties),
    producedBy: input.producedBy ?? null,
  };
}

export async function registerDatasetVersion(ctx: ServiceDeps, input: RegisterDatasetVersionInput): Promise<DatasetVersionRow> {
  const { name, digest, uri, label, sizeBytes, recordCount, schemaJson, propertiesJson, producedBy } = checkDatasetVersion('input', input);
  const createdBy = ctx.viewer.subject;

  const checks = projectAndRefChecks(ctx.viewer, input.project, 'WRITER', producedBy === null ? [] : [{ field: 'input.producedBy', id: producedBy, labels: ['Run'] }]);

  const version = {
    id: newId('DatasetVersion'),
    projectId: input.project,
    name,
    datasetId: newId('Dataset'),
    label,
    digest,
    uri,
    sizeBytes,
    recordCount,
    schemaJson,
    propertiesJson,
    createdBy,
    producedBy,
  };
  // The previous version's id is the statement's (read under the dataset's lock).
  const events: NewEvent[] = [{ kind: 'DATASET_VERSION_CREATED', projectId: input.project, subjectId: version.id, name, actor: createdBy }];
  /** The version registered, the one with the digest, or CONFLICT for a label taken by another digest. */
  const outcome = ({ created, sameDigest, sameLabel }: DatasetVersionWrite): DatasetVersionRow => {
    if (sameDigest) return sameDigest;
    if (sameLabel) {
      throw conflict(`dataset '${name}' already has a version labelled '${label}' with another digest`, {
        field: 'input.label',
        existingId: sameLabel.id,
      });
    }
    return created!;
  };

  // One statement (two on the dataset's first use): the lock, the lookups under it (which so
  // see what earlier lock holders committed), the version with its event unless one with the
  // digest or label exists, and the project and producing run for the checks.
  return retryOnCreateRace(() =>
    gatedWrite(
      ctx.executor,
      'registerDatasetVersion',
      async (tx) => {
        const written = await writeDatasetVersion(tx, version, events, checks.ids, checks.gate);
        return written && outcome(written);
      },
      async (tx) => {
        const written = (await writeDatasetVersion(tx, version, events, checks.ids, null))!;
        checks.check(written.headers);
        return outcome(written);
      },
    ),
  );
}
