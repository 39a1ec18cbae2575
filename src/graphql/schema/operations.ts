/**
 * The subscription execution that gives each event the loaders of the page it was dispatched
 * in, and one execution per event to subscribers of the same operation.
 */
import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type { Context } from '../../context.ts';
import type { Delivery, LiveSink, Subscription } from '../../events/subscription.ts';

// The schema is built by @apollo/subgraph with graphql's CommonJS build; functions that check
// `instanceof GraphQLSchema` must come from the same build. Node's ESM import of 'graphql'
// resolves to it too, but bundler-style resolvers (vitest) pick index.mjs, so require it.
const { createSourceEventStream, execute, print } = createRequire(
  import.meta.url,
)('graphql') as typeof GraphQL;

/** Makes the live sink of one subscription from its operation key and shared execution (the transport's). */
export type LiveFrames = (operationKey: string, execute: (delivery: Delivery) => Promise<ExecutionResult>) => LiveSink;

/**
 * Results of one event, per operation: subscribers that sent the same operation with the same
 * variables as the same viewer get the same result, executed once (with 1,000 subscribers,
 * executing the selection per subscriber per event is what would bound the fan-out).
 */
const sharedResults = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

/**
 * graphql-js `subscribe`, except that each event is executed with the loaders of its page
 * (a context per event), so per-subscription loaders never grow or go stale and one page is
 * hydrated once for all subscribers; and identical operations share one execution per event.
 * Given the transport's sink for the subscription's socket and id (`frames`, liveFrames in
 * src/transport/ws/shared-next.ts), live events are written as frames directly, bypassing this
 * iterator while graphql-ws waits on it.
 */
export async function subscribeWithEventLoaders(args: ExecutionArgs, frames?: LiveFrames): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
  const iterator = (source as AsyncIterable<Delivery>)[Symbol.asyncIterator]();
  const context = args.contextValue as Context;
  const operationKey = JSON.stringify([print(args.document), args.operationName ?? null, args.variableValues ?? null, context.viewer]);
  const executeOnce = (delivery: Delivery) =>
    execute({ ...args, rootValue: delivery, contextValue: 'event' in delivery ? { ...context, loaders: delivery.loaders } : context }) as Promise<ExecutionResult>;
  const run = (delivery: Delivery): Promise<ExecutionResult> => {
    if (!('event' in delivery)) return executeOnce(delivery);
    let results = sharedResults.get(delivery.event);
    if (!results) sharedResults.set(delivery.event, (results = new Map()));
    let result = results.get(operationKey);
    if (!result) results.set(operationKey, (result = executeOnce(delivery)));
    return result;
  };
  if (frames && isSubscription(iterator)) iterator.attach(frames(operationKey, run));
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const result = await iterator.next();
      return result.done ? { done: true, value: undefined } : { done: false, value: await run(result.value) };
    },
    async return() {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  };
  return mapped;
}

/** The dispatcher's subscriptions (src/events/subscription.ts) take a LiveSink. */
function isSubscription(iterator: AsyncIterator<Delivery>): iterator is Subscription {
  return typeof (iterator as Partial<Subscription>).attach === 'function';
}
