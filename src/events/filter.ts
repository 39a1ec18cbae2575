/**
 * EventFilter: validation, and the in-memory match the dispatcher applies to live events. The
 * same conditions run in Cypher for replay and polling (src/neo4j/queries/events.ts
 * `eventsInRange`); test/e2e/events*.test.ts checks both paths deliver the same events.
 */
import { canReadProject, type ReadScope } from '../auth/scope.ts';
import { badInput, notFound } from '../domain/errors.ts';
import { labelOf } from '../domain/ids.ts';
import type { EventColumns, StoredEvent, UpstreamWatch } from '../neo4j/queries/events.ts';
import type { EventKind, InternalEventKind } from '../domain/event-kinds.ts';

export const EVENT_KINDS: readonly EventKind[] = [
  'DATASET_VERSION_CREATED',
  'RUN_STARTED',
  'RUN_FINISHED',
  'CHECKPOINT_CREATED',
  'ARTIFACT_CREATED',
  'MODEL_VERSION_CREATED',
  'MODEL_VERSION_STATUS_CHANGED',
  'MODEL_ALIAS_MOVED',
  'DEPLOYMENT_CREATED',
  'DEPLOYMENT_STATUS_CHANGED',
  'NODE_QUARANTINED',
  'QUARANTINE_LIFTED',
  'SERVING_SKEW_DETECTED',
];

/**
 * Kinds whose write can add a lineage edge from an existing node, and so can grow the upstream
 * set of a node that already exists: finishRun links its outputs to the run; a recordLineage
 * batch whose edges leave existing nodes appends LINEAGE_LINKED (also when it creates no node).
 * Every other recording creates its edges from a node it creates, which nothing can derive from
 * yet. A write that links existing nodes must append one of these kinds, or be listed here.
 */
export const LINEAGE_CHANGING_KINDS: ReadonlySet<string> = new Set<EventKind | InternalEventKind>(['RUN_FINISHED', 'LINEAGE_LINKED']);

const LINEAGE_PREFIXES = new Set(['DatasetVersion', 'Run', 'Checkpoint', 'ModelVersion', 'Deployment', 'Artifact']);
const MAX_LIST = 100;

export interface EventFilterInput {
  readonly projects?: readonly string[] | null | undefined;
  readonly kinds?: readonly string[] | null | undefined;
  readonly names?: readonly string[] | null | undefined;
  readonly upstreamOf?: string | null | undefined;
}

export interface EventFilter extends EventColumns {
  readonly upstreamOf: string | null;
}

/**
 * Validates the filter; BAD_USER_INPUT names the offending field ('filter.projects[2]'). With
 * a read scope, the filter is restricted to the projects the viewer can read: a named project
 * it cannot read is NOT_FOUND, and no `projects` means all readable ones (no existence leaks).
 */
export function checkFilter(input: EventFilterInput | null | undefined, scope: ReadScope = { projectIds: null }): EventFilter {
  const projects = checkList('filter.projects', input?.projects, (field, id) => {
    if (labelOf(id) !== 'Project') throw badInput(field, `${field} must be a project id`);
  });
  const kinds = checkList('filter.kinds', input?.kinds, (field, kind) => {
    if (!(EVENT_KINDS as readonly string[]).includes(kind)) throw badInput(field, `${field} is not an event kind`);
  });
  const names = checkList('filter.names', input?.names, (field, name) => {
    if (name.length === 0 || name.length > 200) throw badInput(field, `${field} must be 1 to 200 characters`);
  });
  const upstreamOf = input?.upstreamOf ?? null;
  if (upstreamOf !== null && !LINEAGE_PREFIXES.has(labelOf(upstreamOf) ?? '')) {
    throw badInput('filter.upstreamOf', 'filter.upstreamOf must be the id of a lineage node');
  }
  if (scope.projectIds === null) return { projects, kinds, names, upstreamOf };
  projects?.forEach((id, i) => {
    if (!canReadProject(scope, id)) throw notFound('project', id, `filter.projects[${i}]`);
  });
  return { projects: projects ?? [...scope.projectIds], kinds, names, upstreamOf };
}

function checkList(field: string, values: readonly string[] | null | undefined, check: (field: string, value: string) => void): string[] | null {
  if (values === null || values === undefined) return null;
  if (values.length === 0) throw badInput(field, `${field} must not be empty; leave it out to match everything`);
  if (values.length > MAX_LIST) throw badInput(field, `${field} takes at most ${MAX_LIST} values`);
  values.forEach((value, i) => check(`${field}[${i}]`, value));
  return [...new Set(values)];
}

/** A filter ready to match: list filters as sets, the watch with its closure as a set. */
export interface Matcher {
  readonly filter: EventFilter;
  /** The project of the watched node (lineage never crosses projects). */
  readonly watchedProject: string | null;
  watch: UpstreamWatch | null;
  closure: ReadonlySet<string>;
  matches(event: StoredEvent): boolean;
}

/** `watchedProject` is the project of `filter.upstreamOf`; its watch starts empty until refreshed. */
export function createMatcher(filter: EventFilter, watchedProject: string | null): Matcher {
  const projects = filter.projects ? new Set(filter.projects) : null;
  const kinds = filter.kinds ? new Set(filter.kinds) : null;
  const names = filter.names ? new Set(filter.names) : null;
  const matcher: Matcher = {
    filter,
    watchedProject,
    watch: filter.upstreamOf === null ? null : { closure: [], since: {} },
    closure: new Set(),
    matches(event) {
      if (projects && !projects.has(event.projectId)) return false;
      if (kinds && !kinds.has(event.kind)) return false;
      if (names && (event.name === null || !names.has(event.name))) return false;
      const current = matcher.watch;
      if (!current) return true;
      if (event.series === null || event.subjectCreatedMs === null || matcher.closure.has(event.subjectId)) return false;
      const since = Object.hasOwn(current.since, event.series) ? current.since[event.series] : undefined;
      return since !== undefined && event.subjectCreatedMs >= since;
    },
  };
  return matcher;
}

/** Replaces the watch of a matcher after its upstream set was recomputed. */
export function refreshMatcher(matcher: Matcher, watch: UpstreamWatch): void {
  matcher.watch = watch;
  matcher.closure = new Set(watch.closure);
}
