/** Creates the neo4j-driver instance (its writes coalesced: src/neo4j/bolt-writes.ts) and waits for the server to answer. */
import neo4j, { type Driver } from 'neo4j-driver';
import type { Neo4jConfig } from '../config.ts';
import { coalesceBoltWrites } from './bolt-writes.ts';

export function createDriver(config: Pick<Neo4jConfig, 'user' | 'password' | 'retryMs'> & { uri: string }): Driver {
  coalesceBoltWrites();
  return neo4j.driver(config.uri, neo4j.auth.basic(config.user, config.password), {
    // Counters, numbers and steps in this model stay far below 2^53.
    disableLosslessIntegers: true,
    maxConnectionPoolSize: 100,
    // A request should learn UNAVAILABLE in seconds, not wait out the driver's 30 s default.
    maxTransactionRetryTime: config.retryMs,
    connectionTimeout: 5_000,
    connectionAcquisitionTimeout: 30_000,
    userAgent: 'pedigree/0.1',
  });
}

/** Resolves once the server answers; rejects with the last error after `timeoutMs`. */
export async function waitForNeo4j(driver: Driver, database: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  do {
    try {
      await driver.verifyConnectivity({ database });
      return;
    } catch (error) {
      lastError = error;
      if (isAuthError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } while (Date.now() < deadline && !signal?.aborted);
  throw lastError;
}

function isAuthError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Neo.ClientError.Security.');
}
