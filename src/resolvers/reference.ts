/**
 * Entity references from the router (`_entities`): every `__resolveReference` is built here so
 * they all check the id the same way, go through the per-request loaders (the by-id loaders share
 * one batch: one Cypher query per request for all types, whatever the number of representations)
 * and apply the project read scope.
 * A missing id, an id of another type or project, or a malformed representation resolves to
 * null without a query and without failing the other representations.
 *
 * When every field the operation selects on the entity is a stored property (see
 * `storedSelection`), the row is read with only those properties: a router fetching a few
 * fields of thousands of entities reads and decodes a few properties per node, not all of them.
 */
import type DataLoader from 'dataloader';
import { getNamedType, isLeafType, isObjectType, type FieldNode, type GraphQLResolveInfo } from 'graphql';
import { canReadProject, readScope } from '../auth/scope.ts';
import type { Context } from '../context.ts';
import { labelOf } from '../ids.ts';
import type { Loaders } from '../loaders/index.ts';
import type { ReadableLabel } from '../neo4j/queries/nodes.ts';
import { selectedFields } from './selection.ts';

interface EntityRow {
  readonly id: string;
  /** Absent on Project, whose own id is its project. */
  readonly projectId?: string;
}

export function entityReference<T extends EntityRow>(label: ReadableLabel, loader: (loaders: Loaders) => DataLoader<string, T | null>) {
  return async (reference: { id?: unknown }, ctx: Context, info?: GraphQLResolveInfo): Promise<T | null> => {
    const { id } = reference;
    if (typeof id !== 'string' || labelOf(id) !== label) return null;
    const properties = info ? storedSelection(info, label) : null;
    const row = properties ? ((await ctx.loaders.nodes.load({ label, id, properties })) as T | null) : await loader(ctx.loaders).load(id);
    return row && canReadProject(readScope(ctx.viewer), row.projectId ?? row.id) ? row : null;
  };
}

/** Per `_entities` field node (documents are parsed once and cached), the stored selection of each label. */
const selections = new WeakMap<FieldNode, Map<ReadableLabel, readonly string[] | null>>();

/**
 * The properties a partial row of `label` needs for what the operation selects on it, or null
 * for the whole row. Partial only when every selected field (fragments included, whatever
 * their type condition, so never fewer than needed) is a field of the type without a resolver
 * and without arguments whose value is a scalar or an enum: the default resolver reads the
 * row's property of that name, so the row needs exactly that property. Plus `id` and
 * `projectId`, which the reference check reads.
 */
function storedSelection(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments' | 'schema'>, label: ReadableLabel): readonly string[] | null {
  let byLabel = selections.get(info.fieldNodes[0]!);
  if (!byLabel) selections.set(info.fieldNodes[0]!, (byLabel = new Map()));
  if (byLabel.has(label)) return byLabel.get(label)!;
  const type = info.schema.getType(label);
  let properties: string[] | null = null;
  if (isObjectType(type)) {
    const fields = type.getFields();
    const wanted = new Set(label === 'Project' ? ['id'] : ['id', 'projectId']);
    properties = [];
    for (const name of selectedFields(info, [])) {
      if (name === '__typename') continue;
      const field = fields[name];
      if (!field || field.resolve || field.args.length > 0 || !isLeafType(getNamedType(field.type))) {
        properties = null;
        break;
      }
      wanted.add(name);
    }
    if (properties) properties = [...wanted].sort();
  }
  byLabel.set(label, properties);
  return properties;
}
