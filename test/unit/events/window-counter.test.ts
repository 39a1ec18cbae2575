/**
 * The counter behind the rate bound of inline numbering (src/events/sequenced-writes.ts): what
 * was added over the last one to two windows, on a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { windowCounter } from '../../../src/events/sequenced-writes.ts';

describe('windowCounter', () => {
  it('counts the current window and the one before, and forgets older ones', () => {
    let now = 1_000;
    const counter = windowCounter(100, () => now);
    for (let i = 0; i < 5; i += 1) counter.add();
    expect(counter.count()).toBe(5);
    now += 99;
    expect(counter.count()).toBe(5);
    // The next window: the five are the previous bucket, three more the current one.
    now += 1;
    for (let i = 0; i < 3; i += 1) counter.add();
    expect(counter.count()).toBe(8);
    // One window later the five are gone, the three are the previous bucket.
    now += 100;
    expect(counter.count()).toBe(3);
    counter.add();
    expect(counter.count()).toBe(4);
  });

  it('forgets everything after two quiet windows, and keeps its buckets aligned after a gap', () => {
    let now = 0;
    const counter = windowCounter(100, () => now);
    for (let i = 0; i < 40; i += 1) counter.add();
    now = 250;
    expect(counter.count()).toBe(0);
    counter.add();
    // The bucket that holds 250 started at 200: at 299 it is still current, at 300 the previous one.
    now = 299;
    expect(counter.count()).toBe(1);
    now = 300;
    counter.add();
    expect(counter.count()).toBe(2);
    now = 400;
    expect(counter.count()).toBe(1);
  });
});
