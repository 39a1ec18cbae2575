import type { Resolvers } from '../../generated/graphql.ts';
import { allProjectIds, projectIdByName } from '../../neo4j/queries/projects.ts';
import { createProject } from '../../recording/projects.ts';
import { badInput } from '../../domain/errors.ts';
import { readScope } from '../../auth/scope.ts';
import { loadExisting } from '../../loaders/index.ts';
import { entityReference } from './reference.ts';

export const projectResolvers: Resolvers = {
  Query: {
    async project(_parent, { id, name }, ctx) {
      if ((id == null) === (name == null)) throw badInput('id', 'give exactly one of id and name');
      // By name: only among the viewer's projects, so another project's name reads like a missing one.
      const projectId = id ?? (await ctx.executor.readOne('projects.byName', (tx) => projectIdByName(tx, name!, readScope(ctx.viewer).projectIds)));
      return projectId ? ctx.loaders.project.load(projectId) : null;
    },
    async projects(_parent, _args, ctx) {
      const ids = await ctx.executor.read('projects.all', (tx) => allProjectIds(tx));
      return loadExisting(ctx.loaders.project, ids);
    },
  },
  Mutation: {
    createProject: (_parent, { input }, ctx) => createProject(ctx, input),
  },
  Project: {
    __resolveReference: entityReference('Project', (loaders) => loaders.project),
  },
};
