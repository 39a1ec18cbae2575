/**
 * src/neo4j/bolt-writes.ts: a statement with large parameters leaves the driver in one socket
 * write per turn of the event loop, not one per 1,400-byte chunk (a cost shape: system calls
 * per statement), and arrives whole.
 */
import { Socket } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { coalesceBoltWrites } from '../../../src/neo4j/bolt-writes.ts';
import { createDriver } from '../../../src/neo4j/driver.ts';

const driver = createDriver({ uri: inject('neo4jUri'), user: 'neo4j', password: 'neo4j', retryMs: 5_000 });
afterAll(async () => {
  coalesceBoltWrites(true);
  await driver.close();
});

/** Calls of Socket#_write and Socket#_writev (each one system call) while `work` runs. */
async function socketWrites(work: () => Promise<void>): Promise<number> {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const original = { _write: proto._write, _writev: proto._writev };
  let calls = 0;
  for (const name of ['_write', '_writev'] as const) {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      calls++;
      return original[name].apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    Object.assign(proto, original);
  }
  return calls;
}

describe('Bolt writes', () => {
  const text = 'lineage '.repeat(25_000);
  const list = Array.from({ length: 2_000 }, (_, i) => ({ id: `n${i}`, step: i }));
  const statement = async () => {
    const { records } = await driver.executeQuery('RETURN size($text) AS length, size($list) AS items, $list[-1].id AS last', { text, list });
    expect(records.map((r) => r.toObject())).toEqual([{ length: text.length, items: 2_000, last: 'n1999' }]);
  };

  it('sends a statement with 200 KB of parameters in one socket write, and the server reads it whole', async () => {
    await driver.executeQuery('RETURN 1'); // a pooled connection, so the counted writes are the statement's
    expect(await socketWrites(statement)).toBeLessThanOrEqual(2);
  });

  it('without the coalescing, the driver writes each 1,400-byte chunk on its own', async () => {
    coalesceBoltWrites(false);
    try {
      // 200 KB is about 150 chunks.
      expect(await socketWrites(statement)).toBeGreaterThan(100);
    } finally {
      coalesceBoltWrites(true);
    }
  });
});
