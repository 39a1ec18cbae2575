/**
 * A QueryObserver that times a request's Cypher statements: statements of a unit answer in the
 * order they were sent, so each answer closes the oldest open statement. Also passes on the
 * executor's commit and sequencing times. Used by bench/write-profile.ts and bench/serving.ts.
 */
import { performance } from 'node:perf_hooks';
import type { QueryObserver } from '../../src/neo4j/executor.ts';

export interface StatementTimings {
  statement(query: string, sent: number, answered: number): void;
  commit(ms: number): void;
  sequenced(ms: number): void;
}

export function statementTimer(timings: StatementTimings): QueryObserver {
  const open: { query: string; sent: number }[] = [];
  return {
    onQuery: ({ query }) => void open.push({ query, sent: performance.now() }),
    onAnswer: () => {
      const first = open.shift();
      if (first) timings.statement(first.query, first.sent, performance.now());
    },
    onCommit: ({ ms }) => timings.commit(ms),
    onSequenced: ({ ms }) => timings.sequenced(ms),
  };
}
