/** readAhead (src/events/webhooks/worker.ts): a worker's stream read before it is needed, in order, bounded. */
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../../../src/events/webhooks/worker.ts';

/** A single-consumer stream of 0..count-1 that fails if next() is called while a call is pending. */
function stream(count: number, failAt: number | null = null) {
  let i = 0;
  let pending = false;
  return {
    read: () => i,
    next: async (): Promise<IteratorResult<number>> => {
      if (pending) throw new Error('concurrent next()');
      pending = true;
      await new Promise((resolve) => setTimeout(resolve, 1));
      pending = false;
      if (failAt !== null && i === failAt) throw new Error('stream failed');
      return i < count ? { done: false, value: i++ } : { done: true, value: undefined };
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('readAhead', () => {
  it('yields every item in order and prefetches each as soon as it is read, at most `ahead` ahead', async () => {
    const source = stream(20);
    const prefetched: number[] = [];
    const seen: number[] = [];
    for await (const item of readAhead(source, 4, (n) => prefetched.push(n))) {
      if (item === 0) {
        await settle();
        // While the consumer holds item 0, the reader fetched the next 4 and no more.
        expect(prefetched).toEqual([0, 1, 2, 3, 4]);
        expect(source.read()).toBe(5);
      }
      seen.push(item);
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(prefetched).toEqual(seen);
  });

  it('passes a failure of the stream to the consumer after the items read before it', async () => {
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const item of readAhead(stream(10, 3), 8, () => {})) seen.push(item);
      })(),
    ).rejects.toThrow('stream failed');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('stops reading when the consumer stops', async () => {
    const source = stream(1_000);
    for await (const item of readAhead(source, 2, () => {})) if (item === 1) break;
    await settle();
    // Items 0 and 1 taken, at most 2 more buffered, plus the read in flight when it stopped.
    expect(source.read()).toBeLessThanOrEqual(5);
  });
});
