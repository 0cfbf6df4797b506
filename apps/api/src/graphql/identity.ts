import { AccessControl, AuthenticationFailed, CommandContext, Refusal } from '@oms/application';
import { Permission, Principal, activeKey, permits } from '@oms/domain';
import { Logger, rateLimitedRequests } from '@oms/platform';
import { randomUUID } from 'crypto';
import { GraphQLError } from 'graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

type Headers = Record<string, string | string[] | undefined>;

/** Who is asking and which request this is, established once per request before anything resolves. */
export interface RequestContext {
  principal: Principal;
  keyId: string;
  /** The client's x-correlation-id, checked; null when it sent none. */
  correlationId: string | null;
}

/** Ids, UUIDs and the like: it is copied into every event the request leads to. */
const CORRELATION = /^[A-Za-z0-9_.:-]{1,128}$/;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The client's correlation id from `x-correlation-id`: checked, or refused. */
export function correlationOf(headers: Headers): string | null {
  const id = first(headers['x-correlation-id']);
  if (id === undefined) return null;
  if (!CORRELATION.test(id)) {
    throw new Refusal(
      'INVALID_CORRELATION_ID',
      'x-correlation-id must be 1–128 letters, digits, "_", ".", ":" or "-".',
    );
  }
  return id;
}

/** The key in `Authorization: Bearer <key>` (or a graphql-ws connection parameter of the same form). */
export function bearerKey(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer +(\S+)$/i.exec(value.trim());
  return match ? match[1] : null;
}

/**
 * The actor on every event a request causes is its authenticated principal, `user:<principal id>`:
 * no header, field or connection parameter can set it (system actors are `system:…`, which no
 * principal id can spell).
 */
export function commandContext(context: RequestContext): CommandContext {
  return {
    actor: `user:${context.principal.principalId}`,
    correlationId: context.correlationId ?? randomUUID(),
    principal: context.principal,
  };
}

const asGraphQLError = (refusal: Refusal, status: number) =>
  new GraphQLError(refusal.message, { extensions: { code: refusal.code, http: { status } } });

/**
 * Authentication and the per-principal request rate, for HTTP requests and graphql-ws connections.
 * Failures are logged (the key id at most, never a key) and counted.
 */
export class Identity {
  private readonly limiter: RateLimiterMemory;

  constructor(
    readonly access: AccessControl,
    private readonly logger: Logger,
    /** Requests per second one principal may make on this instance. */
    readonly requestsPerSecond: number,
  ) {
    this.limiter = new RateLimiterMemory({ points: requestsPerSecond, duration: 1 });
  }

  /** The context of one HTTP request: authenticated, within its rate, its correlation id checked. */
  async ofHttpRequest(headers: Headers): Promise<RequestContext> {
    try {
      const correlationId = correlationOf(headers);
      const { principal, keyId } = await this.authenticate(first(headers.authorization), 'http');
      await this.withinRate(principal);
      return { principal, keyId, correlationId };
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      const status = error.code === 'UNAUTHENTICATED' ? 401 : error.code === 'RATE_LIMITED' ? 429 : 400;
      throw asGraphQLError(error, status);
    }
  }

  /** A graphql-ws connection: its key from `connectionParams.authorization`. */
  async ofSocket(connectionParams: unknown): Promise<RequestContext | Refusal> {
    const params = (connectionParams ?? {}) as Record<string, unknown>;
    try {
      const { principal, keyId } = await this.authenticate(
        params.authorization ?? params.Authorization,
        'graphql-ws',
      );
      return { principal, keyId, correlationId: null };
    } catch (error) {
      if (error instanceof Refusal) return error;
      throw error;
    }
  }

  /** FORBIDDEN unless the request's principal may; logged. */
  require(context: RequestContext, permission: Permission, accountId?: string): void {
    try {
      this.access.require(context.principal, permission, accountId);
    } catch (error) {
      this.logger.warn(
        { principal: context.principal.principalId, permission, accountId },
        'request refused: not permitted',
      );
      throw error;
    }
  }

  /**
   * Whether the key a long-lived request (a subscription) authenticated with still works and still
   * allows it, as the log says now: a revoked key or grant stops what it receives at the next update.
   */
  async stillPermits(context: RequestContext, permission: Permission, accountId?: string): Promise<boolean> {
    const live = activeKey(await this.access.current(), context.keyId);
    return live !== null && permits(live.principal, permission, accountId);
  }

  async withinRate(principal: Principal): Promise<void> {
    try {
      await this.limiter.consume(principal.principalId);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      rateLimitedRequests.inc();
      throw new Refusal(
        'RATE_LIMITED',
        `${principal.principalId} may make ${this.requestsPerSecond} requests a second; try again in ${error.msBeforeNext} ms.`,
      );
    }
  }

  private async authenticate(value: unknown, via: string) {
    try {
      return await this.access.authenticate(bearerKey(value));
    } catch (error) {
      if (error instanceof AuthenticationFailed) {
        this.logger.warn({ via, reason: error.reason }, 'request refused: not authenticated');
      }
      throw error;
    }
  }
}
