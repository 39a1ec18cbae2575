/**
 * The one schema object both transports serve: schema/*.graphql built as a Federation 2
 * subgraph. Root fields without a resolver yet fail with NOT_IMPLEMENTED (never made-up data).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { GraphQLScalarType, parse, type GraphQLSchema, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { notImplemented } from '../../domain/errors.ts';
import { checkJsonValue } from '../../domain/json.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { accessResolvers } from '../resolvers/access.ts';
import { datasetResolvers } from '../resolvers/dataset.ts';
import { lineageBatchResolvers } from '../resolvers/lineage-batch.ts';
import { eventResolvers } from '../resolvers/events.ts';
import { governanceResolvers } from '../resolvers/governance.ts';
import { lineageResolvers } from '../resolvers/lineage.ts';
import { modelResolvers } from '../resolvers/model.ts';
import { monitoringResolvers } from '../resolvers/monitoring.ts';
import { nodeResolvers } from '../resolvers/node.ts';
import { provenanceResolvers } from '../resolvers/provenance.ts';
import { projectResolvers } from '../resolvers/project.ts';
import { runResolvers } from '../resolvers/run.ts';
import { userResolvers } from '../resolvers/user.ts';
import { webhookResolvers } from '../resolvers/webhooks.ts';

export const SCHEMA_DIR = join(import.meta.dirname, '..', '..', '..', 'schema');

export function loadTypeDefs(dir = SCHEMA_DIR): string {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'))
    .join('\n');
}

const RESOLVERS: readonly Resolvers[] = [
  projectResolvers,
  nodeResolvers,
  datasetResolvers,
  runResolvers,
  modelResolvers,
  lineageBatchResolvers,
  accessResolvers,
  userResolvers,
  eventResolvers,
  lineageResolvers,
  provenanceResolvers,
  governanceResolvers,
  monitoringResolvers,
  webhookResolvers,
];

export function createSchema(): GraphQLSchema {
  const typeDefs = parse(loadTypeDefs());
  const resolvers = mergeResolvers([{ DateTime: DateTimeResolver, JSON: checkedJson(JSONResolver) }, ...RESOLVERS]);
  fillRootFields(typeDefs.definitions, resolvers);
  return buildSubgraphSchema([{ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }]);
}

/**
 * The JSON scalar, refusing non-finite numbers and values nested deeper than MAX_JSON_DEPTH
 * wherever it is an input (variables and literals, every field), before anything executes.
 */
function checkedJson(base: GraphQLScalarType): GraphQLScalarType {
  // graphql-js wraps the BAD_USER_INPUT thrown here in its coercion error; formatError finds it.
  const check = <T>(value: T): T => {
    checkJsonValue('JSON value', value);
    return value;
  };
  const config = base.toConfig();
  return new GraphQLScalarType({
    ...config,
    parseValue: (value) => check(config.parseValue!(value)),
    parseLiteral: (node, variables) => check(config.parseLiteral!(node, variables)),
  });
}

type ResolverMap = Record<string, Record<string, unknown> | unknown>;

function mergeResolvers(parts: readonly object[]): ResolverMap {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const part of parts) {
    for (const [type, fields] of Object.entries(part)) {
      if (typeof fields !== 'object' || fields === null || fields.constructor !== Object) {
        merged[type] = fields as Record<string, unknown>; // a scalar
        continue;
      }
      const target = (merged[type] ??= {});
      for (const [field, resolver] of Object.entries(fields)) {
        if (field in target) throw new Error(`two resolvers for ${type}.${field}`);
        target[field] = resolver;
      }
    }
  }
  return merged;
}

function fillRootFields(definitions: readonly { kind: string }[], resolvers: ResolverMap): void {
  for (const definition of definitions) {
    if (definition.kind !== 'ObjectTypeDefinition' && definition.kind !== 'ObjectTypeExtension') continue;
    const type = definition as ObjectTypeDefinitionNode | ObjectTypeExtensionNode;
    const typeName = type.name.value;
    if (typeName !== 'Query' && typeName !== 'Mutation' && typeName !== 'Subscription') continue;
    const target = (resolvers[typeName] ??= {}) as Record<string, unknown>;
    for (const field of type.fields ?? []) {
      const name = field.name.value;
      if (name in target) continue;
      const fail = (): never => {
        throw notImplemented(`${typeName}.${name}`);
      };
      target[name] = typeName === 'Subscription' ? { subscribe: fail } : fail;
    }
  }
}
