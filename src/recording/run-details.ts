/**
 * recordRunDetails: what a tracking client adds to a run after starting it (params, string
 * tags, metrics, a new name, a code reference), in one write transaction. Params are
 * write-once: a key keeps its first value (a different value is BAD_USER_INPUT), because
 * the run's fingerprint is computed over them and is recomputed here. Params and metrics are
 * accepted while the run is RUNNING; tags and the name at any time.
 */
import type { ServiceDeps } from '../auth/viewer.ts';
import { searchProperties } from '../domain/search-params.ts';
import { badInput, conflict } from '../domain/errors.ts';
import type { MetricInput } from '../generated/graphql.ts';
import { appendMetrics, runInputIds, updateRunDetails } from '../neo4j/queries/runs.ts';
import type { RunRow } from '../domain/rows.ts';
import { runFingerprint } from '../domain/fingerprint.ts';
import { canonicalJson, checkJsonObject } from '../domain/json.ts';
import { checkMetrics, requireRun } from './runs.ts';
import { checkName, checkText, MAX_NAME_LENGTH } from './validate.ts';

export const MAX_TAG_VALUE_LENGTH = 8_000;
const MAX_PARAM_VALUE_LENGTH = 6_000;

export interface CodeRefPatch {
  readonly repository?: string | null;
  readonly commit?: string | null;
  readonly path?: string | null;
}

export interface RecordRunDetailsInput {
  readonly run: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly removeTags?: readonly string[];
  readonly metrics?: readonly MetricInput[];
  readonly name?: string | null;
  /** Fields given replace the run's code reference fields. */
  readonly code?: CodeRefPatch | null;
}

function checkStrings(field: string, values: Readonly<Record<string, string>> | undefined, max: number): [string, string][] {
  return Object.entries(values ?? {}).map(([key, value]) => {
    checkName(`${field}.${key}`, key);
    if (key.length > 250) throw badInput(`${field}.${key}`, `${field} keys must be at most 250 characters`);
    if (typeof value !== 'string') throw badInput(`${field}.${key}`, `${field}.${key} must be a string`);
    return [key, checkText(`${field}.${key}`, value, max)];
  });
}

export async function recordRunDetails(ctx: ServiceDeps, input: RecordRunDetailsInput): Promise<RunRow> {
  const runId = checkName('input.run', input.run);
  const params = checkStrings('input.params', input.params, MAX_PARAM_VALUE_LENGTH);
  const tags = checkStrings('input.tags', input.tags, MAX_TAG_VALUE_LENGTH);
  const removeTags = (input.removeTags ?? []).map((key, i) => checkName(`input.removeTags[${i}]`, key));
  const series = checkMetrics('input.metrics', input.metrics ?? []);
  const name = input.name === null || input.name === undefined ? null : checkName('input.name', input.name);
  const code = input.code
    ? Object.fromEntries(Object.entries(input.code).map(([key, value]) => [key, value === null || value === undefined ? null : checkText(`input.code.${key}`, value, key === 'commit' ? MAX_NAME_LENGTH : undefined)]))
    : null;

  return ctx.executor.write('recordRunDetails', async (tx) => {
    const run = await requireRun(tx, ctx.viewer, runId);
    if ((params.length > 0 || series.length > 0) && run.status !== 'RUNNING') {
      throw conflict(`the run is ${run.status}; only RUNNING runs accept params and metrics`, { status: run.status });
    }
    const current = JSON.parse(run.paramsJson) as Record<string, unknown>;
    for (const [key, value] of params) {
      const old = current[key];
      if (old !== undefined && old !== value) {
        throw badInput(`input.params.${key}`, `param '${key}' already has the value '${String(old)}'; params cannot change`);
      }
      current[key] = value;
    }
    const paramsJson = checkJsonObject('input.params', current);
    const currentTags = JSON.parse(run.tagsJson ?? '{}') as Record<string, string>;
    for (const [key, value] of tags) currentTags[key] = value;
    for (const key of removeTags) delete currentTags[key];
    // A property never set reads as undefined.
    const storedCode = run.codeJson ?? null;
    const codeValue = code ? { ...(JSON.parse(storedCode ?? '{}') as Record<string, unknown>), ...code } : storedCode === null ? null : JSON.parse(storedCode);
    const codeJson = codeValue === null ? null : canonicalJson(codeValue);
    const fingerprint = runFingerprint({
      type: run.type,
      code: codeValue as { digest?: string | null; commit?: string | null } | null,
      params: JSON.parse(paramsJson),
      inputIds: await runInputIds(tx, runId),
    });
    if (series.length > 0) await appendMetrics(tx, runId, series);
    return updateRunDetails(tx, runId, {
      paramsJson,
      searchProps: searchProperties(paramsJson),
      tagsJson: canonicalJson(currentTags),
      name: name ?? run.name,
      codeJson,
      fingerprint,
    });
  });
}
