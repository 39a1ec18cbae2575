/**
 * runWorker (src/events/webhooks/worker.ts) ends when drained, even when the drain came while it
 * was still opening its subscription: the stream it then gets is closed at once, instead of
 * waiting for live events until the dispatcher stops (which the gateway does after the worker's stop).
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { runWorker, type WorkerDeps } from '../../../../src/events/webhooks/worker.ts';
import type { Delivery } from '../../../../src/events/subscription.ts';

/** A live stream with no events: next() waits until return() is called. */
function idleStream(): AsyncIterableIterator<Delivery> & { returned: boolean } {
  let release: (() => void) | null = null;
  const stream = {
    returned: false,
    next: () => (stream.returned ? Promise.resolve({ done: true, value: undefined }) : new Promise<IteratorResult<Delivery>>((resolve) => (release = () => resolve({ done: true, value: undefined })))),
    return: () => {
      stream.returned = true;
      release?.();
      return Promise.resolve({ done: true as const, value: undefined });
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream as never;
}

describe('runWorker', () => {
  it('ends when drained while its subscription was being opened', async () => {
    const drain = new AbortController();
    const stream = idleStream();
    const deps = {
      held: { id: 'whk_1', projectId: 'prj_1', kinds: null, names: null, cursor: 0 },
      secret: `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`,
      carried: null,
      dispatcher: {
        // The drain comes while subscribe is under way.
        subscribe: async () => {
          drain.abort();
          return stream;
        },
      },
      drain: drain.signal,
      kill: new AbortController().signal,
      logger: pino({ level: 'silent' }),
    } as unknown as WorkerDeps;
    const outcome = await Promise.race([runWorker(deps).then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('still running'), 2_000))]);
    expect(outcome).toBe('ended');
    expect(stream.returned).toBe(true);
  });
});
