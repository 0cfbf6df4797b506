import {
  ASTVisitor,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLNamedType,
  GraphQLOutputType,
  SelectionSetNode,
  ValidationContext,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  OperationDefinitionNode,
} from 'graphql';

/**
 * What one request may ask for, counted before anything runs: every value in the answer (a scalar is
 * one, an object one plus its fields), with each list multiplied by the most it can hold. The bound of a
 * list is its `first` argument (a literal, the argument's default, or its maximum when it comes from a
 * variable: validation is cached per document, so variables are not known here), or a fixed bound per
 * field. Aliases count each time they appear. A JSON value (an event's data) counts as an event's worth.
 */
export interface ResponseBudget {
  /** Values one response may hold. */
  maxValues: number;
  /** The most a `first` argument may ask for, where the field does not say. */
  maxPage: number;
  /** Bounds of lists with no `first`, by `Type.field`. */
  listBounds: Readonly<Record<string, number>>;
  /** What one JSON value counts for. */
  jsonValues: number;
}

export const DEFAULT_RESPONSE_BUDGET: ResponseBudget = {
  maxValues: 250_000,
  maxPage: 500,
  listBounds: {
    // A connection's page size is on the connection; its edges are that many.
    'OrderConnection.edges': 1,
    'AuditEventConnection.edges': 1,
    // Executions of one order (an estimate: an order filled in more pieces answers more).
    'Order.fills': 100,
    // Every failed pre-trade check at once.
    'Order.rejections': 25,
    'PlaceOrderResult.rejections': 25,
    'Query.positions': 200,
    'Query.venues': 32,
    // Orders a venue holds that the gateway cannot explain (an estimate: normally none).
    'VenueStatus.unexplainedOrders': 100,
    'Query.principals': 500,
    'Query.instruments': 1_000,
    'Query.accounts': 10_000,
    'PrincipalView.keys': 20,
    'PrincipalView.accounts': 200,
    'PrincipalView.roles': 4,
    'TradingStateView.history': 1_000,
    'RiskLimits.positionLimits': 100,
    'RiskLimits.allowedInstruments': 1_000,
    'Pnl.otherFees': 32,
    'Pnl.unmarkedInstruments': 200,
    'Position.otherFees': 32,
    'InstrumentView.venueSymbols': 32,
    // Market data: books to their deepest (50 levels a side), a level or a quote over every venue.
    'Book.bids': 50,
    'Book.asks': 50,
    'ConsolidatedBook.bids': 50,
    'ConsolidatedBook.asks': 50,
    'ConsolidatedLevel.venues': 32,
    'ConsolidatedTop.venues': 32,
    'Quote.venues': 32,
    'Query.trades': 200,
    'TradesUpdate.trades': 200,
    // A list: at most 10 legs; a bracket exit placed again as the entry fills more (an estimate).
    'OrderList.legs': 10,
    'OrderListLeg.orders': 10,
    'PlaceOrderListResult.rejections': 25,
  },
  jsonValues: 60,
};

/** A list bound the budget does not know: a large one, so an unlisted list is never cheap. */
const UNKNOWN_LIST = 10_000;

export function responseBudgetRule(budget: ResponseBudget = DEFAULT_RESPONSE_BUDGET) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const schema = context.getSchema();
    const fragmentValues = new Map<string, number>();

    const pageOf = (field: FieldNode, argDefault: unknown, argMax: number): number => {
      const first = field.arguments?.find((a) => a.name.value === 'first');
      if (!first) return typeof argDefault === 'number' ? argDefault : argMax;
      if (first.value.kind === Kind.INT) return Math.max(0, Number(first.value.value));
      return argMax;
    };

    const valuesOf = (
      selectionSet: SelectionSetNode,
      parent: GraphQLNamedType,
      seen: ReadonlySet<string>,
    ): number => {
      let total = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          const on = selection.typeCondition
            ? (schema.getType(selection.typeCondition.name.value) ?? parent)
            : parent;
          total += valuesOf(selection.selectionSet, on, seen);
          continue;
        }
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue;
          // Each fragment is counted once and its count reused: spread twice at every level, a chain
          // of fragments would otherwise be walked 2^n times.
          let counted = fragmentValues.get(name);
          if (counted === undefined) {
            const on = schema.getType(fragment.typeCondition.name.value) ?? parent;
            counted = valuesOf(fragment.selectionSet, on, new Set([...seen, name]));
            fragmentValues.set(name, counted);
          }
          total += counted;
          continue;
        }
        total += fieldValues(selection, parent, seen);
      }
      return total;
    };

    const fieldValues = (field: FieldNode, parent: GraphQLNamedType, seen: ReadonlySet<string>): number => {
      if (!isObjectType(parent) && !isInterfaceType(parent)) return 1;
      const definition = parent.getFields()[field.name.value];
      if (!definition) return 1; // __typename and the like; unknown fields fail validation anyway
      const type: GraphQLOutputType = definition.type;
      const named = getNamedType(type);
      let each = 1;
      if (named.name === 'JSON') each = budget.jsonValues;
      else if (isCompositeType(named) && field.selectionSet)
        each = 1 + valuesOf(field.selectionSet, named, seen);
      const firstArg = definition.args.find((a) => a.name === 'first');
      const key = `${parent.name}.${field.name.value}`;
      const list = isListType(getNullableType(type));
      // A connection's `first` multiplies everything under it; a list's `first` or bound multiplies it.
      const page = firstArg ? pageOf(field, firstArg.defaultValue, budget.maxPage) : 1;
      const bound = list && !firstArg ? (budget.listBounds[key] ?? UNKNOWN_LIST) : 1;
      return each * page * bound;
    };

    return {
      OperationDefinition(node: OperationDefinitionNode) {
        const root = schema.getRootType(node.operation);
        if (!root) return;
        const values = valuesOf(node.selectionSet, root, new Set());
        if (values <= budget.maxValues) return;
        context.reportError(
          new GraphQLError(
            `This request could answer with up to ${values.toLocaleString('en')} values; one request may ask for at most ${budget.maxValues.toLocaleString('en')}. Ask for fewer fields, a smaller page (first) or fewer aliases.`,
            {
              nodes: [node],
              extensions: { code: 'RESPONSE_BUDGET_EXCEEDED', values, maxValues: budget.maxValues },
            },
          ),
        );
      },
    };
  };
}

/** What a listed type may list of its own; a type reached through a reference may not. */
const TYPE_MEMBERS = new Set(['fields', 'inputFields', 'enumValues', 'interfaces', 'possibleTypes']);
/** Fields whose __Type is a reference to another type, not a listing of it. */
const TYPE_REFERENCES = new Set(['type', 'ofType', 'interfaces', 'possibleTypes']);

/**
 * Introspection has the shape of the schema, so its answer is bounded by the schema's size unless a
 * request multiplies it: by aliases, or by recursing from a field's type into that type's fields. Both
 * are refused (INTROSPECTION_TOO_WIDE); the standard introspection query (GraphiQL's) does neither.
 */
export function introspectionShapeRule() {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const refuse = (node: FieldNode, why: string) =>
      context.reportError(
        new GraphQLError(`Introspection ${why}.`, {
          nodes: [node],
          extensions: { code: 'INTROSPECTION_TOO_WIDE' },
        }),
      );
    const aliased = (field: FieldNode) => field.alias !== undefined && field.alias.value !== field.name.value;
    const judged = new Map<string, boolean>();

    /** Whether the selection keeps to the shape; refuses at the first place it does not. */
    const keepsShape = (set: SelectionSetNode, reference: boolean, seen: ReadonlySet<string>): boolean => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (!keepsShape(selection.selectionSet, reference, seen)) return false;
          continue;
        }
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue;
          // Judged once per fragment and place (listed or reference), whatever the number of spreads.
          const key = `${name}|${reference}`;
          let kept = judged.get(key);
          if (kept === undefined) {
            kept = keepsShape(fragment.selectionSet, reference, new Set([...seen, name]));
            judged.set(key, kept);
          }
          if (!kept) return false;
          continue;
        }
        if (aliased(selection)) {
          refuse(selection, 'may not use aliases: each part of the schema is answered once');
          return false;
        }
        const name = selection.name.value;
        if (reference && TYPE_MEMBERS.has(name)) {
          refuse(
            selection,
            `lists a type's ${name} where the type is listed (types, __type), not through a reference to it`,
          );
          return false;
        }
        if (
          selection.selectionSet &&
          !keepsShape(selection.selectionSet, reference || TYPE_REFERENCES.has(name), seen)
        ) {
          return false;
        }
      }
      return true;
    };

    return {
      Field(node: FieldNode) {
        if (node.name.value !== '__schema' && node.name.value !== '__type') return;
        if (aliased(node))
          return refuse(node, 'may not use aliases: each part of the schema is answered once');
        if (node.selectionSet) keepsShape(node.selectionSet, false, new Set());
      },
    };
  };
}
