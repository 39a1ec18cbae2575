/** createProject: validation, then one write transaction. Idempotent on name. */
import { requireServerAdmin } from '../auth/authorize.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { newId } from '../domain/ids.ts';
import { mergeProject } from '../neo4j/queries/projects.ts';
import type { ProjectRow } from '../domain/rows.ts';
import { checkName, checkOptionalText } from './validate.ts';

export interface CreateProjectInput {
  readonly name: string;
  readonly description?: string | null | undefined;
}

export async function createProject(ctx: ServiceDeps, input: CreateProjectInput): Promise<ProjectRow> {
  requireServerAdmin(ctx.viewer);
  const name = checkName('input.name', input.name);
  const description = checkOptionalText('input.description', input.description);
  const { project } = await ctx.executor.write('createProject', (tx) =>
    mergeProject(tx, { id: newId('Project'), name, description, createdBy: ctx.viewer.subject }),
  );
  return project;
}
