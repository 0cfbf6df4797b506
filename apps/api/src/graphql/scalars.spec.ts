import { Decimal } from '@oms/domain';
import { GraphQLError, Kind } from 'graphql';
import { DateTimeScalar, DecimalScalar, JsonScalar } from './scalars';

describe('GraphQL scalars', () => {
  it('Decimal: strings in and out, exact', () => {
    expect(DecimalScalar.parseValue('9680.50')).toEqual(Decimal.parse('9680.5'));
    expect(DecimalScalar.serialize(Decimal.parse('0.1').plus(Decimal.parse('0.2')))).toBe('0.3');
    expect(DecimalScalar.parseLiteral({ kind: Kind.FLOAT, value: '0.1' })).toEqual(Decimal.parse('0.1'));
    expect(DecimalScalar.parseLiteral({ kind: Kind.INT, value: '10' })).toEqual(Decimal.parse('10'));
  });

  it.each(['abc', 'NaN', 'Infinity', '', '1e400'])('Decimal: %j is a typed error with a reason', (input) => {
    const attempt = () => DecimalScalar.parseValue(input);
    expect(attempt).toThrow(GraphQLError);
    try {
      attempt();
    } catch (error) {
      expect((error as GraphQLError).extensions.code).toBe('INVALID_DECIMAL');
      expect((error as GraphQLError).message).toContain('is not a valid decimal');
    }
  });

  it('Decimal: a JSON float variable is refused (it may already have lost digits)', () => {
    expect(() => DecimalScalar.parseValue(0.1)).toThrow('as strings');
    expect(() => DecimalScalar.parseLiteral({ kind: Kind.BOOLEAN, value: true })).toThrow('strings');
  });

  it('DateTime: ISO-8601 with a zone only', () => {
    expect(DateTimeScalar.parseValue('2026-11-21T10:00:00Z')).toEqual(new Date('2026-11-21T10:00:00.000Z'));
    expect(DateTimeScalar.serialize(new Date('2026-11-21T10:00:00Z'))).toBe('2026-11-21T10:00:00.000Z');
    for (const bad of ['yesterday', '2026-11-21', '2026-13-45T99:00:00Z', 1700000000]) {
      expect(() => DateTimeScalar.parseValue(bad)).toThrow('is not an ISO-8601 instant');
    }
  });

  it('JSON: literals become plain values', () => {
    expect(
      JsonScalar.parseLiteral({
        kind: Kind.OBJECT,
        fields: [
          {
            kind: Kind.OBJECT_FIELD,
            name: { kind: Kind.NAME, value: 'a' },
            value: { kind: Kind.STRING, value: '1.5' },
          },
          {
            kind: Kind.OBJECT_FIELD,
            name: { kind: Kind.NAME, value: 'b' },
            value: { kind: Kind.LIST, values: [{ kind: Kind.NULL }] },
          },
        ],
      }),
    ).toEqual({ a: '1.5', b: [null] });
  });
});
