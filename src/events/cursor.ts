/**
 * Opaque event cursors. A cursor names a position in the log: "everything up to and including
 * seq N". Clients must not parse them; the encoding ('v1:<seq>' in base64url) may change.
 */
import { ErrorCode, PedigreeError, badInput } from '../domain/errors.ts';

const PREFIX = 'v1:';

export function encodeCursor(seq: number): string {
  return Buffer.from(`${PREFIX}${seq}`).toString('base64url');
}

/** The seq a cursor stands for; BAD_USER_INPUT on `field` when it is not one of ours. */
export function decodeCursor(field: string, cursor: string): number {
  const text = cursor.length <= 64 && /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const digits = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  const seq = /^(0|[1-9][0-9]{0,15})$/.test(digits) ? Number(digits) : NaN;
  if (!Number.isSafeInteger(seq)) throw badInput(field, `${field} is not an event cursor`);
  return seq;
}

/** CURSOR_EXPIRED when events after the cursor were pruned; BAD_USER_INPUT when it is ahead of the log. */
export function checkCursor(seq: number, bounds: { head: number; prunedThrough: number }): void {
  if (seq < bounds.prunedThrough) throw cursorExpired(seq);
  if (seq > bounds.head) throw badInput('after', 'after is ahead of the event log: it does not come from this server');
}

export function cursorExpired(seq: number): PedigreeError {
  return new PedigreeError(
    ErrorCode.CURSOR_EXPIRED,
    'events after this cursor were pruned (older than the retention); start again without after or from a newer cursor',
    { field: 'after', cursor: encodeCursor(seq) },
  );
}
