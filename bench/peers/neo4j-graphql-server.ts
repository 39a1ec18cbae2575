/**
 * The `@neo4j/graphql` peer's server, run as a child process by bench/peers/neo4j-graphql.ts so
 * that, like Pedigree's gateway (bench/lib/gateway.ts), it does not share the benchmark
 * clients' event loop and every request crosses a process boundary. An Apollo Server 5 on a
 * free port serving the Federation 2 subgraph that `@neo4j/graphql` generates for Pedigree's
 * lineage graph (bench/peers/neo4j-graphql-schema.ts). Prints `listening <url>` on stdout once
 * it serves; stops on SIGTERM.
 *
 *   NEO4J_URI=... NEO4J_USER=... NEO4J_PASSWORD=... [NEO4J_DATABASE=neo4j] [TIMEOUT_MS=60000] node bench/peers/neo4j-graphql-server.ts
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { Neo4jGraphQL } from '@neo4j/graphql';
import neo4j from 'neo4j-driver';
import { typeDefs } from './neo4j-graphql-schema.ts';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const database = env('NEO4J_DATABASE', 'neo4j');
const timeoutMs = Number(env('TIMEOUT_MS', '60000'));
const driver = neo4j.driver(env('NEO4J_URI'), neo4j.auth.basic(env('NEO4J_USER'), env('NEO4J_PASSWORD')));
const schema = await new Neo4jGraphQL({ typeDefs: typeDefs(), driver }).getSubgraphSchema();
const server = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  context: async () => ({ sessionConfig: { database }, transaction: { timeout: timeoutMs } }),
});
process.stdout.write(`listening ${url}\n`);
process.once('SIGTERM', () => {
  void server
    .stop()
    .then(() => driver.close())
    .finally(() => process.exit(0));
});
