/** Artifacts: free-form lineage nodes, deduplicated on (project, type, name, digest) when a digest is given. */
import type { Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { nodeRow } from '../values.ts';
import type { ArtifactRow } from '../../domain/rows.ts';

export interface NewArtifact {
  readonly id: string;
  readonly projectId: string;
  readonly type: string;
  readonly name: string;
  readonly uri: string | null;
  readonly digest: string | null;
  readonly propertiesJson: string;
  readonly createdBy: string | null;
  readonly producedBy: string | null;
}

/**
 * With a digest: MERGE on the constrained key, so a repeat (or a concurrent twin) returns the
 * existing artifact with created=false and writes nothing. Without: always a new artifact.
 * The GENERATED_BY edge is written only for a new artifact.
 */
export async function recordArtifactNode(tx: Tx, input: NewArtifact): Promise<{ artifact: ArtifactRow; created: boolean }> {
  const head =
    input.digest === null
      ? `CREATE (a:Artifact:LineageNode {
           id: $id, projectId: $projectId, type: $type, name: $name, uri: $uri, digest: null,
           propertiesJson: $propertiesJson, externalId: null, createdAt: datetime(), createdBy: $createdBy
         })`
      : `MERGE (a:Artifact {projectId: $projectId, type: $type, name: $name, digest: $digest})
         ON CREATE SET a:LineageNode, a.id = $id, a.uri = $uri, a.propertiesJson = $propertiesJson,
           a.createdAt = datetime(), a.createdBy = $createdBy`;
  const [record] = await tx.run(
    `${head}
     WITH a, a.id = $id AS created
     OPTIONAL MATCH (run:Run {id: $producedBy})
     FOREACH (r IN CASE WHEN created AND run IS NOT NULL THEN [run] ELSE [] END |
       CREATE (a)-[:GENERATED_BY {createdAt: datetime(), role: null}]->(r))
     RETURN a, created`,
    { ...input },
  );
  return { artifact: nodeRow<ArtifactRow>(record!.get('a') as Node), created: record!.get('created') as boolean };
}

/** The artifact, write-locked until the transaction ends; null if missing. */
export async function lockArtifact(tx: Tx, id: string): Promise<ArtifactRow | null> {
  const [record] = await tx.run('MATCH (a:Artifact {id: $id}) SET a._lock = true REMOVE a._lock RETURN a', { id });
  return record ? nodeRow<ArtifactRow>(record.get('a') as Node) : null;
}

export async function completeArtifactNode(
  tx: Tx,
  id: string,
  fields: { digest: string | null; uri: string | null; propertiesJson: string },
): Promise<ArtifactRow> {
  const [record] = await tx.run('MATCH (a:Artifact {id: $id}) SET a.digest = $digest, a.uri = $uri, a.propertiesJson = $propertiesJson RETURN a', { id, ...fields });
  return nodeRow<ArtifactRow>(record!.get('a') as Node);
}
