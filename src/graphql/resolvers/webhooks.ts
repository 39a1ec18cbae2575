/** Webhooks: thin resolvers over src/events/webhooks/manage.ts. */
import type { Context } from '../../context.ts';
import { createWebhook, deleteWebhook, listDeliveries, listWebhooks, setWebhookActive, type WebhookDeps } from '../../events/webhooks/manage.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { userRef } from './lineage-node.ts';

const deps = (ctx: Context): WebhookDeps => ({ executor: ctx.executor, viewer: ctx.viewer, settings: ctx.webhooks });

export const webhookResolvers: Resolvers = {
  Query: {
    webhooks: (_parent, { project }, ctx) => listWebhooks(deps(ctx), project),
  },
  Mutation: {
    createWebhook: (_parent, { input }, ctx) => createWebhook(deps(ctx), input),
    setWebhookActive: (_parent, { id, active }, ctx) => setWebhookActive(deps(ctx), id, active),
    deleteWebhook: (_parent, { id }, ctx) => deleteWebhook(deps(ctx), id),
  },
  Webhook: {
    project: async (row, _args, ctx) => (await ctx.loaders.project.load(row.projectId))!,
    kinds: (row) => (row.kinds as never) ?? null,
    createdBy: (row) => userRef(row.createdBy),
    deliveries: (row, { first }, ctx) => listDeliveries(ctx.loaders.webhookDeliveries, row, first),
  },
  WebhookDelivery: {
    event: (row) => row.event,
  },
};
