import { Refusal } from '@oms/application';
import { ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { GqlArgumentsHost, GqlExceptionFilter } from '@nestjs/graphql';
import { Logger } from '@oms/platform';
import { randomUUID } from 'crypto';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { RequestContext } from './identity';

/** Codes that mean "your request was wrong", from GraphQL itself, Apollo and our scalars. */
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
  'TOO_MANY_MUTATIONS',
  'TOO_MANY_ROOT_FIELDS',
  'INVALID_CORRELATION_ID',
  'UNAUTHENTICATED',
  'AUTHENTICATION_BUSY',
  'RATE_LIMITED',
  'SUBSCRIPTIONS_ONLY',
  'RESPONSE_BUDGET_EXCEEDED',
  'INTROSPECTION_TOO_WIDE',
  'INVALID_TEXT',
  'TEXT_TOO_LONG',
  'TOO_MANY_SUBSCRIPTIONS',
  'INTROSPECTION_DISABLED',
]);

function validationMessages(error: unknown): string | null {
  if (!(error instanceof HttpException)) return null;
  const response = error.getResponse();
  if (typeof response === 'object' && response && 'message' in response) {
    const message = (response as { message: unknown }).message;
    return Array.isArray(message) ? message.join('; ') : String(message);
  }
  return error.message;
}

const originalOf = (error: unknown) =>
  error instanceof GraphQLError ? (error.originalError ?? error) : error;

/**
 * Apollo `formatError`: a refusal keeps its code and sentence (every reason in `rejections` when
 * there are several); class-validator failures become BAD_USER_INPUT with every message; GraphQL's
 * own caller errors keep their code; anything else is an internal error with a reference to the log
 * line, so no internals (stack, SQL, file paths) ever reach a client.
 */
export function graphQLErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = originalOf(error);
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    const answer = (message: string, ext: Record<string, unknown>): GraphQLFormattedError => ({
      message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: ext,
    });
    if (original instanceof Refusal) {
      return answer(original.message, {
        code: original.code,
        ...original.details,
        ...(original.rejections.length > 1 ? { rejections: original.rejections } : {}),
      });
    }
    const validation = validationMessages(original);
    if (validation !== null && original instanceof HttpException && original.getStatus() < 500) {
      return answer(validation, { code: 'BAD_USER_INPUT' });
    }
    // A scalar's own reason (INVALID_DECIMAL…) is more useful than the generic validation code around it.
    const ownCode = original instanceof GraphQLError ? original.extensions?.code : undefined;
    const code = String(
      typeof ownCode === 'string' && CALLER_CODES.has(ownCode) ? ownCode : (formatted.extensions?.code ?? ''),
    );
    if (CALLER_CODES.has(code)) return answer(formatted.message, { ...extensions, code });
    const reference = randomUUID();
    logger.error({ err: original, reference }, 'internal error answered to a client');
    return {
      message: `Internal error (reference ${reference}). Retrying is safe: placing an order again with the same clientOrderId never creates a second order.`,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', reference },
    };
  };
}

/**
 * Errors thrown by resolvers pass here before Apollo formats them: a refusal or bad input the caller
 * caused is logged at INFO with its code (never a stack trace); a fault is left to the formatter, which
 * logs it at ERROR once, with its stack and the reference the client sees.
 */
@Catch()
export class ResolverErrorFilter implements GqlExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): unknown {
    const gql = GqlArgumentsHost.create(host);
    const request = gql.getContext<Partial<RequestContext> | undefined>();
    const context = {
      field: gql.getInfo<{ fieldName?: string }>()?.fieldName,
      principal: request?.principal?.principalId,
      correlationId: request?.correlationId ?? undefined,
    };
    if (exception instanceof Refusal) {
      this.logger.info({ ...context, code: exception.code }, `refused: ${exception.message}`);
    } else if (exception instanceof HttpException && exception.getStatus() < 500) {
      this.logger.info({ ...context, code: 'BAD_USER_INPUT' }, `bad input: ${validationMessages(exception)}`);
    }
    return exception;
  }
}
