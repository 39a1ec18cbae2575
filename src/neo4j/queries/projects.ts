/** Projects: the unit of scoping. Names are unique server-wide. */
import type { Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { nodeRow } from '../values.ts';
import type { ProjectRow } from '../../domain/rows.ts';

/** Creates the project, or returns the existing one with that name (idempotent on name). */
export async function mergeProject(
  tx: Tx,
  input: { id: string; name: string; description: string | null; createdBy: string | null },
): Promise<{ project: ProjectRow; created: boolean }> {
  const [record] = await tx.run(
    `MERGE (p:Project {name: $name})
     ON CREATE SET p.id = $id, p.description = $description, p.createdAt = datetime(), p.createdBy = $createdBy
     RETURN p, p.id = $id AS created`,
    input,
  );
  return { project: nodeRow<ProjectRow>(record!.get('p') as Node), created: record!.get('created') as boolean };
}

/**
 * The id of the project with this name among `projectIds` (every project when null); null
 * otherwise. Filtering in the one statement makes a name that exists only in a project the
 * caller cannot read cost exactly what a missing name costs, so timing does not tell them apart.
 */
export async function projectIdByName(tx: Tx, name: string, projectIds: readonly string[] | null): Promise<string | null> {
  const [record] = await tx.run('MATCH (p:Project {name: $name}) WHERE $projectIds IS NULL OR p.id IN $projectIds RETURN p.id AS id', { name, projectIds });
  return (record?.get('id') as string | undefined) ?? null;
}

/** Every project, by name. Projects are few (one per team or product). */
export async function allProjectIds(tx: Tx): Promise<string[]> {
  const records = await tx.run('MATCH (p:Project) RETURN p.id AS id ORDER BY p.name');
  return records.map((r) => r.get('id') as string);
}
