import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node resolves `graphql` to its CommonJS build ("main"), the one @apollo/server and
    // @apollo/subgraph load; Vite would pick the ESM build ("module") for our sources, and
    // graphql-js rejects schema objects from the other build. One instance, as in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // One throwaway Neo4j for the whole run (or NEO4J_TEST_URI).
    globalSetup: ['test/support/global-setup.ts'],
    // Community Neo4j has one user database, and misuse tests count every node, relationship
    // and event before and after: test files run one after another, never interleaved.
    fileParallelism: false,
    testTimeout: 60_000,
    // expect.poll gives up after 1 s by default; a browser on a busy two-core machine may take
    // longer to paint what it has already decided (React Flow measures nodes before edges).
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
