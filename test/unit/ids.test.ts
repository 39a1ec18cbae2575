import { describe, expect, it } from 'vitest';
import { labelOf, newId } from '../../src/domain/ids.ts';

describe('ids', () => {
  it('carries the label in its prefix', () => {
    expect(newId('DatasetVersion')).toMatch(/^dsv_[0-9a-f]{32}$/);
    expect(labelOf(newId('ModelVersion'))).toBe('ModelVersion');
    expect(labelOf(newId('Run'))).toBe('Run');
  });

  it('knows no label for malformed or foreign ids', () => {
    expect(labelOf('nope')).toBeUndefined();
    expect(labelOf('_abc')).toBeUndefined();
    expect(labelOf('xyz_123')).toBeUndefined();
  });

  it('sorts ids minted later after earlier ones', () => {
    const ids = Array.from({ length: 50 }, () => newId('Event'));
    expect([...ids].sort()).toEqual(ids);
  });

  it('stays unique, ordered and valid UUIDv7 across many refills of its random pool, within one millisecond too', () => {
    // 20,000 ids: about 80 refills of the 4 KiB pool, thousands per millisecond.
    const ids = Array.from({ length: 20_000 }, () => newId('Run'));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id, i) => i === 0 || ids[i - 1]! < id)).toBe(true);
    // Version 7 and the RFC 9562 variant, and the timestamp of now.
    for (const id of [ids[0]!, ids.at(-1)!]) {
      const hex = id.slice('run_'.length);
      expect(hex[12]).toBe('7');
      expect(['8', '9', 'a', 'b']).toContain(hex[16]);
      expect(Math.abs(parseInt(hex.slice(0, 12), 16) - Date.now())).toBeLessThan(60_000);
    }
    // Random bits differ between ids, not only the counter.
    expect(new Set(ids.map((id) => id.slice(-8))).size).toBeGreaterThan(19_000);
  });
});
