/** Neo4j values -> plain JS: temporal values become Dates, nested maps and lists recurse. */
import { isDateTime, isDate, isLocalDateTime, type Node } from 'neo4j-driver';

export function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (isDateTime(value as never) || isLocalDateTime(value as never) || isDate(value as never)) {
    return (value as { toStandardDate(): Date }).toStandardDate();
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === 'object' && value.constructor === Object) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}

/** A node's properties as a plain row; missing optional properties read as null. */
export function nodeRow<T>(node: Node): T {
  return toPlain(node.properties) as T;
}

/** Aligns rows with the keys a DataLoader asked for; null where a key matched nothing. */
export function alignById<T extends { id: string }>(ids: readonly string[], rows: readonly T[]): (T | null)[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? null);
}
