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
import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import { canReadProject, readScope } from '../../auth/scope.ts';
import type { Context } from '../../context.ts';
import { labelOf } from '../../domain/ids.ts';
import type { Loaders } from '../../loaders/index.ts';
import type { ReadableLabel } from '../../neo4j/queries/nodes.ts';
import { selectedFieldsOn, storedProperties } from './selection.ts';

const TYPENAME: ReadonlySet<string> = new Set(['__typename']);

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
 * for the whole row. Partial only when every field the operation can resolve on the type
 * (fragments on other object types do not count) is a stored field (storedProperties): the
 * default resolver reads the row's property of that name, so the row needs exactly that
 * property. Plus `id` and `projectId`, which the reference check reads.
 */
function storedSelection(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments' | 'schema'>, label: ReadableLabel): readonly string[] | null {
  // Cached when the field has one node (repeated `_entities` fields merge depending on @include/@skip).
  let byLabel = info.fieldNodes.length === 1 ? selections.get(info.fieldNodes[0]!) : new Map<ReadableLabel, readonly string[] | null>();
  if (!byLabel) selections.set(info.fieldNodes[0]!, (byLabel = new Map()));
  if (byLabel.has(label)) return byLabel.get(label)!;
  const properties = storedProperties(info.schema, [label], selectedFieldsOn(info, []), { rowFree: TYPENAME, always: label === 'Project' ? ['id'] : ['id', 'projectId'] });
  byLabel.set(label, properties);
  return properties;
}
