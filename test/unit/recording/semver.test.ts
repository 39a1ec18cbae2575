import { describe, expect, it } from 'vitest';
import { checkOptionalSemver, isSemver } from '../../../src/domain/semver.ts';

describe('semver', () => {
  it('accepts versions of the semver.org 2.0 grammar', () => {
    for (const v of ['0.0.0', '1.2.3', '10.20.30', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-0.3.7', '1.0.0-x.7.z.92', '1.0.0+20130313144700', '1.0.0-beta+exp.sha.5114f85', '1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay', '2.0.0-rc.1+build.123']) {
      expect(isSemver(v), v).toBe(true);
    }
  });

  it('rejects everything else', () => {
    for (const v of ['', '1', '1.2', '1.2.3.4', 'v1.2.3', '01.1.1', '1.01.1', '1.1.01', '1.2.3-0123', '1.2.3-', '1.2.3+', '1.2.3-alpha..1', '1.2.3+build..1', ' 1.2.3', '1.2.3 ', '1.2.3-ä', `1.2.3-${'a'.repeat(300)}`]) {
      expect(isSemver(v), v).toBe(false);
    }
  });

  it('reports the field on bad input and passes absent values through', () => {
    expect(checkOptionalSemver('input.semver', null)).toBeNull();
    expect(checkOptionalSemver('input.semver', undefined)).toBeNull();
    expect(checkOptionalSemver('input.semver', '1.0.0')).toBe('1.0.0');
    expect(() => checkOptionalSemver('input.semver', '1.0')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'input.semver' } }));
  });
});
