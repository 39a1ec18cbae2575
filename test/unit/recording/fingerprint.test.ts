import { describe, expect, it } from 'vitest';
import { runFingerprint } from '../../../src/domain/fingerprint.ts';

describe('runFingerprint', () => {
  const base = { type: 'TRAINING', code: { commit: 'abc' }, params: { lr: 0.1, opt: { b: 1, a: 2 } }, inputIds: ['dsv_2', 'dsv_1'] };

  it('is equal for equal computations, whatever the key and input order', () => {
    const same = { type: 'TRAINING', code: { commit: 'abc' }, params: { opt: { a: 2, b: 1 }, lr: 0.1 }, inputIds: ['dsv_1', 'dsv_2'] };
    expect(runFingerprint(same)).toBe(runFingerprint(base));
    expect(runFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when params, type, code or inputs differ', () => {
    const fp = runFingerprint(base);
    expect(runFingerprint({ ...base, params: { lr: 0.2, opt: { a: 2, b: 1 } } })).not.toBe(fp);
    expect(runFingerprint({ ...base, type: 'EVALUATION' })).not.toBe(fp);
    expect(runFingerprint({ ...base, code: { commit: 'def' } })).not.toBe(fp);
    expect(runFingerprint({ ...base, inputIds: ['dsv_1'] })).not.toBe(fp);
  });

  it('prefers the code digest over the commit', () => {
    expect(runFingerprint({ ...base, code: { digest: 'd', commit: 'abc' } })).toBe(runFingerprint({ ...base, code: { digest: 'd', commit: 'x' } }));
  });

  it('treats absent params as {}', () => {
    expect(runFingerprint({ type: 'OTHER' })).toBe(runFingerprint({ type: 'OTHER', params: {} }));
  });
});
