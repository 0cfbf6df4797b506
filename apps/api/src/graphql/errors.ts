import { HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { GraphQLError, GraphQLFormattedError } from 'graphql';

/**
 * An error the caller caused and can fix (bad input, unknown id, an order that cannot be canceled):
 * a stable reason code in `extensions.code` and a sentence. Never a stack trace.
 */
export class OmsUserError extends GraphQLError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message, { extensions: { code, ...(details ?? {}) } });
  }

  /** A decider's refusal: the first reason's code, every reason's sentence, the list in `rejections`. */
  static fromRejections(rejections: { code: string; message: string }[]): OmsUserError {
    return new OmsUserError(rejections[0].code, rejections.map((r) => r.message).join(' '), { rejections });
  }
}

/** Codes that mean "your request was wrong", from GraphQL itself, Apollo, our scalars and our handlers. */
const CALLER_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'INVALID_DECIMAL',
  'INVALID_DATETIME',
  'QUERY_TOO_COMPLEX',
]);

const logger = new Logger('GraphQL');

function validationMessages(error: unknown): string | null {
  if (!(error instanceof HttpException)) return null;
  const response = error.getResponse();
  if (typeof response === 'object' && response && 'message' in response) {
    const message = (response as { message: unknown }).message;
    return Array.isArray(message) ? message.join('; ') : String(message);
  }
  return error.message;
}

/**
 * Apollo `formatError`: caller errors keep their code and message; class-validator failures become
 * BAD_USER_INPUT with every message; anything else is an internal error with a reference to the log
 * line, so no internals (stack, SQL, file paths) ever reach a client.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  // A scalar's own reason (INVALID_DECIMAL…) is more useful than the generic validation code around it.
  const ownCode = original instanceof GraphQLError ? original.extensions?.code : undefined;
  const code = String(
    typeof ownCode === 'string' && CALLER_CODES.has(ownCode) ? ownCode : (formatted.extensions?.code ?? ''),
  );
  const validation = validationMessages(original);
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
  if (validation !== null && original instanceof HttpException && original.getStatus() < 500) {
    return {
      message: validation,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'BAD_USER_INPUT' },
    };
  }
  if (original instanceof OmsUserError || CALLER_CODES.has(code)) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { ...extensions, code },
    };
  }
  const reference = randomUUID();
  logger.error(
    `internal error ${reference}: ${original instanceof Error ? (original.stack ?? original.message) : String(original)}`,
  );
  return {
    message: `Internal error (reference ${reference}). Retrying is safe: placing an order again with the same clientOrderId never creates a second order.`,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', reference },
  };
}
