/** Direct reads of the database for assertions: "nothing was written" is a count compared. */
import neo4j, { type Driver } from 'neo4j-driver';
import { inject } from 'vitest';

export interface GraphCounts {
  readonly nodes: number;
  readonly relationships: number;
  /** Events, not `:Event` nodes: a group of the compact layout (src/neo4j/queries/event-append.ts) counts its `count`. */
  readonly events: number;
}

export function testDriver(): Driver {
  return neo4j.driver(inject('neo4jUri'), neo4j.auth.basic('neo4j', 'neo4j'), { disableLosslessIntegers: true });
}

export async function graphCounts(driver: Driver): Promise<GraphCounts> {
  const { records } = await driver.executeQuery(
    `CALL () { MATCH (n) RETURN count(n) AS nodes }
     CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
     CALL () { MATCH (e:Event) RETURN sum(coalesce(e.count, 1)) AS events }
     RETURN nodes, relationships, events`,
  );
  const record = records[0]!;
  return { nodes: record.get('nodes'), relationships: record.get('relationships'), events: record.get('events') };
}

/** A name no other test uses, so tests never see each other's data. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
