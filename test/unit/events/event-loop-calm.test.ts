import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { eventLoopCalm } from '../../../src/events/sequenced-writes.ts';

/** Keeps the event loop busy (no await) for `ms`. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('eventLoopCalm', () => {
  it('says busy after a window the loop spent mostly running, and calm again after an idle one', async () => {
    const calm = eventLoopCalm({ threshold: 0.5, windowMs: 100 });
    await sleep(150);
    expect(calm()).toBe(true);
    spin(300);
    expect(calm()).toBe(false);
    // A window shorter than windowMs keeps the last answer.
    expect(calm()).toBe(false);
    await sleep(400);
    expect(calm()).toBe(true);
  });
});
