/**
 * Rows as stored in Neo4j (one per label), shared by queries, loaders and resolvers.
 * GraphQL types are generated from schema/ (src/generated); these are the parents that
 * resolvers receive (codegen `mappers`).
 */
export interface ProjectRow {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: Date;
  readonly createdBy: string | null;
}
