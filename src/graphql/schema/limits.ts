/**
 * Query limits applied identically to HTTP and WebSocket operations (docs/configuration.md): depth,
 * aliases and cost as validation rules (graphql-armor), tokens as a parse option. A rejected
 * operation gets LIMIT_EXCEEDED naming the limit, before anything executes.
 */
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, NoSchemaIntrospectionCustomRule, visit, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { Limits } from '../../config.ts';
import { limitExceeded } from '../../domain/errors.ts';

/** graphql-armor reports "Syntax Error: ..." without a code; ours says which limit, with a code. */
const asLimitExceeded = (context: ValidationContext | null, error: GraphQLError): void => {
  const reason = limitExceeded(error.message.replace(/^Syntax Error: /, ''));
  context?.reportError(new GraphQLError(reason.message, { originalError: reason, extensions: { code: reason.code } }));
};

/** Most field selections in one document. */
export const MAX_FIELDS = 2_000;

/**
 * Refuses a document with more than `max` field selections, counted when validation enters the
 * document (one pass over it), so the refusal is the first error, before graphql-js's own rules
 * (whose pairwise field-merging check is quadratic in a selection set) report a hundred errors
 * and abort with "Validation aborted.".
 */
function maxFieldsRule(max: number): ValidationRule {
  return (context) => ({
    Document(document) {
      let fields = 0;
      visit(document, {
        Field() {
          fields += 1;
        },
      });
      if (fields > max) asLimitExceeded(context, new GraphQLError(`Field limit of ${max} exceeded, found ${fields}.`));
    },
  });
}

export function validationRules(limits: Limits, options: { introspection: boolean }): ValidationRule[] {
  const common = { exposeLimits: true, propagateOnRejection: false, onReject: [asLimitExceeded] };
  return [
    maxFieldsRule(MAX_FIELDS),
    // Introspection counts toward depth, and `__typename` aliases toward aliases, like any field.
    maxDepthRule({ ...common, n: limits.depth, flattenFragments: true, ignoreIntrospection: false }),
    maxAliasesRule({ ...common, n: limits.aliases, allowList: [] }),
    costLimitRule({ ...common, maxCost: limits.cost, flattenFragments: true }),
    ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
}

export function parseOptions(limits: Limits): ParseOptions {
  return { maxTokens: limits.tokens };
}
