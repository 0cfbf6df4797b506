import { generateKeyPairSync } from 'crypto';
import { Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { sign } from 'jsonwebtoken';
import { RunningOms, startOms } from './harness';

jest.setTimeout(60_000);

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'oms';

/**
 * Tokens from the firm's identity provider (issue 13): a JWT signed with a key the provider publishes
 * (a JWKS served here on the loopback) authenticates the principal its `sub` names; what it may do is
 * the OMS's own roles and grants. Anything else about the token that is off is UNAUTHENTICATED.
 */
describe('JWTs from the identity provider', () => {
  const provider = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let jwks: Server;
  let oms: RunningOms & { database: { drop(): Promise<void> } };

  const token = (
    claims: Record<string, unknown>,
    options: { key?: typeof provider.privateKey; expiresIn?: number } = {},
  ) =>
    sign(claims, options.key ?? provider.privateKey, {
      algorithm: 'RS256',
      keyid: 'k1',
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: options.expiresIn ?? 300,
    });
  const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

  beforeAll(async () => {
    const publicJwk = {
      ...provider.publicKey.export({ format: 'jwk' }),
      kid: 'k1',
      use: 'sig',
      alg: 'RS256',
    };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    oms = await startOms(undefined, undefined, undefined, {
      jwt: {
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        secret: null,
        algorithms: ['RS256'],
        principalClaim: 'sub',
      },
    });
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  it('a token for a principal authenticates it, with the OMS’s roles, and the actor is that principal', async () => {
    const me = await oms.gql<{ me: { principalId: string; roles: string[] } }>(
      '{ me { principalId roles } }',
      undefined,
      bearer(token({ sub: 'demo-trader', roles: ['ADMIN'] })),
    );
    // A `roles` claim changes nothing: roles are the OMS's.
    expect(me.data?.me).toEqual({ principalId: 'demo-trader', roles: ['TRADER'] });
    const placed = await oms.gql<{ placeOrder: { order: { id: string } } }>(
      `mutation { placeOrder(input: {accountId: "demo", clientOrderId: "jwt-1", instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.001", limitPrice: "9600"}) { order { id } } }`,
      undefined,
      bearer(token({ sub: 'demo-trader' })),
    );
    const history = await oms.gql<{ orderHistory: { actor: string }[] }>(
      `{ orderHistory(orderId: "${placed.data!.placeOrder.order.id}") { actor } }`,
      undefined,
      oms.as('auditor'),
    );
    expect(history.data?.orderHistory[0].actor).toBe('user:demo-trader');
    const forbidden = await oms.gql(
      'mutation { haltTrading(scope: GLOBAL, reason: "from a token") }',
      undefined,
      bearer(token({ sub: 'demo-trader' })),
    );
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('a token that is off in any way is UNAUTHENTICATED: signer, audience, issuer, expiry or none, principal, algorithm', async () => {
    const refused = [
      ['another key', token({ sub: 'demo-trader' }, { key: stranger.privateKey })],
      ['expired', token({ sub: 'demo-trader' }, { expiresIn: -60 })],
      [
        'another audience',
        sign({ sub: 'demo-trader' }, provider.privateKey, {
          algorithm: 'RS256',
          keyid: 'k1',
          issuer: ISSUER,
          audience: 'other',
        }),
      ],
      [
        'another issuer',
        sign({ sub: 'demo-trader' }, provider.privateKey, {
          algorithm: 'RS256',
          keyid: 'k1',
          issuer: 'https://evil/',
          audience: AUDIENCE,
        }),
      ],
      ['an unknown principal', token({ sub: 'nobody' })],
      [
        'issued more than a day ago, however far off its expiry',
        token(
          { sub: 'demo-trader', iat: Math.floor(Date.now() / 1000) - 25 * 3600 },
          { expiresIn: 10 * 365 * 86_400 },
        ),
      ],
      [
        'no expiry',
        sign({ sub: 'demo-trader' }, provider.privateKey, {
          algorithm: 'RS256',
          keyid: 'k1',
          issuer: ISSUER,
          audience: AUDIENCE,
        }),
      ],
      [
        'HS256 with the public key as secret',
        sign({ sub: 'demo-admin' }, provider.publicKey.export({ format: 'pem', type: 'spki' }), {
          algorithm: 'HS256',
          keyid: 'k1',
          issuer: ISSUER,
          audience: AUDIENCE,
        }),
      ],
    ] as const;
    for (const [what, jwt] of refused) {
      const answer = await oms.gql('{ me { principalId } }', undefined, bearer(jwt));
      expect([what, answer.errors?.[0].extensions?.code]).toEqual([what, 'UNAUTHENTICATED']);
    }
  });

  it('a disabled principal’s tokens stop working at once', async () => {
    await oms.gql(
      `mutation { createPrincipal(input: {principalId: "gus", name: "gus", roles: [AUDITOR]}) { principalId } }`,
      undefined,
      oms.as('admin'),
    );
    const jwt = token({ sub: 'gus' });
    expect((await oms.gql('{ me { principalId } }', undefined, bearer(jwt))).errors).toBeUndefined();
    await oms.gql(
      'mutation { disablePrincipal(principalId: "gus", reason: "left") { principalId } }',
      undefined,
      oms.as('admin'),
    );
    const after = await oms.gql('{ me { principalId } }', undefined, bearer(jwt));
    expect(after.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
