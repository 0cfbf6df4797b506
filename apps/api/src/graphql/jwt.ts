import { passportJwtSecret } from 'jwks-rsa';
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy, StrategyOptionsWithoutRequest } from 'passport-jwt';

/** Tokens from the firm's identity provider: who issues them, for whom, and how they are signed. */
export interface JwtSettings {
  issuer: string;
  audience: string;
  /** Keys published by the provider (RS256, ES256…); or */
  jwksUri: string | null;
  /** a shared secret (HS256). */
  secret: string | null;
  algorithms: string[];
  /** The claim that names the OMS principal (`sub` unless configured). */
  principalClaim: string;
}

/** A verified token: the principal it names and when it stops being good. */
export interface VerifiedToken {
  principalId: string;
  expiresAt: number;
}

/** The oldest token taken, by its issue time. */
export const MAX_TOKEN_AGE = '24h';

/** Three base64url parts: a compact JWS, which no API key looks like. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * JWTs checked with passport-jwt (signature, issuer, audience, expiry; keys from the provider's JWKS
 * through jwks-rsa, cached). The token proves who the caller is; what the principal may do is the
 * OMS's own access state, as for an API key.
 */
export class JwtVerifier {
  private readonly passport = new Passport();

  constructor(private readonly settings: JwtSettings) {
    const options: StrategyOptionsWithoutRequest = {
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: settings.algorithms as StrategyOptionsWithoutRequest['algorithms'],
      // However far off its expiry, a token is not taken a day after it was issued (it needs `iat`).
      jsonWebTokenOptions: { maxAge: MAX_TOKEN_AGE },
      ...(settings.jwksUri
        ? {
            secretOrKeyProvider: passportJwtSecret({
              jwksUri: settings.jwksUri,
              cache: true,
              rateLimit: true,
              jwksRequestsPerMinute: 10,
            }),
          }
        : { secretOrKey: settings.secret as string }),
    };
    this.passport.use(
      'jwt',
      new JwtStrategy(options, (payload: Record<string, unknown>, done: (e: null, user: unknown) => void) =>
        done(null, payload),
      ),
    );
  }

  static looksLikeJwt(token: string): boolean {
    return COMPACT_JWS.test(token) && token.length <= 8_192;
  }

  /** The token's principal, or null when the token is not good (bad signature, issuer, audience, expired). */
  verify(token: string): Promise<VerifiedToken | null> {
    const req = { headers: { authorization: `Bearer ${token}` } };
    return new Promise((resolve, reject) => {
      const authenticate = this.passport.authenticate(
        'jwt',
        { session: false },
        (error: unknown, payload: Record<string, unknown> | false) => {
          if (error) return reject(error instanceof Error ? error : new Error(String(error)));
          if (!payload) return resolve(null);
          const principalId = payload[this.settings.principalClaim];
          // A token that never expires is not taken: revoking it would take disabling its principal.
          if (typeof principalId !== 'string' || typeof payload.exp !== 'number') return resolve(null);
          resolve({ principalId, expiresAt: payload.exp * 1000 });
        },
      ) as (req: unknown, res: unknown, next: (error?: unknown) => void) => void;
      authenticate(req, {}, (error) => reject(error instanceof Error ? error : new Error(String(error))));
    });
  }
}
