import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { RunningOms, eventually, principalWithKey, startOms } from './harness';

jest.setTimeout(60_000);

type Answer = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};
const code = (r: Answer) => r.errors?.[0]?.extensions?.code;

const PLACE = (accountId: string, clientOrderId: string) =>
  `mutation { placeOrder(input: {accountId: "${accountId}", clientOrderId: "${clientOrderId}", instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.001", limitPrice: "9600"}) { accepted order { id } } }`;

const LIMITS = `{ maxOrderQuantity: "5", maxOrderNotional: "50000", maxPosition: "10", maxOpenNotional: "250000",
  priceCollarPercent: "5", staleReferenceAfterMs: 10000, maxOrdersPerWindow: 50, orderRateWindowMs: 1000, maxDailyLoss: "5000" }`;

/**
 * Who may do what (issue 13): every request is authenticated, each role reaches only what it should,
 * and the actor recorded is always the authenticated principal.
 */
describe('authentication and authorisation over HTTP and graphql-ws', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };
  let otherTrader: Record<string, string>;
  let otherOrder: string;

  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${oms.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Answer };
  };

  beforeAll(async () => {
    oms = await startOms();
    // A second desk: account "desk_b" and its own trader, with one working order.
    const opened = await oms.gql(
      `mutation { openAccount(accountId: "desk_b", limits: ${LIMITS}) { accountId } }`,
      undefined,
      oms.as('admin'),
    );
    expect(opened.errors).toBeUndefined();
    otherTrader = await principalWithKey(oms, 'bea', ['TRADER'], ['desk_b']);
    const placed = await oms.gql<{ placeOrder: { order: { id: string } } }>(
      PLACE('desk_b', 'b-1'),
      undefined,
      otherTrader,
    );
    otherOrder = placed.data!.placeOrder.order.id;
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  it('an anonymous call is refused with UNAUTHENTICATED (401) for every operation; GET /health is open', async () => {
    const before = await oms.eventCount();
    const operations = [
      '{ venues { id } }',
      '{ orders { edges { cursor } } }',
      '{ me { principalId } }',
      '{ auditAnchor { hash } }',
      'mutation { ping }',
      PLACE('demo', 'anon-1'),
      'mutation { haltTrading(scope: GLOBAL, reason: "anonymous") }',
      'mutation { createPrincipal(input: {principalId: "eve", name: "eve", roles: [ADMIN]}) { principalId } }',
    ];
    for (const query of operations) {
      const { status, body } = await post({ query });
      expect([query, status, code(body)]).toEqual([query, 401, 'UNAUTHENTICATED']);
      expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
    }
    for (const authorization of [
      'Bearer nonsense',
      `Bearer ${oms.keys.trader.slice(0, -4)}AAAA`,
      'Basic x',
      oms.keys.trader,
    ]) {
      const { status } = await post({ query: '{ venues { id } }' }, { authorization });
      expect([authorization.slice(0, 12), status]).toEqual([authorization.slice(0, 12), 401]);
    }
    expect(await oms.eventCount()).toBe(before);
    expect((await fetch(`${oms.url}/health`)).status).toBe(200);
    expect((await fetch(`${oms.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${oms.url}/metrics`, { headers: oms.as('trader') })).status).toBe(403);
    const metrics = await fetch(`${oms.url}/metrics`, { headers: oms.as('riskOfficer') });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/oms_authentication_failures_total\{reason="missing"\} [1-9]/);
  });

  it('a trader cannot touch another account: place, cancel, replace, read or list it', async () => {
    const before = await oms.eventCount();
    // Named by the caller, the account is refused in so many words.
    const named: [string, string][] = [
      ['place', PLACE('desk_b', 'x-1')],
      ['cancel all', 'mutation { cancelAllOrders(accountId: "desk_b") }'],
      ['orders', '{ orders(accountId: "desk_b") { edges { cursor } } }'],
      ['positions', '{ positions(accountId: "desk_b") { quantity } }'],
      ['pnl', '{ pnl(accountId: "desk_b") { net } }'],
      ['limits', '{ riskLimits(accountId: "desk_b") { maxPosition } }'],
    ];
    for (const [what, query] of named) {
      const answer = await oms.gql(query);
      expect([what, code(answer)]).toEqual([what, 'FORBIDDEN']);
      expect(answer.errors?.[0].message).toMatch(/demo-trader \(TRADER\) may not/);
    }
    // Reached by an order id (derived from the account and client order id, so guessable), another
    // account's order is as good as absent: its existence is not given away.
    const byOrder: [string, string, string | null][] = [
      ['cancel', `mutation { cancelOrder(orderId: "${otherOrder}") { status } }`, 'ORDER_NOT_FOUND'],
      [
        'replace',
        `mutation { replaceOrder(orderId: "${otherOrder}", quantity: "0.002") { status } }`,
        'ORDER_NOT_FOUND',
      ],
      ['history', `{ orderHistory(orderId: "${otherOrder}") { type } }`, 'ORDER_NOT_FOUND'],
      ['order', `{ order(id: "${otherOrder}") { id } }`, null],
      ['as of', `{ orderAsOf(orderId: "${otherOrder}", revision: 0) { status } }`, null],
    ];
    for (const [what, query, expected] of byOrder) {
      const answer = await oms.gql(query);
      const absent = await oms.gql(query.replaceAll(otherOrder, 'f7e3a1b2-0000-5000-8000-000000000000'));
      expect([what, code(answer) ?? null]).toEqual([what, expected]);
      expect([what, JSON.stringify(answer).replaceAll(otherOrder, 'ID')]).toEqual([
        what,
        JSON.stringify(absent).replaceAll('f7e3a1b2-0000-5000-8000-000000000000', 'ID'),
      ]);
    }
    expect(await oms.eventCount()).toBe(before);
    // Listing without an account shows only the trader's own.
    const mine = await oms.gql<{ orders: { edges: { node: { accountId: string } }[] } }>(
      '{ orders(first: 500) { edges { node { accountId } } } }',
      undefined,
      otherTrader,
    );
    expect(new Set(mine.data!.orders.edges.map((e) => e.node.accountId))).toEqual(new Set(['desk_b']));
  });

  it('a trader cannot subscribe to another account’s orders', async () => {
    const client = createClient({
      url: `${oms.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${oms.keys.trader}` },
    });
    const outcome = await new Promise<unknown>((resolve) =>
      client.subscribe(
        { query: 'subscription { orderUpdated(accountId: "desk_b") { id } }' },
        { next: resolve, error: resolve, complete: () => resolve('completed') },
      ),
    );
    await client.dispose();
    expect(JSON.stringify(outcome)).toContain('FORBIDDEN');
  });

  it('a subscription stops receiving once its key is revoked', async () => {
    const fay = await principalWithKey(oms, 'fay', ['TRADER'], ['demo']);
    const subscribe = (authorization: string, into: string[]) => {
      const client = createClient({
        url: `${oms.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization },
      });
      client.subscribe<{ orderUpdated: { clientOrderId: string } }>(
        { query: 'subscription { orderUpdated(accountId: "demo") { clientOrderId } }' },
        {
          next: (m) => m.data && into.push(m.data.orderUpdated.clientOrderId),
          error: () => undefined,
          complete: () => undefined,
        },
      );
      return client;
    };
    const fays: string[] = [];
    const auditors: string[] = [];
    const clients = [subscribe(fay.authorization, fays), subscribe(`Bearer ${oms.keys.auditor}`, auditors)];
    try {
      // Subscriptions register a moment after the socket opens: place until fay hears one.
      let n = 0;
      await eventually(
        async () => {
          await oms.gql(PLACE('demo', `fay-before-${n++}`), undefined, fay);
          return fays.length;
        },
        (heard) => heard > 0,
        'fay to hear her own order',
      );
      const keyId = /^Bearer oms_([0-9a-f]{16})_/.exec(fay.authorization)![1];
      await oms.gql(
        `mutation { revokeApiKey(keyId: "${keyId}", reason: "test") { principalId } }`,
        undefined,
        oms.as('admin'),
      );
      await oms.gql(PLACE('demo', 'after-revoke'));
      await oms.gql(PLACE('demo', 'after-revoke-2'));
      await eventually(
        async () => auditors,
        (heard) => heard.includes('after-revoke-2'),
        'the auditor to hear the orders placed after the revocation',
      );
      expect(fays).not.toContain('after-revoke');
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });

  it('a graphql-ws connection without a valid key is refused', async () => {
    const connect = (payload: unknown) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`${oms.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
        socket.on('message', (m) => {
          socket.close();
          resolve((JSON.parse(String(m)) as { type: string }).type);
        });
        socket.on('close', (closeCode) => resolve(`closed ${closeCode}`));
      });
    expect(await connect(undefined)).toBe('closed 4403');
    expect(await connect({ authorization: 'Bearer oms_0000000000000000_nope' })).toBe('closed 4403');
    expect(await connect({ authorization: `Bearer ${oms.keys.auditor}` })).toBe('connection_ack');
  });

  it('a trader cannot set limits, halt or administer', async () => {
    const before = await oms.eventCount();
    for (const query of [
      `mutation { setRiskLimits(accountId: "demo", limits: ${LIMITS}) { accountId } }`,
      'mutation { haltTrading(scope: ACCOUNT, id: "demo", reason: "my own halt") }',
      'mutation { resumeTrading(scope: GLOBAL) }',
      'mutation { issueApiKey(principalId: "demo-trader", label: "more") { key } }',
      '{ auditTrail { edges { cursor } } }',
      '{ principals { principalId } }',
    ]) {
      expect([query, code(await oms.gql(query))]).toEqual([query, 'FORBIDDEN']);
    }
    expect(await oms.eventCount()).toBe(before);
  });

  it('an auditor reads every account, the history and the log, and changes nothing', async () => {
    const auditor = oms.as('auditor');
    const history = await oms.gql<{ orderHistory: { actor: string }[] }>(
      `{ orderHistory(orderId: "${otherOrder}") { actor } }`,
      undefined,
      auditor,
    );
    expect(history.data?.orderHistory[0].actor).toBe('user:bea');
    const trail = await oms.gql<{ auditTrail: { edges: unknown[] } }>(
      '{ auditTrail(filter: { actor: "user:bea" }) { edges { node { type } } } }',
      undefined,
      auditor,
    );
    expect(trail.data?.auditTrail.edges.length).toBeGreaterThan(0);
    const before = await oms.eventCount();
    for (const query of [
      PLACE('demo', 'aud-1'),
      `mutation { cancelOrder(orderId: "${otherOrder}") { status } }`,
      'mutation { haltTrading(scope: GLOBAL, reason: "auditor halt") }',
      'mutation { createPrincipal(input: {principalId: "eve", name: "eve", roles: [ADMIN]}) { principalId } }',
    ]) {
      expect([query, code(await oms.gql(query, undefined, auditor))]).toEqual([query, 'FORBIDDEN']);
    }
    expect(await oms.eventCount()).toBe(before);
  });

  it('a risk officer halts and cancels on any account, and places nothing', async () => {
    const risk = oms.as('riskOfficer');
    expect(code(await oms.gql(PLACE('desk_b', 'r-1'), undefined, risk))).toBe('FORBIDDEN');
    const placed = await oms.gql<{ placeOrder: { order: { id: string } } }>(
      PLACE('desk_b', 'b-2'),
      undefined,
      otherTrader,
    );
    const canceled = await oms.gql<{ cancelOrder: { status: string } }>(
      `mutation { cancelOrder(orderId: "${placed.data!.placeOrder.order.id}") { status } }`,
      undefined,
      risk,
    );
    expect(canceled.data?.cancelOrder.status).toBe('PENDING_CANCEL');
  });

  it('no header, body field or connection parameter changes the recorded actor', async () => {
    const forged = await post(
      {
        query: PLACE('demo', 'forged-1'),
        actor: 'system:execution-gateway',
        extensions: { actor: 'system:execution-gateway' },
      },
      {
        ...oms.as('trader'),
        'x-oms-actor': 'system:execution-gateway',
        'x-actor': 'admin',
        'x-user': 'admin',
      },
    );
    const id = (forged.body.data as { placeOrder: { order: { id: string } } }).placeOrder.order.id;
    const history = await oms.gql<{ orderHistory: { actor: string }[] }>(
      `{ orderHistory(orderId: "${id}") { actor } }`,
    );
    expect(history.data?.orderHistory.map((e) => e.actor)).toEqual(['user:demo-trader']);
    // Which of the trader's keys it was is recorded beside the actor (an admin could issue one more).
    const [recorded] = await oms.runtime.store.readStream(`order-${id}`);
    expect(recorded.metadata.credential).toBe(
      /^Bearer oms_([0-9a-f]{16})_/.exec(oms.as('trader').authorization)![1],
    );
    // Over graphql-ws: connection parameters name only the key.
    const client = createClient({
      url: `${oms.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: {
        authorization: `Bearer ${oms.keys.trader}`,
        actor: 'system:seed',
        principalId: 'admin',
      },
    });
    const me = await new Promise<unknown>((resolve) =>
      client.subscribe(
        { query: 'subscription { orderUpdated(accountId: "desk_b") { id } }' },
        { next: resolve, error: resolve, complete: () => resolve('completed') },
      ),
    );
    await client.dispose();
    expect(JSON.stringify(me)).toMatch(/demo-trader \(TRADER\) may not/);
  });

  it('an admin manages principals and keys; secrets are shown once and never listed; a disabled principal stops at once', async () => {
    const admin = oms.as('admin');
    const dan = await principalWithKey(oms, 'dan', ['TRADER'], ['demo']);
    const listed = await oms.gql<{ principals: { principalId: string; keys: { keyId: string }[] }[] }>(
      '{ principals { principalId name roles accounts disabledAt keys { keyId label issuedAt revokedAt } } }',
      undefined,
      admin,
    );
    const text = JSON.stringify(listed);
    expect(text).not.toContain(dan.authorization.slice('Bearer '.length));
    expect(text).not.toMatch(/argon2/);
    const issued = await oms.gql<{ auditTrail: { edges: { node: { data: { secretHash: string } } }[] } }>(
      '{ auditTrail(filter: { eventTypes: ["ApiKeyIssued"] }) { edges { node { data } } } }',
      undefined,
      oms.as('auditor'),
    );
    expect(issued.data?.auditTrail.edges.length).toBeGreaterThan(3);
    expect(JSON.stringify(issued)).not.toMatch(/\$argon2id\$/);
    // In the log itself: the key's argon2id hash (OWASP's parameters), never the key.
    const log = await oms.runtime.store.readStream('access-control');
    const danKeys = log.filter(
      (e) => e.type === 'ApiKeyIssued' && (e.data as { principalId: string }).principalId === 'dan',
    );
    expect(danKeys.map((e) => (e.data as { secretHash: string }).secretHash)).toEqual([
      expect.stringMatching(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/),
    ]);
    expect(JSON.stringify(log.map((e) => [e.data, e.metadata]))).not.toContain(
      dan.authorization.slice('Bearer '.length),
    );
    expect(listed.data?.principals.map((p) => p.principalId)).toEqual(
      expect.arrayContaining(['admin', 'dan', 'demo-trader', 'demo-auditor']),
    );
    expect((await oms.gql(PLACE('demo', 'dan-1'), undefined, dan)).errors).toBeUndefined();
    const disabled = await oms.gql(
      'mutation { disablePrincipal(principalId: "dan", reason: "left the firm") { disabledAt } }',
      undefined,
      admin,
    );
    expect(disabled.errors).toBeUndefined();
    expect(code(await oms.gql('{ me { principalId } }', undefined, dan))).toBe('UNAUTHENTICATED');
    // The change is in the log with who did it and why.
    const trail = await oms.gql<{
      auditTrail: { edges: { node: { type: string; actor: string; data: unknown } }[] };
    }>(
      '{ auditTrail(filter: { eventTypes: ["PrincipalDisabled"] }) { edges { node { type actor data } } } }',
      undefined,
      oms.as('auditor'),
    );
    expect(trail.data?.auditTrail.edges.map((e) => [e.node.actor, e.node.data])).toEqual([
      ['user:demo-admin', expect.objectContaining({ principalId: 'dan', reason: 'left the firm' })],
    ]);
    // Granting an account that is not open is refused; so is an id that could pose as the system.
    expect(
      code(
        await oms.gql(
          'mutation { grantAccount(principalId: "demo-trader", accountId: "nowhere", reason: "typo") { principalId } }',
          undefined,
          admin,
        ),
      ),
    ).toBe('ACCOUNT_NOT_FOUND');
    expect(
      code(
        await oms.gql(
          'mutation { createPrincipal(input: {principalId: "system:seed", name: "x", roles: [ADMIN]}) { principalId } }',
          undefined,
          admin,
        ),
      ),
    ).toBe('BAD_USER_INPUT');
  });
});

describe('the per-principal request rate', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };

  beforeAll(async () => {
    oms = await startOms(undefined, undefined, undefined, { requestsPerSecond: 5 });
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  it('a principal over its rate is refused with RATE_LIMITED (429), nothing appended; another principal is not', async () => {
    const before = await oms.eventCount();
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => oms.gql(PLACE('demo', `rate-${i}`))),
    );
    const limited = answers.filter((a) => code(a) === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThanOrEqual(7);
    expect(limited[0].errors?.[0].message).toMatch(/may make 5 requests a second/);
    const accepted = answers.filter((a) => a.errors === undefined).length;
    // Each accepted order is two events; a refused request appends none.
    expect(await oms.eventCount()).toBe(before + accepted * 2);
    expect((await oms.gql('{ me { principalId } }', undefined, oms.as('auditor'))).errors).toBeUndefined();
  });
});

describe('start-up respects what admins changed', () => {
  it('a disabled demo principal and a withdrawn demo grant stay so across a restart, and two instances start together', async () => {
    const first = await startOms();
    const admin = first.as('admin');
    await first.gql(
      'mutation { disablePrincipal(principalId: "demo-risk-officer", reason: "not used here") { principalId } }',
      undefined,
      admin,
    );
    await first.gql(
      'mutation { revokeAccountGrant(principalId: "demo-trader", accountId: "demo", reason: "desk closed") { principalId } }',
      undefined,
      admin,
    );
    // The bootstrap admin too (another admin remains): the next start goes on without its key.
    const disabled = await first.gql(
      'mutation { disablePrincipal(principalId: "admin", reason: "keys come from the identity provider") { principalId } }',
      undefined,
      admin,
    );
    expect(disabled.errors).toBeUndefined();
    await first.stop();
    const [again, beside] = await Promise.all([startOms(first.database), startOms(first.database)]);
    try {
      const principals = await again.gql<{
        principals: { principalId: string; accounts: string[]; disabledAt: string | null }[];
      }>('{ principals { principalId accounts disabledAt } }', undefined, again.as('admin'));
      const byId = new Map(principals.data!.principals.map((p) => [p.principalId, p]));
      expect(byId.get('demo-risk-officer')?.disabledAt).not.toBeNull();
      expect(byId.get('demo-trader')?.accounts).toEqual([]);
      expect(again.keys.riskOfficer).toBe('');
      expect(byId.get('admin')?.disabledAt).not.toBeNull();
      expect(
        (await again.gql('{ me { principalId } }', undefined, again.as('bootstrapAdmin'))).errors?.[0]
          .extensions?.code,
      ).toBe('UNAUTHENTICATED');
      expect(
        (await beside.gql('{ me { principalId } }', undefined, beside.as('auditor'))).errors,
      ).toBeUndefined();
    } finally {
      await beside.stop();
      await again.stop();
      await first.database.drop();
    }
  });
});
