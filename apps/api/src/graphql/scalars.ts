import { Decimal, InvalidDecimalError } from '@oms/domain';
import { GraphQLError, GraphQLScalarType, Kind, ValueNode } from 'graphql';

function invalidDecimal(error: unknown): GraphQLError {
  const message =
    error instanceof InvalidDecimalError ? error.message : 'Decimal values are strings such as "9680.25".';
  return new GraphQLError(message, { extensions: { code: 'INVALID_DECIMAL' } });
}

function decimalFrom(value: unknown): Decimal {
  try {
    return Decimal.parse(value);
  } catch (error) {
    throw invalidDecimal(error);
  }
}

/**
 * Exact decimals travel as strings ("9680.25"). Literals may also be written as numbers, because the
 * GraphQL parser keeps their exact text; JSON variables must be strings (or safe integers), since a
 * JSON number may already have lost digits.
 */
export const DecimalScalar = new GraphQLScalarType<Decimal, string>({
  name: 'Decimal',
  description: 'An exact decimal number, sent and received as a string such as "9680.25". Never a float.',
  serialize(value) {
    if (value instanceof Decimal) return value.toString();
    if (typeof value === 'string') return decimalFrom(value).toString();
    throw new GraphQLError(`Cannot serialise ${typeof value} as a Decimal`);
  },
  parseValue: decimalFrom,
  parseLiteral(ast: ValueNode) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT)
      return decimalFrom(ast.value);
    throw new GraphQLError('Decimal values are strings such as "9680.25".', {
      extensions: { code: 'INVALID_DECIMAL' },
    });
  },
});

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function dateFrom(value: unknown): Date {
  if (typeof value === 'string' && ISO_INSTANT.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new GraphQLError(
    `${JSON.stringify(value)} is not an ISO-8601 instant such as "2026-11-21T10:00:00Z".`,
    {
      extensions: { code: 'INVALID_DATETIME' },
    },
  );
}

/** An instant in ISO-8601 with a zone (UTC in answers). */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant, ISO-8601 with a time zone, e.g. "2026-11-21T10:00:00.000Z".',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    return dateFrom(value).toISOString();
  },
  parseValue: dateFrom,
  parseLiteral(ast: ValueNode) {
    if (ast.kind === Kind.STRING) return dateFrom(ast.value);
    throw new GraphQLError('DateTime values are ISO-8601 strings.', {
      extensions: { code: 'INVALID_DATETIME' },
    });
  },
});

function literalToJson(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return ast.value;
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalToJson);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value)]));
    default:
      throw new GraphQLError('Variables are not supported inside JSON literals.');
  }
}

/** Event payloads as recorded (decimals inside are already strings). */
export const JsonScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Any JSON value, e.g. an event payload as recorded.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literalToJson,
});
