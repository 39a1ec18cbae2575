import { describe, expect, it } from 'vitest';
import { checkFirst, connection, decodeCursor, encodeCursor } from '../../../src/domain/connection.ts';

const badAfter = { code: 'BAD_USER_INPUT', details: { field: 'after' } };

describe('connection', () => {
  it('checks first against the list maximum', () => {
    expect(checkFirst(0)).toBe(0);
    expect(checkFirst(500)).toBe(500);
    expect(checkFirst(1000, 1000)).toBe(1000);
    for (const bad of [-1, 1.5, 501]) expect(() => checkFirst(bad)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'first' } }));
  });

  it('round-trips a tagged position through an opaque base64url cursor', () => {
    const cursor = encodeCursor('servingWindows', [2000, 1000]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'servingWindows', ['integer', 'integer'])).toEqual([2000, 1000]);
    expect(decodeCursor(encodeCursor('runs', [0.5, 'run_x']), 'runs', ['scalar', 'string'])).toEqual([0.5, 'run_x']);
    expect(decodeCursor(null, 'runs', ['string'])).toBeNull();
    expect(decodeCursor(undefined, 'runs', ['string'])).toBeNull();
  });

  it('refuses a cursor of another list, of another shape or not ours', () => {
    const cursor = encodeCursor('datasets', ['mnist']);
    expect(() => decodeCursor(cursor, 'models', ['string'])).toThrow(expect.objectContaining(badAfter));
    expect(() => decodeCursor(cursor, 'datasets', ['integer'])).toThrow(expect.objectContaining(badAfter));
    expect(() => decodeCursor(cursor, 'datasets', ['string', 'string'])).toThrow(expect.objectContaining(badAfter));
    expect(() => decodeCursor(cursor, 'datasets', ['string'], ([name]) => name !== 'mnist')).toThrow(expect.objectContaining(badAfter));
    for (const bad of ['', 'garbage', 'not-a-cursor', 'a b', Buffer.from('{"a":1}').toString('base64url'), 'A'.repeat(5000)]) {
      expect(() => decodeCursor(bad, 'datasets', ['string']), bad).toThrow(expect.objectContaining(badAfter));
    }
  });

  it('builds a page from first + 1 rows', () => {
    const cursorOf = (n: number) => encodeCursor('n', [n]);
    expect(connection([1, 2, 3], 2, cursorOf)).toEqual({ nodes: [1, 2], pageInfo: { hasNextPage: true, endCursor: cursorOf(2) } });
    expect(connection([1, 2], 2, cursorOf)).toEqual({ nodes: [1, 2], pageInfo: { hasNextPage: false, endCursor: cursorOf(2) } });
    expect(connection([], 2, cursorOf)).toEqual({ nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
    expect(connection([1], 0, cursorOf)).toEqual({ nodes: [], pageInfo: { hasNextPage: true, endCursor: null } });
  });
});
