/**
 * Traversals read partial rows: when every field an operation asks of the hits' nodes is a
 * stored one (the default resolver reads the row's property of that name), the search returns
 * only those properties, for whichever lineage type a hit has; anything else reads whole rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getNamedType, isLeafType, isObjectType, type GraphQLField } from 'graphql';
import { createSchema } from '../../../src/graphql/schema/index.ts';
import { useGateway } from '../../support/gateway.ts';
import { recordOneOfEach, type OneOfEach } from '../../support/lineage.ts';

let seed: OneOfEach;
const server = useGateway();
beforeAll(async () => {
  seed = await recordOneOfEach(server);
}, 60_000);

const LINEAGE_TYPES = ['DatasetVersion', 'Run', 'Checkpoint', 'Artifact', 'ModelVersion', 'Deployment'] as const;
const schema = createSchema();
/** Fields the default resolver reads from the row's property of the same name. */
const stored = (field: GraphQLField<unknown, unknown>) => !field.resolve && field.args.length === 0 && isLeafType(getNamedType(field.type));
const storedFieldsOf = (name: string) => {
  const type = schema.getType(name);
  if (!isObjectType(type)) throw new Error(`${name} is not an object type`);
  return Object.values(type.getFields()).filter(stored);
};
/** Field names whose type differs between lineage types: selected under aliases, which GraphQL requires there. */
const clashing = new Set(
  [...Map.groupBy(LINEAGE_TYPES.flatMap(storedFieldsOf), (field) => field.name)].filter(([, fields]) => new Set(fields.map((f) => String(f.type))).size > 1).map(([name]) => name),
);
/** Every stored field of every lineage type, one inline fragment each. */
const EVERY_STORED_FIELD = LINEAGE_TYPES.map(
  (type) => `... on ${type} { ${storedFieldsOf(type).map(({ name }) => (clashing.has(name) ? `${type}_${name}: ${name}` : name)).join(' ')} }`,
).join(' ');

const traversal = (direction: 'upstream' | 'downstream', nodeSelection: string) =>
  `query($id: ID!) { node(id: $id) { ${direction}(maxDepth: 10) { nodes { depth node { __typename id kind ${nodeSelection} } } edges { from to kind } } } }`;

/** The search statement of the last request (the other one is node(id)). */
function searchStatement(): string {
  const statements = server.lastStatements().filter((statement) => statement.includes('min(length(p))'));
  expect(statements).toHaveLength(1);
  return statements[0]!;
}

describe('traversals reading partial rows', () => {
  it('answer every stored field of every lineage type the same from partial rows as from whole ones', async () => {
    const seen = new Set<string>();
    for (const [direction, root] of [['upstream', seed.Deployment], ['downstream', seed.DatasetVersion]] as const) {
      const partial = (await server.ok<any>(traversal(direction, EVERY_STORED_FIELD), { id: root })).node[direction];
      expect(searchStatement()).not.toMatch(/\.\*/);
      expect(server.lastQueryCount()).toBe(2);
      // project has a resolver: the rows are read whole.
      const whole = (await server.ok<any>(traversal(direction, `${EVERY_STORED_FIELD} project { id }`), { id: root })).node[direction];
      expect(searchStatement()).toMatch(/\.\*/);
      for (const hit of whole.nodes) delete hit.node.project;
      expect(partial).toEqual(whole);
      for (const hit of partial.nodes) seen.add(hit.node.__typename);
    }
    expect([...seen].sort()).toEqual([...LINEAGE_TYPES].sort());
  });

  it('read only the selected properties, plus id and projectId, with datetimes as epoch milliseconds', async () => {
    const partial = (await server.ok<any>(traversal('upstream', 'createdAt ... on Run { name status }'), { id: seed.Deployment })).node.upstream;
    const statement = searchStatement();
    expect(statement).toContain('WHEN n:Run THEN n {createdAt: n.createdAt.epochMillis, .id, .name, .projectId, .status}');
    expect(statement).toContain('WHEN n:Checkpoint THEN n {createdAt: n.createdAt.epochMillis, .id, .name, .projectId, .status}');
    const run = partial.nodes.find((hit: any) => hit.node.id === seed.Run).node;
    expect(run).toEqual({ __typename: 'Run', id: seed.Run, kind: 'RUN', createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), name: 'train', status: 'COMPLETED' });
  });

  it('read whole rows when a field of one type has a resolver, even if other types store a field of that name', async () => {
    const fieldWithResolver = LINEAGE_TYPES.flatMap((type) => {
      const object = schema.getType(type);
      return isObjectType(object) ? Object.values(object.getFields()).filter((field) => !stored(field) && isLeafType(getNamedType(field.type)) && field.args.length === 0).map((field) => ({ type, field: field.name })) : [];
    }).find(({ field }) => !['kind', '__typename'].includes(field));
    if (!fieldWithResolver) throw new Error('no lineage type has a scalar field with a resolver');
    await server.ok<any>(traversal('upstream', `... on ${fieldWithResolver.type} { ${fieldWithResolver.field} }`), { id: seed.Deployment });
    expect(searchStatement()).toMatch(/\.\*/);
  });
});
