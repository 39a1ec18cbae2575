/**
 * Mutation.recordLineage. A batch node's `fields` is JSON shaped like the input of the matching
 * single mutation; it is coerced with that very input type of the schema, so a batch accepts
 * and rejects exactly what the single mutation would, with the same messages, before the
 * recording layer checks values.
 */
import { coerceInputValue, isInputType, type GraphQLSchema } from 'graphql';
import { badInput } from '../../domain/errors.ts';
import type { BatchNodeInput, NodeKind, Resolvers } from '../../generated/graphql.ts';
import type { RunStatus } from '../../domain/rows.ts';
import { recordLineage, type BatchNode } from '../../recording/lineage-batch.ts';

const INPUT_TYPE_BY_KIND: Record<NodeKind, string | null> = {
  DATASET_VERSION: 'RegisterDatasetVersionInput',
  RUN: 'StartRunInput',
  CHECKPOINT: 'LogCheckpointInput',
  MODEL_VERSION: 'RegisterModelVersionInput',
  ARTIFACT: 'RecordArtifactInput',
  DEPLOYMENT: null,
};

export const lineageBatchResolvers: Resolvers = {
  Mutation: {
    recordLineage: (_parent, { input }, ctx, info) =>
      recordLineage(ctx, {
        project: input.project,
        nodes: input.nodes.map((node, i) => typedNode(info.schema, input.project, node, i)),
        edges: input.edges,
      }),
  },
};

function typedNode(schema: GraphQLSchema, project: string, node: BatchNodeInput, index: number): BatchNode {
  const at = `input.nodes[${index}].fields`;
  const typeName = INPUT_TYPE_BY_KIND[node.kind];
  if (typeName === null) throw badInput(`input.nodes[${index}].kind`, `input.nodes[${index}].kind: deployments are recorded with deployModelVersion, not in batches`);
  const fields: unknown = node.fields;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw badInput(at, `${at} must be a JSON object`);
  const { project: ownProject, status, ...rest } = fields as Record<string, unknown>;
  if (ownProject !== undefined) throw badInput(`${at}.project`, `${at}.project: the batch's project applies to every node; leave it out`);
  if (status !== undefined && node.kind !== 'RUN') throw badInput(`${at}.status`, `${at}.status: only RUN nodes take a status`);

  const coerce = (value: unknown, name: string, path: string): unknown => {
    const type = schema.getType(name);
    if (!type || !isInputType(type)) throw new Error(`the schema has no input type ${name}`);
    return coerceInputValue(value, type, (errorPath, _invalid, error) => {
      const where = errorPath.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
      throw badInput(`${path}${where}`, `${path}${where}: ${error.message}`);
    });
  };
  const hasProject = typeName !== 'LogCheckpointInput';
  const typed = coerce(hasProject ? { ...rest, project } : rest, typeName, at) as never;
  const base = { key: node.key, externalId: node.externalId ?? null };
  if (node.kind === 'RUN') {
    return { ...base, kind: 'RUN', fields: typed, status: (status === undefined ? 'RUNNING' : coerce(status, 'RunStatus', `${at}.status`)) as RunStatus };
  }
  return { ...base, kind: node.kind, fields: typed } as BatchNode;
}
