/**
 * The kinds of event the outbox (src/events/outbox.ts) appends. Here, below the services and
 * src/neo4j, so the event-log queries can name the internal kinds without importing the outbox.
 */
export type EventKind =
  | 'DATASET_VERSION_CREATED'
  | 'RUN_STARTED'
  | 'RUN_FINISHED'
  | 'CHECKPOINT_CREATED'
  | 'ARTIFACT_CREATED'
  | 'MODEL_VERSION_CREATED'
  | 'MODEL_VERSION_STATUS_CHANGED'
  | 'MODEL_ALIAS_MOVED'
  | 'DEPLOYMENT_CREATED'
  | 'DEPLOYMENT_STATUS_CHANGED'
  | 'NODE_QUARANTINED'
  | 'QUARANTINE_LIFTED'
  | 'SERVING_SKEW_DETECTED';

/**
 * Kinds the log keeps for the gateways only; no reader outside the dispatcher's tail
 * (src/events/tail.ts) ever sees them (eventsInRange leaves them out unless asked), so the
 * public EventKind is unchanged.
 * LINEAGE_LINKED: a recordLineage batch created an edge from a node that existed before it, which
 * can grow the upstream set of existing nodes; every dispatcher refreshes its upstreamOf watches
 * when it reads one, whichever instance wrote the batch. Its seq is a cursor position like any
 * other (cursors are opaque; a filtered stream skips seqs anyway).
 */
export type InternalEventKind = 'LINEAGE_LINKED';
export const INTERNAL_EVENT_KINDS: readonly InternalEventKind[] = ['LINEAGE_LINKED'];
