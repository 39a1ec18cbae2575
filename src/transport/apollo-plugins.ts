/** Apollo Server plugins: request logging with the request id, metrics, masked-error logging. */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context.ts';
import { isMasked } from '../graphql/schema/format-error.ts';
import type { Metrics } from './metrics.ts';

export function observabilityPlugin(metrics: Metrics): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            if (isMasked(error)) {
              contextValue.logger.error({ err: error.originalError ?? error, operationName, path: error.path }, 'internal error');
            }
          }
        },
        async willSendResponse({ response, contextValue, operation, errors }) {
          const type = operation?.operation ?? 'unknown';
          metrics.operations.inc({ type, outcome: errors?.length ? 'error' : 'ok' });
          metrics.operationSeconds.observe({ type }, Number(process.hrtime.bigint() - started) / 1e9);
          // Every error carries the request id, which also appears in the log.
          if (response.body.kind === 'single' && response.body.singleResult.errors) {
            // A document over the field limit also exhausts graphql-js's field-merging budget,
            // which aborts validation; the limit is the answer (src/graphql/schema/limits.ts).
            const errors = response.body.singleResult.errors;
            if (errors.some((e) => e.extensions?.['code'] === 'LIMIT_EXCEEDED')) response.body.singleResult.errors = errors.filter((e) => e.message !== 'Validation aborted.');
            for (const error of response.body.singleResult.errors) {
              (error as { extensions?: Record<string, unknown> }).extensions = { ...error.extensions, requestId: contextValue.requestId };
            }
          }
        },
      };
    },
  };
}
