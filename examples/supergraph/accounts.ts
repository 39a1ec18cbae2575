/**
 * An example accounts subgraph: the company graph's owner of `User` and `Team`. Pedigree's
 * `createdBy`/`actor` are `User` references by id (the authenticated subject) that resolve here.
 * Replace it with your own users service; the only contract is `type User @key(fields: "id")`.
 *
 *   node accounts.ts          (PORT, default 4001)
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type User @key(fields: "id") { id: ID! name: String! email: String! team: Team }
  type Team @key(fields: "id") { id: ID! name: String! members: [User!]! }
  type Query { user(id: ID!): User  team(id: ID!): Team }
`);

interface UserRow { id: string; name: string; email: string; teamId: string }
const teams = [{ id: 'team-ml', name: 'Machine Learning' }, { id: 'team-platform', name: 'Platform' }];
const users: UserRow[] = [
  { id: 'ada', name: 'Ada Lovelace', email: 'ada@example.com', teamId: 'team-ml' },
  { id: 'grace', name: 'Grace Hopper', email: 'grace@example.com', teamId: 'team-platform' },
];
const user = (id: string) => users.find((u) => u.id === id) ?? null;
const team = (id: string) => teams.find((t) => t.id === id) ?? null;

const resolvers = {
  Query: { user: (_: unknown, { id }: { id: string }) => user(id), team: (_: unknown, { id }: { id: string }) => team(id) },
  User: { __resolveReference: ({ id }: { id: string }) => user(id), team: (u: UserRow) => team(u.teamId) },
  Team: { __resolveReference: ({ id }: { id: string }) => team(id), members: (t: { id: string }) => users.filter((u) => u.teamId === t.id) },
};

const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]) });
const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env['PORT'] ?? 4001), host: '0.0.0.0' } });
console.log(`accounts subgraph on ${url}`);
