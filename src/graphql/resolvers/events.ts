/**
 * Query.events (polling), Subscription.versionEvents and the VersionEvent fields. Event subjects
 * are hydrated through the loaders of the page the event came in (see src/transport/ws/shared-next.ts), so
 * one page costs one query per label however many subscribers receive it.
 */
import { readScope } from '../../auth/scope.ts';
import { notFound } from '../../domain/errors.ts';
import { decodeCursor, encodeCursor } from '../../events/cursor.ts';
import { checkFilter } from '../../events/filter.ts';
import { listEvents } from '../../events/log.ts';
import type { Delivery } from '../../events/subscription.ts';
import type { Context } from '../../context.ts';
import type { Resolvers, SubscriptionVersionEventsArgs } from '../../generated/graphql.ts';
import type { StoredEvent } from '../../neo4j/queries/events.ts';
import { lineageTypeOf, loadLineageNode } from '../../lineage/node.ts';
import { userRef } from './lineage-node.ts';

/** A watched node of a project the viewer cannot read is NOT_FOUND, like a missing one. */
async function requireReadableWatch(ctx: Context, id: string | null | undefined): Promise<void> {
  // Ids that are not lineage ids at all are left to checkFilter (BAD_USER_INPUT).
  if (id != null && lineageTypeOf({ id }) !== null && (await loadLineageNode(ctx, id)) === null) throw notFound('lineage node', id, 'filter.upstreamOf');
}

export const eventResolvers: Resolvers = {
  Query: {
    async events(_parent, args, ctx) {
      await requireReadableWatch(ctx, args.filter?.upstreamOf);
      const page = await listEvents(ctx.executor, args, readScope(ctx.viewer));
      return { nodes: page.events, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
    },
  },
  Subscription: {
    versionEvents: {
      subscribe: async (_parent: unknown, args: SubscriptionVersionEventsArgs, ctx: Context) => {
        const filter = checkFilter(args.filter, readScope(ctx.viewer));
        await requireReadableWatch(ctx, filter.upstreamOf);
        const after = args.after === null || args.after === undefined ? null : decodeCursor('after', args.after);
        return ctx.events.subscribe(filter, after) as unknown as AsyncIterable<unknown>;
      },
      resolve: (delivery: Delivery): StoredEvent => {
        if ('error' in delivery) throw delivery.error;
        return delivery.event;
      },
    } as never,
  },
  VersionEvent: {
    cursor: (event) => encodeCursor(event.seq),
    kind: (event) => event.kind as never,
    project: async (event, _args, ctx) => (await ctx.loaders.project.load(event.projectId))!,
    subject: async (event, _args, ctx) => (await loadLineageNode(ctx, event.subjectId))!,
    previous: (event, _args, ctx) => (event.previousId ? loadLineageNode(ctx, event.previousId) : null),
    actor: (event) => userRef(event.actor),
  },
};
