/**
 * What an operation selects below the field being resolved, so a resolver can skip reading
 * what nobody asked for. Conservative: fragments of every type count, and fields under
 * @include/@skip count as selected.
 */
import { getNamedType, isLeafType, isObjectType, Kind, type FieldNode, type GraphQLResolveInfo, type GraphQLSchema, type SelectionSetNode } from 'graphql';

/**
 * Names (not aliases) of the fields selected at `path` below the current field, e.g.
 * `['nodes', 'node']` for the fields of each hit's node; `[]` for the field's own selection.
 */
export function selectedFields(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): Set<string> {
  return new Set(selectedFieldNodes(info, path).map(({ field }) => field.name.value));
}

/** A selected field's name and the type condition it is under (the innermost fragment's), or null when none. */
export interface SelectedField {
  readonly name: string;
  readonly on: string | null;
}

/** Like `selectedFields`, with the type condition of each (a field selected under several counts once per condition). */
export function selectedFieldsOn(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): SelectedField[] {
  const unique = new Map<string, SelectedField>();
  for (const { field, on } of selectedFieldNodes(info, path)) unique.set(`${on}:${field.name.value}`, { name: field.name.value, on });
  return [...unique.values()];
}

/** The field nodes selected at `path`, with the type condition each is under (see `selectedFieldsOn`), in document order. */
export function selectedFieldNodes(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): { field: FieldNode; on: string | null }[] {
  return fieldsOf(info, selectionSetsAt(info, path));
}

function selectionSetsAt(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): SelectionSetNode[] {
  let sets = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const name of path) {
    sets = fieldsOf(info, sets)
      .filter(({ field }) => field.name.value === name)
      .flatMap(({ field }) => (field.selectionSet ? [field.selectionSet] : []));
  }
  return sets;
}

function fieldsOf(
  info: Pick<GraphQLResolveInfo, 'fragments'>,
  sets: readonly SelectionSetNode[],
  on: string | null = null,
  seen = new Set<string>(),
): { field: FieldNode; on: string | null }[] {
  const fields: { field: FieldNode; on: string | null }[] = [];
  for (const set of sets) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) fields.push({ field: selection, on });
      else if (selection.kind === Kind.INLINE_FRAGMENT) fields.push(...fieldsOf(info, [selection.selectionSet], selection.typeCondition?.name.value ?? on, seen));
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = info.fragments[selection.name.value];
        if (fragment) fields.push(...fieldsOf(info, [fragment.selectionSet], fragment.typeCondition.name.value, seen));
      }
    }
  }
  return fields;
}

/**
 * The row properties that answer the selected `fields` on objects of any of `typeNames`, or null
 * when some field needs more than its property. A field under an object type's condition is
 * resolved on that type only (none of ours: skipped); otherwise on every one of `typeNames` that
 * has it. It qualifies when, on each type it can be resolved on, it has no resolver and no
 * arguments and its value is a scalar or an enum:
 * the default resolver then reads the row's property of that name. A row of any of the types
 * carries all the properties; one its type does not select is simply not read by a resolver.
 * `rowFree` fields are answered without the row (e.g. `__typename`, or a kind resolved from the
 * id). A field on none of the types (only in documents that did not validate) makes it null.
 * `always` are read whatever the selection (e.g. id and projectId for the read scope). Sorted,
 * so that equal selections give equal statements.
 */
export function storedProperties(
  schema: GraphQLSchema,
  typeNames: readonly string[],
  fields: Iterable<SelectedField>,
  options: { readonly rowFree: ReadonlySet<string>; readonly always: readonly string[] },
): string[] | null {
  const types = typeNames.map((name) => schema.getType(name)).filter(isObjectType);
  if (types.length < typeNames.length) return null;
  const properties = new Set<string>(options.always);
  for (const { name, on } of fields) {
    if (options.rowFree.has(name)) continue;
    const condition = on === null ? null : schema.getType(on);
    if (isObjectType(condition) && !typeNames.includes(condition.name)) continue; // never resolved on these types
    const candidates = isObjectType(condition) ? types.filter((type) => type.name === condition.name) : types;
    const definitions = candidates.flatMap((type) => type.getFields()[name] ?? []);
    if (definitions.length === 0) return null;
    for (const field of definitions) {
      if (field.resolve || field.args.length > 0 || !isLeafType(getNamedType(field.type))) return null;
    }
    properties.add(name);
  }
  return [...properties].sort();
}
