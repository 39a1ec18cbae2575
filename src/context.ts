/** The per-request context: who is asking, the loaders and the executor for this request. */
import type { Logger } from 'pino';
import { readScope } from './auth/scope.ts';
import type { Viewer } from './auth/viewer.ts';
import type { Dispatcher } from './events/dispatcher.ts';
import type { WebhookSettings } from './events/webhooks/manage.ts';
import { createLoaders, type Loaders } from './loaders/index.ts';
import type { ServingTargets } from './monitoring/targets.ts';
import type { Executor, QueryObserver } from './neo4j/executor.ts';

export interface Context {
  readonly requestId: string;
  readonly viewer: Viewer;
  readonly executor: Executor;
  readonly loaders: Loaders;
  readonly logger: Logger;
  /** Closes this gateway's WebSockets authenticated with the API token (on revocation). */
  readonly closeSocketsOf: (tokenId: string) => void;
  /** This process's event dispatcher: subscriptions open through it. */
  readonly events: Dispatcher;
  /** What creating a webhook checks against (private addresses) and seals secrets with. */
  readonly webhooks: WebhookSettings;
  /** This process's last-seen serving targets per deployment (src/monitoring/targets.ts). */
  readonly servingTargets: ServingTargets;
}

export interface ContextDeps {
  readonly executor: Executor;
  readonly logger: Logger;
  readonly closeSocketsOf: (tokenId: string) => void;
  readonly events: Dispatcher;
  readonly webhooks: WebhookSettings;
  readonly servingTargets: ServingTargets;
  /** Sees every Cypher statement of every request (metrics; tests count queries). */
  readonly queryObserver?: (requestId: string) => QueryObserver | undefined;
}

export function createContext(deps: ContextDeps, requestId: string, viewer: Viewer): Context {
  const observer = deps.queryObserver?.(requestId);
  const executor = observer ? deps.executor.observed(observer) : deps.executor;
  let logger: Logger | undefined;
  return {
    requestId,
    viewer,
    executor,
    // Loaders see only the projects the viewer can read: every read path goes through them.
    loaders: createLoaders(executor, readScope(viewer)),
    // Created on first use: a pino child costs more than the request's loaders, and most requests log nothing.
    get logger() {
      return (logger ??= deps.logger.child({ requestId }));
    },
    closeSocketsOf: deps.closeSocketsOf,
    events: deps.events,
    webhooks: deps.webhooks,
    servingTargets: deps.servingTargets,
  };
}
