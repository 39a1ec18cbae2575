import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { badInput } from '../../../src/domain/errors.ts';
import { formatError, isMasked } from '../../../src/graphql/schema/format-error.ts';

describe('error masking', () => {
  it('masks and logs unknown errors only', () => {
    expect(isMasked(new Error('Neo.ClientError at 10.0.0.7'))).toBe(true);
    expect(isMasked(badInput('input.x', 'bad'))).toBe(false);
    // Apollo wraps graphql-js validation errors, so they carry an originalError.
    const validation = new GraphQLError('Cannot query field "x"', { originalError: new Error('x'), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(isMasked(validation)).toBe(false);
  });

  it('never lets an unknown error message reach the client', () => {
    const formatted = formatError({ message: 'Neo.ClientError at 10.0.0.7', path: ['node'] }, new Error('Neo.ClientError at 10.0.0.7'));
    expect(formatted).toEqual({ message: 'Internal server error', path: ['node'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });
});
