/**
 * A single-node write in one round trip. `gated` is the unit's one statement with its checks
 * inside it (ADMITTED in src/neo4j/queries/nodes.ts, or a condition on the viewer's projects),
 * run as an auto-commit transaction: RUN and PULL, no BEGIN to wait for and no COMMIT, about a
 * third of a small write's time. Nothing can roll back what it writes, so it writes only when
 * every check passes, and otherwise resolves null having written nothing. `checked` then runs
 * the same unit in an explicit transaction, where the checks run in JavaScript on what its
 * statements read and throw the precise error (NOT_FOUND naming the field, BAD_USER_INPUT for a
 * reference of the wrong kind ...), rolling everything back. It also takes what `gated` leaves
 * to it on purpose, such as a dataset's or model's first use, which needs a second statement.
 * When the state changed in between and the checks now pass, `checked` simply does the write.
 */
import type { Executor, Tx } from '../neo4j/executor.ts';

export async function gatedWrite<T>(executor: Executor, unit: string, gated: (tx: Tx) => Promise<T | null>, checked: (tx: Tx) => Promise<T>): Promise<T> {
  return (await executor.writeOne(unit, gated)) ?? (await executor.write(unit, checked));
}
