/**
 * The one door to the database. `write` and `read` run a unit of work in an explicit
 * transaction, retried here on transient errors as the driver's executeWrite and executeRead
 * would (within the same time budget) but with BEGIN pipelined with the first statement; they
 * name the database, attach transaction metadata, log each statement at debug level,
 * report each statement to an observer (tests count queries per request) and map Neo4j
 * failures to our error codes.
 *
 * `readOne` runs a read of exactly one statement as an auto-commit transaction: one round
 * trip (RUN and PULL) instead of two (BEGIN with RUN and PULL, then COMMIT), which is most of a
 * small read's cost. One statement sees one consistent snapshot either way; retries on
 * transient errors are done here, with the same time budget as the driver's. `writeOne` does
 * the same for a write of exactly one statement (the event sequencer's step; a serving window
 * with its event). Waiting for appended events to be sequenced is a step of its own, composed
 * around this executor (src/events/sequenced-writes.ts).
 *
 * Because a unit of work may run more than once (even after a commit whose acknowledgement was
 * lost), every write unit must be idempotent.
 */
import { performance } from 'node:perf_hooks';
import neo4j, { type Driver, type Record as Neo4jRecord, type Session, type Transaction } from 'neo4j-driver';
import type { Logger } from 'pino';
import { ErrorCode, PedigreeError, conflict, unavailable } from '../domain/errors.ts';

export type Params = Record<string, unknown>;

/** What a unit of work sees: one method, so queries never touch the driver directly. */
export interface Tx {
  /** The unit of work's name: for mutations, the mutation (recorded as the audit action). */
  readonly unit: string;
  run(query: string, params?: Params): Promise<Neo4jRecord[]>;
  /**
   * Notes that this unit appended events (src/events/outbox.ts): once it commits, it waits for
   * them to be sequenced before answering (src/events/sequenced-writes.ts gives write units this
   * method; a Tx without it, e.g. a test's, just does not wait).
   */
  eventsAppended?(): void;
  /**
   * Whether this unit may number its events itself, in its own transaction under the events
   * counter's lock, instead of leaving them to a sequencer step (src/events/sequenced-writes.ts
   * decides; absent means no). A unit that did calls `eventsSequenced` with the last seq it took.
   */
  sequenceInline?(): boolean;
  eventsSequenced?(head: number): void;
}

export interface QueryObserver {
  /** `autoCommit`: the statement was its own transaction (`readOne`). */
  onQuery(event: { unit: string; query: string; mode: 'read' | 'write'; autoCommit: boolean }): void;
  /** A statement's records arrived, before the unit sees them (a transaction's statements answer in the order sent). */
  onAnswer?(event: { unit: string }): void;
  /** A unit's explicit transaction committed, `ms` after COMMIT was sent. */
  onCommit?(event: { unit: string; ms: number }): void;
  /** A write unit's events were sequenced, `ms` after its commit (reported by src/events/sequenced-writes.ts). */
  onSequenced?(event: { unit: string; ms: number }): void;
}

export interface Executor {
  read<T>(unit: string, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** A read of exactly one statement, in an auto-commit transaction; a second `tx.run` throws. */
  readOne<T>(unit: string, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** A write of exactly one statement, in an auto-commit transaction; a second `tx.run` throws. */
  writeOne<T>(unit: string, work: (tx: Tx) => Promise<T>): Promise<T>;
  write<T>(unit: string, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** A view of this executor that also reports to `observer`. Shares the driver. */
  observed(observer: QueryObserver): Executor;
}

export interface ExecutorOptions {
  readonly driver: Driver;
  readonly database: string;
  readonly logger: Logger;
  readonly timeoutMs?: number;
  /** Statements slower than this are logged at warn with their unit (0 turns it off). */
  readonly slowQueryMs?: number;
  /** How long a unit of work (read or write) is retried on transient errors; default 30 s, the driver's default. */
  readonly retryMs?: number;
}

export function createExecutor(options: ExecutorOptions, observers: readonly QueryObserver[] = []): Executor {
  const { driver, database, logger } = options;
  const timeout = options.timeoutMs ?? 60_000;
  const slowMs = options.slowQueryMs ?? 0;
  const retryMs = options.retryMs ?? 30_000;

  /** A Tx over `runOn` (an explicit transaction's or, for `readOne`, a session's `run`). */
  function runner(unit: string, mode: 'read' | 'write', runOn: Pick<Transaction, 'run'>, options: { autoCommit?: boolean } = {}): Tx {
    const { autoCommit = false } = options;
    return {
      unit,
      async run(query, params = {}) {
        for (const observer of observers) observer.onQuery({ unit, query, mode, autoCommit });
        if (logger.isLevelEnabled('debug')) logger.debug({ unit, mode, query }, 'cypher');
        const started = performance.now();
        const result = await withoutCallSiteStack(() => runOn.run(query, params));
        for (const observer of observers) observer.onAnswer?.({ unit });
        const ms = performance.now() - started;
        if (slowMs > 0 && ms >= slowMs) logger.warn({ unit, mode, ms: Math.round(ms), rows: result.records.length, query: query.slice(0, 300) }, 'slow cypher');
        return result.records;
      },
    };
  }

  /**
   * Runs `attempt` with a session of `mode` until it succeeds, fails for good, or `retryMs` has
   * passed: reads are idempotent and write units must be (see above), so a transient failure
   * (a deadlock, a lost connection) is retried as the driver's executeRead/executeWrite would.
   */
  async function retried<T>(mode: 'read' | 'write', attempt: (session: Session) => Promise<T>): Promise<T> {
    const deadline = performance.now() + retryMs;
    for (let failures = 0; ; failures++) {
      const session = driver.session({ database, defaultAccessMode: mode === 'read' ? neo4j.session.READ : neo4j.session.WRITE });
      try {
        return await attempt(session);
      } catch (error) {
        if (!neo4j.isRetryableError(error) || performance.now() >= deadline) throw mapNeo4jError(error);
      } finally {
        await session.close();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** failures) * (0.8 + 0.4 * Math.random())));
    }
  }

  /** `work`'s one statement as an auto-commit transaction of `mode` (readOne, writeOne). */
  function autoCommit<T>(mode: 'read' | 'write', unit: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    const config = { metadata: { app: 'pedigree', unit }, timeout };
    return retried(mode, (session) => {
      let ran = false;
      const statement = {
        run: (query: string, params: Params) => {
          if (ran) throw new Error(`unit ${unit} ran a second statement in ${mode}One`);
          ran = true;
          return session.run(query, params, config);
        },
      };
      return work(runner(unit, mode, statement, { autoCommit: true }));
    });
  }

  /**
   * `work` in an explicit transaction of `mode`, committed when it returns, rolled back when it
   * throws, retried by `retried`. Its BEGIN goes out with the first statement (the transaction
   * is not awaited before its first run; the driver's executeRead and executeWrite wait for
   * BEGIN's answer first), so a unit of n statements costs n + 1 round trips instead of n + 2.
   */
  function inTransaction<T>(mode: 'read' | 'write', unit: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    const config = { metadata: { app: 'pedigree', unit }, timeout };
    return retried(mode, async (session) => {
      const tx = session.beginTransaction(config);
      try {
        const result = await work(runner(unit, mode, tx));
        const committing = performance.now();
        await tx.commit();
        for (const observer of observers) observer.onCommit?.({ unit, ms: performance.now() - committing });
        return result;
      } finally {
        if (tx.isOpen()) await tx.rollback().catch(() => {});
      }
    });
  }

  return {
    read: (unit, work) => inTransaction('read', unit, work),
    readOne: (unit, work) => autoCommit('read', unit, work),
    writeOne: (unit, work) => autoCommit('write', unit, work),
    write: (unit, work) => inTransaction('write', unit, work),
    observed: (observer) => createExecutor(options, [...observers, observer]),
  };
}

/**
 * Runs `start` (a driver call that creates a Result synchronously) with V8's stack capture off.
 * neo4j-driver-core captures and formats a stack trace for every Result it creates, to put the
 * caller's frames on a failure later (there is no option to turn it off); that was 7-8% of the
 * gateway's busy CPU on single mutations, more than Apollo's request pipeline. Our failures are
 * mapped and logged with their unit and statement instead. Synchronous, so nothing else runs
 * while the limit is 0.
 */
function withoutCallSiteStack<T>(start: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return start();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const UNAVAILABLE_CODES = new Set(['ServiceUnavailable', 'SessionExpired']);

/** Neo4j error -> our vocabulary. Unknown errors pass through and are masked at the edge. */
export function mapNeo4jError(error: unknown): unknown {
  if (error instanceof PedigreeError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('Neo.TransientError.General.DatabaseUnavailable')) {
    return withCause(unavailable(), error);
  }
  if (code === 'Neo.ClientError.Schema.ConstraintValidationFailed') {
    // Reached only when a concurrent writer won a race the unit of work did not handle.
    return withCause(conflict('a concurrent write created the same thing; retry'), error);
  }
  if (code === 'Neo.ClientError.Transaction.TransactionTimedOut' || code.endsWith('TransactionTimedOutClientConfiguration')) {
    return withCause(new PedigreeError(ErrorCode.LIMIT_EXCEEDED, 'the query took too long and was stopped'), error);
  }
  return error;
}

function withCause(error: PedigreeError, cause: unknown): PedigreeError {
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return error;
}
