/**
 * Paginated lists (`first`/`after` connections): the page size check, opaque page cursors and
 * `{ nodes, pageInfo }` from a page read with one extra row. Services (run search) and resolvers
 * share it, so it lives here, below both.
 *
 * A page cursor is base64url of a tagged JSON position, `[tag, ...values]`: the tag names the
 * list (and whatever else the position only makes sense for, such as an order), so a cursor of
 * one list is refused by another. Page cursors are short-lived and clients must not parse them;
 * the event-log cursor (src/events/cursor.ts) is durable and has its own encoding.
 */
import { badInput } from './errors.ts';

/** The default largest `first` of a list. */
export const MAX_PAGE = 500;

/** `first` itself; BAD_USER_INPUT unless it is an integer from 0 to `max`. */
export function checkFirst(first: number, max: number = MAX_PAGE): number {
  if (!Number.isInteger(first) || first < 0 || first > max) throw badInput('first', `first must be between 0 and ${max}`);
  return first;
}

export interface PageInfo {
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

export interface Connection<T> {
  readonly nodes: T[];
  readonly pageInfo: PageInfo;
}

/** The kinds of value a position holds; `scalar` is either of string and number. */
const KINDS = {
  string: (value: unknown) => typeof value === 'string',
  number: (value: unknown) => typeof value === 'number' && Number.isFinite(value),
  integer: (value: unknown) => Number.isSafeInteger(value),
  scalar: (value: unknown) => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)),
} satisfies Record<string, (value: unknown) => boolean>;

type Kind = keyof typeof KINDS;
type ValueOf<K extends Kind> = K extends 'string' ? string : K extends 'scalar' ? string | number : number;
export type Position<K extends readonly Kind[]> = { -readonly [I in keyof K]: ValueOf<K[I]> };

/** Longer than any cursor we hand out (names are at most a few hundred characters). */
const MAX_CURSOR_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function encodeCursor(tag: string, position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([tag, ...position])).toString('base64url');
}

/**
 * The position an `after` cursor stands for (null without one), its values of `kinds` and
 * accepted by `valid`; BAD_USER_INPUT on `after` when it is not a cursor of the `tag` list.
 */
export function decodeCursor<const K extends readonly Kind[]>(
  after: string | null | undefined,
  tag: string,
  kinds: K,
  valid: (position: Position<K>) => boolean = () => true,
): Position<K> | null {
  if (after === null || after === undefined) return null;
  let decoded: unknown = null;
  if (after.length <= MAX_CURSOR_LENGTH && BASE64URL.test(after)) {
    try {
      decoded = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
    } catch {
      // not ours: refused below
    }
  }
  if (Array.isArray(decoded) && decoded.length === kinds.length + 1 && decoded[0] === tag) {
    const position = decoded.slice(1);
    if (kinds.every((kind, i) => KINDS[kind](position[i])) && valid(position as Position<K>)) return position as Position<K>;
  }
  throw badInput('after', 'after is not a cursor of this list');
}

/** The page of a list read with `first + 1` rows: the extra row only tells that there is a next page. */
export function connection<T>(rows: readonly T[], first: number, cursorOf: (row: T) => string): Connection<T> {
  const nodes = rows.slice(0, first);
  const last = nodes.at(-1);
  return { nodes, pageInfo: { hasNextPage: rows.length > first, endCursor: last === undefined ? null : cursorOf(last) } };
}
