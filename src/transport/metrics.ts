/** Prometheus metrics, one registry per gateway (several gateways may share a process in tests). */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueryObserver } from '../neo4j/executor.ts';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'route' | 'status'>;
  readonly operations: Counter<'type' | 'outcome'>;
  readonly operationSeconds: Histogram<'type'>;
  readonly cypherQueries: Counter<'unit' | 'mode'>;
  readonly queryObserver: QueryObserver;
  /** Webhook delivery attempts by outcome, and the delivered events' commit-to-receiver latency. */
  readonly webhookAttempts: Counter<'outcome'>;
  readonly webhookDeliverySeconds: Histogram;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pedigree_' });
  const cypherQueries = new Counter({
    name: 'pedigree_cypher_queries_total',
    help: 'Cypher statements run, by unit of work',
    labelNames: ['unit', 'mode'] as const,
    registers: [registry],
  });
  return {
    registry,
    httpRequests: new Counter({
      name: 'pedigree_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    operations: new Counter({
      name: 'pedigree_graphql_operations_total',
      help: 'GraphQL operations by type and outcome',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    operationSeconds: new Histogram({
      name: 'pedigree_graphql_operation_duration_seconds',
      help: 'GraphQL operation duration',
      labelNames: ['type'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    cypherQueries,
    webhookAttempts: new Counter({
      name: 'pedigree_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, retry (answered 429/5xx or unreachable), failed, gone (410)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    webhookDeliverySeconds: new Histogram({
      name: 'pedigree_webhook_delivery_seconds',
      help: "From an event's commit to its receiver's 2xx answer, retries included",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers: [registry],
    }),
    queryObserver: { onQuery: ({ unit, mode }) => cypherQueries.inc({ unit, mode }) },
  };
}
