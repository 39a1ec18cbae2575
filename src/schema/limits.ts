/**
 * Query limits applied identically to HTTP and WebSocket operations (docs/configuration.md): depth,
 * aliases and cost as validation rules (graphql-armor), tokens as a parse option. A rejected
 * operation gets LIMIT_EXCEEDED naming the limit, before anything executes.
 */
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { Limits } from '../config.ts';
import { limitExceeded } from '../errors.ts';

/** graphql-armor reports "Syntax Error: ..." without a code; ours says which limit, with a code. */
const asLimitExceeded = (context: ValidationContext | null, error: GraphQLError): void => {
  const reason = limitExceeded(error.message.replace(/^Syntax Error: /, ''));
  context?.reportError(new GraphQLError(reason.message, { originalError: reason, extensions: { code: reason.code } }));
};

export function validationRules(limits: Limits, options: { introspection: boolean }): ValidationRule[] {
  const common = { exposeLimits: true, propagateOnRejection: false, onReject: [asLimitExceeded] };
  return [
    maxDepthRule({ ...common, n: limits.depth, flattenFragments: true }),
    maxAliasesRule({ ...common, n: limits.aliases }),
    costLimitRule({ ...common, maxCost: limits.cost, flattenFragments: true }),
    ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
}

export function parseOptions(limits: Limits): ParseOptions {
  return { maxTokens: limits.tokens };
}
