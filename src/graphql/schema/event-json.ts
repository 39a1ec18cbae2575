/**
 * The JSON body of a webhook delivery: the event as the GraphQL `VersionEvent` presents it,
 * executed through the schema's own resolvers (so subject kinds and display names read exactly
 * as they do in `versionEvents`), with the loaders of the page the event came in.
 */
import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import type { ExecutionResult, GraphQLSchema } from 'graphql';
import type { Context } from '../../context.ts';
import type { Delivery } from '../../events/subscription.ts';

const { execute, parse } = createRequire(import.meta.url)('graphql') as typeof GraphQL;

/** What a webhook body carries, besides its `type`. */
const SELECTION = parse(`subscription WebhookEvent {
  versionEvents {
    id
    cursor
    kind
    occurredAt
    project { id name }
    subject { id kind displayName }
    previous { id kind displayName }
    alias
    actor { id }
  }
}`);

/** The event's fields; rejects when they could not be read (Neo4j unavailable: the caller retries). */
export type RenderEvent = (delivery: Extract<Delivery, { event: unknown }>) => Promise<Record<string, unknown>>;

/** `contextFor(projectId)`: a context whose viewer can read that project (the loaders are replaced by the delivery's). */
export function createEventRenderer(schema: GraphQLSchema, contextFor: (projectId: string) => Context): RenderEvent {
  return async (delivery) => {
    const contextValue = { ...contextFor(delivery.event.projectId), loaders: delivery.loaders };
    const result = (await execute({ schema, document: SELECTION, rootValue: delivery, contextValue })) as ExecutionResult<{ versionEvents: Record<string, unknown> }>;
    if (result.errors?.length || !result.data) throw new Error(`could not read the event: ${result.errors?.[0]?.message ?? 'no data'}`);
    return result.data.versionEvents;
  };
}
