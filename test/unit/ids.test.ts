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
});
