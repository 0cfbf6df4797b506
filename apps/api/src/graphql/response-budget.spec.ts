import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { introspectionShapeRule, responseBudgetRule } from './response-budget';

const schema = buildSchema(`
  type Node { id: ID! name: String children: [Node!]! }
  type Query { node: Node nodes(first: Int = 10): [Node!]! }
`);

/** A chain of fragments, each spreading the next twice: 2^levels spreads if walked one by one. */
const chain = (levels: number, on: string, leaf: string) =>
  Array.from({ length: levels }, (_, i) =>
    i === levels - 1
      ? `fragment F${i} on ${on} { ${leaf} }`
      : `fragment F${i} on ${on} { ...F${i + 1} ...F${i + 1} }`,
  ).join(' ');

describe('the response budget and the introspection rule', () => {
  it('count lists at their bounds: a page from a literal, its default, or its maximum from a variable', () => {
    const count = (query: string, maxValues: number) =>
      validate(schema, parse(query), [
        responseBudgetRule({ maxValues, maxPage: 500, listBounds: {}, jsonValues: 60 }),
      ]);
    // 10 (the default page) × (1 + id) = 20 values.
    expect(count('{ nodes { id } }', 20)).toEqual([]);
    expect(count('{ nodes { id } }', 19)[0]?.extensions?.code).toBe('RESPONSE_BUDGET_EXCEEDED');
    expect(count('query Q($n: Int) { nodes(first: $n) { id } }', 999)[0]?.extensions?.values).toBe(1_000);
  });

  it('look at each fragment once, however often a chain of fragments spreads it', () => {
    const lookups = jest.spyOn(schema, 'getType');
    const errors = validate(schema, parse(`{ node { ...F0 } } ${chain(20, 'Node', 'id')}`), [
      responseBudgetRule(),
    ]);
    // Counted as written (2^19 ids): refused, having looked at each of the 20 fragments once.
    expect(errors[0]?.extensions?.code).toBe('RESPONSE_BUDGET_EXCEEDED');
    expect(lookups.mock.calls.length).toBeLessThan(100);
    lookups.mockRestore();
    const shape = validate(schema, parse(`{ __schema { types { ...F0 } } } ${chain(24, '__Type', 'name')}`), [
      ...specifiedRules.filter((r) => r.name === 'NoUnusedFragmentsRule'),
      introspectionShapeRule(),
    ]);
    expect(shape).toEqual([]);
  });
});
