import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One throwaway Neo4j for the whole run (or NEO4J_TEST_URI).
    globalSetup: ['test/support/global-setup.ts'],
    // Community Neo4j has one user database, and misuse tests count every node, relationship
    // and event before and after: test files run one after another, never interleaved.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
