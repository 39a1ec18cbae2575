/**
 * Runs `work` again when it lost a race the driver does not retry (or gave up retrying): a
 * creation race on a uniqueness constraint (two first uses of one dataset; the rerun finds
 * what the winner committed) or a deadlock among first users of a new dataset, whose locking
 * unique-index reads upgrade to the dataset's write lock. The unit of work is idempotent.
 */
const RETRYABLE = new Set(['Neo.ClientError.Schema.ConstraintValidationFailed', 'Neo.TransientError.Transaction.DeadlockDetected']);

export async function retryOnCreateRace<T>(work: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      // A constraint failure arrives as CONFLICT (src/neo4j/executor.ts) with the Neo4j error as cause.
      const codes = [(error as { code?: unknown }).code, (error as { cause?: { code?: unknown } }).cause?.code];
      const retryable = codes.some((code) => typeof code === 'string' && RETRYABLE.has(code));
      if (attempt >= attempts || !retryable) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * attempt));
    }
  }
}
