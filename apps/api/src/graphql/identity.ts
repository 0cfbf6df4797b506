import { AccessControl, AuthenticationFailed, CommandContext, Refusal } from '@oms/application';
import { Permission, Principal, activeKey, permits } from '@oms/domain';
import { Clock, Logger, rateLimitedRequests } from '@oms/platform';
import { JwtVerifier } from './jwt';
import { randomUUID } from 'crypto';
import { GraphQLError } from 'graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

type Headers = Record<string, string | string[] | undefined>;

/** Who is asking and which request this is, established once per request before anything resolves. */
export interface RequestContext {
  principal: Principal;
  /** The API key's id, or `jwt:<principal id>` for a token from the identity provider. */
  keyId: string;
  /** When the credential stops being good (a token's expiry); null: until revoked. */
  expiresAt: number | null;
  /** The client's x-correlation-id, checked; null when it sent none. */
  correlationId: string | null;
  /** HTTP: aborted when the client's connection closes before the answer was sent. */
  signal?: AbortSignal;
}

/** Aborted when the response closes unfinished: the client gave up (timed out, disconnected). */
export function abandonmentOf(response: {
  writableFinished: boolean;
  once(event: 'close', listener: () => void): unknown;
}): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
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
    credential: context.keyId,
    signal: context.signal,
  };
}

const HTTP_STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  AUTHENTICATION_BUSY: 503,
};

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
    private readonly clock: Clock,
    /** Tokens from the firm's identity provider, when configured. */
    private readonly jwt: JwtVerifier | null = null,
  ) {
    this.limiter = new RateLimiterMemory({ points: requestsPerSecond, duration: 1 });
  }

  /** The context of one HTTP request: authenticated, within its rate, its correlation id checked. */
  async ofHttpRequest(headers: Headers): Promise<RequestContext> {
    try {
      const correlationId = correlationOf(headers);
      const credential = await this.authenticate(first(headers.authorization), 'http');
      await this.withinRate(credential.principal);
      return { ...credential, correlationId };
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      const status = HTTP_STATUS[error.code] ?? 400;
      throw asGraphQLError(error, status);
    }
  }

  /** A graphql-ws connection: its key from `connectionParams.authorization`. */
  async ofSocket(connectionParams: unknown): Promise<RequestContext | Refusal> {
    const params = (connectionParams ?? {}) as Record<string, unknown>;
    try {
      const credential = await this.authenticate(params.authorization ?? params.Authorization, 'graphql-ws');
      return { ...credential, correlationId: null };
    } catch (error) {
      if (error instanceof Refusal) return error;
      throw error;
    }
  }

  /** Whether the request's principal may read the order's account; a denial is logged and counted. */
  mayReadOrder(context: RequestContext, accountId: string): boolean {
    if (this.access.allows(context.principal, 'read', accountId)) return true;
    this.logger.warn(
      { principal: context.principal.principalId, accountId },
      'order of another account asked for: answered as absent',
    );
    return false;
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
    const state = await this.access.current();
    if (context.keyId.startsWith('jwt:')) {
      const principal = state.principals.get(context.principal.principalId);
      const expired = context.expiresAt !== null && this.clock.now() >= context.expiresAt;
      return principal !== undefined && !expired && permits(principal, permission, accountId);
    }
    const live = activeKey(state, context.keyId);
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

  private async authenticate(value: unknown, via: string): Promise<Omit<RequestContext, 'correlationId'>> {
    const token = bearerKey(value);
    try {
      if (token && this.jwt && JwtVerifier.looksLikeJwt(token)) return await this.fromToken(this.jwt, token);
      const { principal, keyId } = await this.access.authenticate(token);
      return { principal, keyId, expiresAt: null };
    } catch (error) {
      if (error instanceof AuthenticationFailed) {
        this.logger.warn({ via, reason: error.reason }, 'request refused: not authenticated');
      }
      throw error;
    }
  }

  private async fromToken(jwt: JwtVerifier, token: string): Promise<Omit<RequestContext, 'correlationId'>> {
    let verified;
    try {
      verified = await jwt.verify(token);
    } catch (error) {
      // The provider's keys could not be had: the caller is not at fault, but is not let in either.
      this.logger.error({ err: error }, 'a token could not be verified');
      throw this.access.failure('invalid-token');
    }
    if (!verified) throw this.access.failure('invalid-token');
    const principal = await this.access.principalNamed(verified.principalId);
    return { principal, keyId: `jwt:${principal.principalId}`, expiresAt: verified.expiresAt };
  }
}
