/** Loaders of webhooks (per request; see src/loaders/index.ts). */
import DataLoader from 'dataloader';
import { deliveriesOfWebhooks } from '../events/webhooks/manage.ts';
import type { Executor } from '../neo4j/executor.ts';
import type { WebhookDeliveryRow } from '../neo4j/queries/webhooks.ts';

export interface WebhookLoaders {
  /** A webhook's newest `first` deliveries: the webhooks of one page in one statement. */
  readonly webhookDeliveries: DataLoader<{ webhookId: string; first: number }, WebhookDeliveryRow[], string>;
}

export function createWebhookLoaders(executor: Executor): WebhookLoaders {
  return {
    webhookDeliveries: new DataLoader((keys) => deliveriesOfWebhooks(executor, keys), { cacheKeyFn: ({ webhookId, first }) => `${webhookId}:${first}` }),
  };
}
