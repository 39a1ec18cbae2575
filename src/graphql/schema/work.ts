/**
 * The work bound of an operation, checked with its variables before anything executes, on
 * HTTP (an Apollo plugin's didResolveOperation) and WebSocket (onSubscribe) alike.
 *
 * The validation-time cost rule (limits.ts) cannot see variables, so `limit: $n`,
 * `ids: $ids` or `_entities(representations: $r)` escaped it. Here every field costs
 * `multiplier x (1 + the cost of its selection)`, where the multiplier is what the request
 * chooses as the length of the field's answer:
 * - a traversal's `limit` (given, or the schema's default: a traversal answers up to that many
 *   nodes), so nested traversals multiply;
 * - the length of a list argument the field answers one item per entry of (`ids`,
 *   `representations`), which are also capped at `representations` entries each;
 * - an explicitly given `first` or `last` (defaults of paginated lists are not charged: they are
 *   the ordinary browsing shapes, and the response size limit bounds what they build).
 * Fragments are costed once each (memoized by name), so the walk is linear in the document.
 */
import {
  Kind,
  getNamedType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { limitExceeded } from '../../domain/errors.ts';

export interface WorkLimits {
  /** Largest work an operation may ask for. */
  readonly work: number;
  /** Most entries of one `ids` or `representations` argument. */
  readonly representations: number;
}

/** Arguments whose value's length is the length of the field's answer. */
const LIST_ARGUMENTS: ReadonlySet<string> = new Set(['ids', 'representations']);
const PAGE_ARGUMENTS: ReadonlySet<string> = new Set(['first', 'last']);

/** Throws LIMIT_EXCEEDED when the operation asks for more work, or longer id lists, than allowed. */
export function checkWork(
  limits: WorkLimits,
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): void {
  const work = operationWork(schema, document, operationName, variables ?? {}, limits.representations);
  if (work > limits.work) throw limitExceeded(`Query work limit of ${limits.work} exceeded, found ${work}.`, { limit: 'work', max: limits.work, found: work });
}

export function operationWork(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
  maxListLength = Number.POSITIVE_INFINITY,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    else if (definition.kind === Kind.OPERATION_DEFINITION && (operationName ? definition.name?.value === operationName : operation === undefined)) operation = definition;
  }
  if (!operation) return 0;
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return 0;
  const fragmentCost = new Map<string, number>();

  const valueOf = (node: ValueNode): unknown => valueFromASTUntyped(node, variables as Record<string, unknown>);

  function multiplier(field: FieldNode, definition: GraphQLField<unknown, unknown> | undefined): number {
    let result = 1;
    const given = new Set<string>();
    for (const argument of field.arguments ?? []) {
      const name = argument.name.value;
      given.add(name);
      const value = valueOf(argument.value);
      if (LIST_ARGUMENTS.has(name) && Array.isArray(value)) {
        if (value.length > maxListLength) {
          throw limitExceeded(`${field.name.value}(${name}:) holds at most ${maxListLength} entries, found ${value.length}.`, { limit: 'representations', max: maxListLength, found: value.length });
        }
        result = Math.max(result, value.length);
      } else if ((name === 'limit' || PAGE_ARGUMENTS.has(name)) && typeof value === 'number' && Number.isFinite(value)) {
        result = Math.max(result, value);
      }
    }
    // A traversal's limit applies when it is not given too.
    const limit = definition?.args.find((arg) => arg.name === 'limit');
    if (limit && !given.has('limit') && typeof limit.defaultValue === 'number') result = Math.max(result, limit.defaultValue);
    return result;
  }

  function selectionCost(selectionSet: SelectionSetNode, type: GraphQLCompositeType | undefined): number {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      switch (selection.kind) {
        case Kind.FIELD: {
          const definition = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[selection.name.value] : undefined;
          const named = definition ? getNamedType(definition.type) : undefined;
          const inner = selection.selectionSet ? selectionCost(selection.selectionSet, named && isCompositeType(named) ? named : undefined) : 0;
          cost += multiplier(selection, definition) * (1 + inner);
          break;
        }
        case Kind.INLINE_FRAGMENT: {
          const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
          cost += selectionCost(selection.selectionSet, condition && isCompositeType(condition) ? condition : undefined);
          break;
        }
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          let known = fragmentCost.get(name);
          if (known === undefined) {
            const fragment = fragments.get(name);
            fragmentCost.set(name, 0); // a cycle (refused by validation) costs nothing more
            const condition = fragment ? schema.getType(fragment.typeCondition.name.value) : undefined;
            known = fragment ? selectionCost(fragment.selectionSet, condition && isCompositeType(condition) ? condition : undefined) : 0;
            fragmentCost.set(name, known);
          }
          cost += known;
          break;
        }
      }
    }
    return cost;
  }

  return selectionCost(operation.selectionSet, root);
}
