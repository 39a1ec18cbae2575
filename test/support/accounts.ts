/**
 * A small accounts subgraph, as a company graph would have it: it owns `User` (name, email,
 * team) and `Team`. Pedigree's `createdBy`/`actor` references resolve against it. Served over
 * real HTTP on its own free port.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { freePort } from './ports.ts';

export const ACCOUNTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])

  type User @key(fields: "id") {
    id: ID!
    name: String!
    email: String!
    team: Team
  }

  type Team @key(fields: "id") {
    id: ID!
    name: String!
    members: [User!]!
  }

  type Query {
    user(id: ID!): User
    team(id: ID!): Team
  }
`;

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly teamId: string;
}

export interface Team {
  readonly id: string;
  readonly name: string;
}

export interface AccountsSubgraph {
  readonly url: string;
  /** The Authorization header of every request it served, in order (undefined when absent). */
  readonly authorizations: readonly (string | undefined)[];
  stop(): Promise<void>;
}

export async function startAccountsSubgraph(users: readonly Account[], teams: readonly Team[]): Promise<AccountsSubgraph> {
  const user = (id: string) => users.find((u) => u.id === id) ?? null;
  const team = (id: string) => teams.find((t) => t.id === id) ?? null;
  const resolvers = {
    Query: {
      user: (_: unknown, args: { id: string }) => user(args.id),
      team: (_: unknown, args: { id: string }) => team(args.id),
    },
    User: {
      __resolveReference: (ref: { id: string }) => user(ref.id),
      team: (u: Account) => team(u.teamId),
    },
    Team: {
      __resolveReference: (ref: { id: string }) => team(ref.id),
      members: (t: Team) => users.filter((u) => u.teamId === t.id),
    },
  };
  const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs: parse(ACCOUNTS_SDL), resolvers }]) });
  const authorizations: (string | undefined)[] = [];
  const { url } = await startStandaloneServer(server, {
    listen: { port: await freePort(), host: '127.0.0.1' },
    context: async ({ req }) => {
      authorizations.push(req.headers.authorization);
      return {};
    },
  });
  return { url, authorizations, stop: () => server.stop() };
}
