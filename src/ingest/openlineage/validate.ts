/**
 * Checks of an OpenLineage request body, all before anything is written: the 2-0-2 JSON
 * schema (ajv, with ajv-formats for date-time, uri and uuid), then Pedigree's own limits
 * (datasets per event, bytes per facet, no NUL character anywhere).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { badInput, limitExceeded, PedigreeError, ErrorCode } from '../../domain/errors.ts';
import { MAX_BATCH_ELEMENTS } from '../../recording/lineage-batch.ts';
import { OPENLINEAGE_SCHEMA, type EventKind } from './schema.ts';

/**
 * Inputs plus outputs of one event. An event is one recordLineage batch, in which a dataset
 * costs a node and an edge, and the run and its parent two nodes.
 */
export const MAX_DATASETS_PER_EVENT = Math.floor((MAX_BATCH_ELEMENTS - 2) / 2);
/** Bytes of one facet's JSON: the bound recording puts on any stored JSON value. */
export const MAX_FACET_BYTES = 1024 * 1024;
/** Validator messages in an error answer. */
const MAX_MESSAGES = 20;

type Facets = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export interface OlDataset {
  readonly namespace: string;
  readonly name: string;
  readonly facets?: Facets;
}

export interface OlJob {
  readonly namespace: string;
  readonly name: string;
  readonly facets?: Facets;
}

export interface OlRunEvent {
  readonly eventType?: 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';
  readonly eventTime: string;
  readonly run: { readonly runId: string; readonly facets?: Facets };
  readonly job: OlJob;
  readonly inputs?: readonly OlDataset[];
  readonly outputs?: readonly OlDataset[];
}

export type CheckedEvent =
  | { readonly kind: 'RunEvent'; readonly event: OlRunEvent }
  | { readonly kind: 'JobEvent'; readonly event: { readonly job: OlJob } }
  | { readonly kind: 'DatasetEvent'; readonly event: { readonly dataset: OlDataset } };

// strictRequired off: the spec's `not: { required: [...] }` names properties on purpose.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats.default(ajv, ['date-time', 'uri', 'uuid']);
ajv.addSchema(OPENLINEAGE_SCHEMA);
const validators = new Map<EventKind, ValidateFunction>(
  (['RunEvent', 'JobEvent', 'DatasetEvent'] as const).map((kind) => [kind, ajv.getSchema(`${OPENLINEAGE_SCHEMA.$id}#/$defs/${kind}`)!]),
);

/** The event, checked; BAD_USER_INPUT (with `details.errors`) or LIMIT_EXCEEDED otherwise. */
export function checkEvent(body: unknown): CheckedEvent {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badInput('event', 'the request body must be one OpenLineage event (a JSON object)');
  }
  const fields = body as Record<string, unknown>;
  const datasets = lengthOf(fields['inputs']) + lengthOf(fields['outputs']);
  if (datasets > MAX_DATASETS_PER_EVENT) {
    throw limitExceeded(`an event may name at most ${MAX_DATASETS_PER_EVENT} input and output datasets; this one names ${datasets}`, {
      field: 'event.inputs',
    });
  }
  // The spec's top level is oneOf the three; validating against the one the body claims to be
  // gives messages about that kind instead of three kinds' worth of mismatches.
  const kind: EventKind = 'run' in fields ? 'RunEvent' : 'dataset' in fields ? 'DatasetEvent' : 'JobEvent';
  const validate = validators.get(kind)!;
  if (!validate(body)) {
    const errors = (validate.errors ?? []).slice(0, MAX_MESSAGES).map(describe);
    throw new PedigreeError(ErrorCode.BAD_USER_INPUT, `the event is not a valid OpenLineage 2-0-2 ${kind}: ${errors[0] ?? 'invalid'}`, { field: 'event', errors });
  }
  checkStrings(body, 'event');
  checkFacetSizes(body as CheckedEvent['event']);
  return { kind, event: body } as CheckedEvent;
}

function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'event' : `event${error.instancePath.replaceAll('/', '.')}`;
  const allowed = error.keyword === 'enum' ? ` (${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
  return `${where} ${error.message ?? 'is invalid'}${allowed}`;
}

/** NUL never reaches the database: not in a value, not in a key, not in a facet Pedigree ignores. */
function checkStrings(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw badInput(path, `${path} must not contain NUL characters`);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkStrings(item, `${path}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) throw badInput(path, `the keys of ${path} must not contain NUL characters`);
      checkStrings(item, `${path}.${key}`);
    }
  }
}

function checkFacetSizes(event: CheckedEvent['event']): void {
  const check = (path: string, facets: unknown) => {
    if (facets === null || typeof facets !== 'object') return;
    for (const [name, facet] of Object.entries(facets)) {
      const bytes = Buffer.byteLength(JSON.stringify(facet));
      if (bytes > MAX_FACET_BYTES) {
        throw limitExceeded(`facet ${path}.${name} is ${bytes} bytes of JSON; a facet may have at most ${MAX_FACET_BYTES}`, { field: `${path}.${name}` });
      }
    }
  };
  const e = event as Record<string, { facets?: unknown; inputFacets?: unknown; outputFacets?: unknown }[] | { facets?: unknown } | undefined>;
  for (const part of ['run', 'job', 'dataset'] as const) check(`event.${part}.facets`, (e[part] as { facets?: unknown } | undefined)?.facets);
  for (const side of ['inputs', 'outputs'] as const) {
    ((e[side] as { facets?: unknown; inputFacets?: unknown; outputFacets?: unknown }[] | undefined) ?? []).forEach((dataset, i) => {
      check(`event.${side}[${i}].facets`, dataset.facets);
      check(`event.${side}[${i}].inputFacets`, dataset.inputFacets);
      check(`event.${side}[${i}].outputFacets`, dataset.outputFacets);
    });
  }
}
