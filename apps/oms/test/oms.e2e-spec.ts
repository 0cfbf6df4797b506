import { randomUUID } from 'crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { orderStream } from '@oms/application';
import { RunningOms, eventually, startOms } from './harness';

jest.setTimeout(30_000);

const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { accepted rejections { code message } order { id status quantity limitPrice leavesQuantity clientOrderId } }
}`;

type PlaceResult = {
  placeOrder: {
    accepted: boolean;
    rejections: { code: string; message: string }[];
    order: {
      id: string;
      status: string;
      quantity: string;
      limitPrice: string | null;
      leavesQuantity: string;
      clientOrderId: string;
    };
  };
};

const limitBuy = (overrides: Record<string, unknown> = {}) => ({
  accountId: 'demo',
  clientOrderId: `c-${randomUUID()}`,
  instrumentId: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  quantity: '0.010',
  limitPrice: '9650.00',
  ...overrides,
});

describe('OMS over HTTP (GraphQL)', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };

  beforeAll(async () => {
    oms = await startOms();
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  it('GET /health answers 200 once the projector has caught up', async () => {
    const response = await fetch(`${oms.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', projector: 'ok' });
  });

  it('places an order: accepted, PENDING_NEW, exact decimals as strings', async () => {
    const { data, errors } = await oms.gql<PlaceResult>(PLACE, { input: limitBuy() });
    expect(errors).toBeUndefined();
    expect(data?.placeOrder).toMatchObject({
      accepted: true,
      rejections: [],
      order: { status: 'PENDING_NEW', quantity: '0.01', limitPrice: '9650', leavesQuantity: '0.01' },
    });
  });

  it('a risk rejection lists every failed check and is audited as an event', async () => {
    const { data } = await oms.gql<PlaceResult>(PLACE, {
      input: limitBuy({ quantity: '50', limitPrice: '12000' }),
    });
    expect(data?.placeOrder.accepted).toBe(false);
    expect(data?.placeOrder.order.status).toBe('REJECTED');
    expect(data?.placeOrder.rejections.map((r) => r.code)).toEqual(
      expect.arrayContaining([
        'MAX_ORDER_QUANTITY_EXCEEDED',
        'PRICE_COLLAR_BREACHED',
        'MAX_ORDER_NOTIONAL_EXCEEDED',
        'POSITION_LIMIT_EXCEEDED',
      ]),
    );
    const history = await oms.runtime.store.readStream(orderStream(data!.placeOrder.order.id));
    expect(history.map((e) => e.type)).toEqual(['OrderRejected']);
    // What the collar was judged against, for the auditor (the fixed test price, always fresh).
    expect(history[0].data).toMatchObject({
      referencePrice: '9680',
      referenceObservedAt: expect.any(String),
    });
  });

  it('is idempotent: the same request again, and 20 concurrent copies, make one order', async () => {
    const input = limitBuy();
    const first = await oms.gql<PlaceResult>(PLACE, { input });
    const again = await oms.gql<PlaceResult>(PLACE, { input });
    expect(again.data?.placeOrder.order.id).toBe(first.data?.placeOrder.order.id);
    const burst = limitBuy();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => oms.gql<PlaceResult>(PLACE, { input: burst })),
    );
    const ids = new Set(results.map((r) => r.data?.placeOrder.order.id));
    expect(ids.size).toBe(1);
    expect(results.every((r) => r.data?.placeOrder.accepted)).toBe(true);
    const history = await oms.runtime.store.readStream(orderStream([...ids][0] as string));
    expect(history.map((e) => e.type)).toEqual(['OrderAccepted']);
  });

  it('refuses the same client order id with different terms', async () => {
    const input = limitBuy();
    await oms.gql(PLACE, { input });
    const clash = await oms.gql(PLACE, { input: { ...input, side: 'SELL' } });
    expect(clash.errors?.[0].extensions?.code).toBe('DUPLICATE_CLIENT_ORDER_ID');
  });

  describe('bad input: a typed error, a sentence, no stack trace, no event appended', () => {
    const cases: [
      string,
      () => Promise<{ errors?: { message: string; extensions?: Record<string, unknown> }[] }>,
      string,
    ][] = [
      ['zero quantity', () => oms.gql(PLACE, { input: limitBuy({ quantity: '0' }) }), 'INVALID_QUANTITY'],
      [
        'negative quantity',
        () => oms.gql(PLACE, { input: limitBuy({ quantity: '-1' }) }),
        'INVALID_QUANTITY',
      ],
      [
        '"abc" as a Decimal',
        () => oms.gql(PLACE, { input: limitBuy({ quantity: 'abc' }) }),
        'INVALID_DECIMAL',
      ],
      [
        '"abc" as a Decimal literal',
        () =>
          oms.gql(
            'mutation { placeOrder(input: {accountId: "demo", clientOrderId: "x", instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "abc", limitPrice: "1"}) { accepted } }',
          ),
        'INVALID_DECIMAL',
      ],
      [
        'a LIMIT order without a limit price',
        () => oms.gql(PLACE, { input: limitBuy({ limitPrice: null }) }),
        'LIMIT_PRICE_REQUIRED',
      ],
      [
        'an account not granted to the trader',
        () => oms.gql(PLACE, { input: limitBuy({ accountId: 'nobody' }) }),
        'FORBIDDEN',
      ],
      [
        'an unknown instrument',
        () => oms.gql(PLACE, { input: limitBuy({ instrumentId: 'DOGEUSDT' }) }),
        'UNKNOWN_INSTRUMENT',
      ],
      [
        'an account id that cannot name a stream',
        () => oms.gql(PLACE, { input: limitBuy({ accountId: 'a-b' }) }),
        'BAD_USER_INPUT',
      ],
      [
        'cancel of an unknown order',
        () => oms.gql('mutation { cancelOrder(orderId: "nope") { status } }'),
        'ORDER_NOT_FOUND',
      ],
    ];

    it.each(cases)('%s', async (_name, send, code) => {
      const before = await oms.eventCount();
      const { errors } = await send();
      expect(errors?.[0].extensions?.code).toBe(code);
      expect(errors?.[0].message.length).toBeGreaterThan(10);
      expect(JSON.stringify(errors)).not.toMatch(/stacktrace|\n\s+at /);
      expect(await oms.eventCount()).toBe(before);
    });

    it('refuses abusive queries (cost limit)', async () => {
      const wide = (n: number) =>
        `{ ${Array.from({ length: n }, (_, i) => `o${i}: orders(first: 500) { edges { node { id status fills { execId price } rejections { code } } } }`).join(' ')} }`;
      expect((await oms.gql(wide(1))).errors).toBeUndefined();
      const { errors } = await oms.gql(wide(5));
      expect(errors?.[0].extensions?.code).toBe('RESPONSE_BUDGET_EXCEEDED');
      expect(errors?.[0].message).toMatch(/at most 250,000/);
    });
  });

  it('cancels, and shows the history and the order as of an earlier revision', async () => {
    const { data } = await oms.gql<PlaceResult>(PLACE, { input: limitBuy() });
    const id = data!.placeOrder.order.id;
    const cancel = await oms.gql<{ cancelOrder: { status: string } }>(
      `mutation { cancelOrder(orderId: "${id}") { status } }`,
    );
    expect(cancel.data?.cancelOrder.status).toBe('PENDING_CANCEL');
    const history = await oms.gql<{
      orderHistory: { revision: number; type: string; actor: string; correlationId: string }[];
    }>(
      `{ orderHistory(orderId: "${id}") { revision type actor correlationId causationId recordedAt data } }`,
    );
    expect(history.data?.orderHistory.map((e) => [e.revision, e.type])).toEqual([
      [0, 'OrderAccepted'],
      [1, 'OrderCancelRequested'],
    ]);
    expect(history.data?.orderHistory[0].actor).toBe('user:demo-trader');
    expect(
      (history.data?.orderHistory[0] as unknown as { data: Record<string, unknown> }).data,
    ).toMatchObject({
      referencePrice: '9680',
    });
    const asOf = await oms.gql<{ orderAsOf: { status: string } }>(
      `{ orderAsOf(orderId: "${id}", revision: 0) { status } }`,
    );
    expect(asOf.data?.orderAsOf.status).toBe('PENDING_NEW');
    const listed = await eventually(
      () =>
        oms.gql<{ orders: { edges: { node: { id: string; status: string } }[] } }>(
          `{ orders(accountId: "demo", status: [PENDING_CANCEL], first: 50) { edges { node { id status } } } }`,
        ),
      (r) => r.data?.orders.edges.some((e) => e.node.id === id) === true,
      'the read model to show the cancel',
    );
    expect(listed.data?.orders.edges.find((e) => e.node.id === id)?.node.status).toBe('PENDING_CANCEL');
  });

  it('a replace refused by pre-trade risk is a typed error, and audited on the order', async () => {
    const { data } = await oms.gql<PlaceResult>(PLACE, { input: limitBuy() });
    const id = data!.placeOrder.order.id;
    const before = await oms.eventCount();
    const refused = await oms.gql<{ replaceOrder: unknown }>(
      `mutation { replaceOrder(orderId: "${id}", quantity: "0.02", limitPrice: "12000") { status } }`,
    );
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0].extensions?.code).toBe('PRICE_COLLAR_BREACHED');
    expect(refused.errors?.[0].message).toMatch(
      /Limit price 12000 is outside ±5% of the reference price 9680/,
    );
    expect(JSON.stringify(refused.errors)).not.toMatch(/\bat .*\.ts:\d+/);
    // One event, on the order stream; no reservation moved on the account.
    expect(await oms.eventCount()).toBe(before + 1);

    const history = await oms.gql<{
      orderHistory: { type: string; actor: string; data: { rejections?: { code: string }[] } }[];
    }>(`{ orderHistory(orderId: "${id}") { type actor data } }`);
    const last = history.data!.orderHistory.at(-1)!;
    expect(history.data!.orderHistory.map((e) => e.type)).toEqual(['OrderAccepted', 'OrderReplaceRefused']);
    expect(last.actor).toBe('user:demo-trader');
    expect(last.data.rejections?.map((r) => r.code)).toEqual(['PRICE_COLLAR_BREACHED']);
    const order = await oms.gql<{ order: { quantity: string; limitPrice: string } }>(
      `{ order(id: "${id}") { quantity limitPrice } }`,
    );
    expect(order.data?.order).toEqual({ quantity: '0.01', limitPrice: '9650' });
  });

  it('books a venue fill into the position and P&L (account ledger and projector)', async () => {
    const { data } = await oms.gql<PlaceResult>(PLACE, {
      input: limitBuy({ quantity: '0.5', limitPrice: '9600' }),
    });
    const id = data!.placeOrder.order.id;
    // What the execution gateway will record when a venue reports an execution.
    await oms.runtime.store.appendToStream(
      orderStream(id),
      [
        {
          type: 'OrderFilled',
          data: {
            orderId: id,
            execId: 'X1',
            venueId: 'SIM-A',
            childId: null,
            quantity: '0.5',
            price: '9600',
            fee: '0.96',
            liquidity: 'MAKER',
            executedAt: new Date().toISOString(),
            cumQty: '0.5',
            leavesQty: '0',
            avgPx: '9600',
          },
          metadata: { correlationId: 'venue', causationId: null, actor: 'venue:SIM-A' },
        },
      ],
      0n,
    );
    const positions = await eventually(
      () =>
        oms.gql<{
          positions: {
            instrumentId: string;
            quantity: string;
            averagePrice: string;
            unrealizedPnl: string;
            fees: string;
          }[];
        }>(
          '{ positions(accountId: "demo") { instrumentId quantity costBasis averagePrice realizedPnl unrealizedPnl fees markPrice } }',
        ),
      (r) => (r.data?.positions.length ?? 0) > 0,
      'the position',
    );
    expect(positions.data?.positions[0]).toMatchObject({
      instrumentId: 'BTCUSDT',
      quantity: '0.5',
      costBasis: '4800',
      averagePrice: '9600',
      unrealizedPnl: '40',
      fees: '0.96',
    });
    const pnl = await oms.gql<{ pnl: Record<string, string> }>(
      '{ pnl(accountId: "demo") { realized unrealized fees net } }',
    );
    expect(pnl.data?.pnl).toEqual({ realized: '0', unrealized: '40', fees: '0.96', net: '39.04' });
    const order = await eventually(
      () =>
        oms.gql<{ order: { status: string; fills: { execId: string }[] } }>(
          `{ order(id: "${id}") { status fills { execId price } } }`,
        ),
      (r) => r.data?.order.status === 'FILLED',
      'the filled order',
    );
    expect(order.data?.order.fills.map((f) => f.execId)).toEqual(['X1']);
  });

  it('keeps the log chained: auditVerification recomputes it, and the anchor is its head', async () => {
    await oms.gql<PlaceResult>(PLACE, { input: limitBuy() });
    const head = await oms.eventCount();
    const verified = await eventually(
      () =>
        oms.gql<{
          auditVerification: { ok: boolean; checked: number; problem: unknown; head: { hash: string } };
        }>(
          '{ auditVerification { ok checked problem { kind position } head { count position hash } } }',
          undefined,
          oms.as('auditor'),
        ),
      (r) => (r.data?.auditVerification.checked ?? 0) >= head || r.data?.auditVerification.ok === false,
      'the chain up with the log',
    );
    expect(verified.data?.auditVerification).toMatchObject({ ok: true, problem: null });
    const anchor = await oms.gql<{ auditAnchor: { hash: string } }>(
      '{ auditAnchor { hash } }',
      undefined,
      oms.as('auditor'),
    );
    expect(anchor.data?.auditAnchor.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a graphql-ws connection from a foreign browser origin; its own origin and non-browser clients connect', async () => {
    const connect = (origin?: string) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`${oms.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', {
          headers: origin ? { origin } : {},
        });
        socket.on('open', () =>
          socket.send(
            JSON.stringify({
              type: 'connection_init',
              payload: { authorization: `Bearer ${oms.keys.trader}` },
            }),
          ),
        );
        socket.on('message', (m) => {
          const type = (JSON.parse(String(m)) as { type: string }).type;
          socket.close();
          resolve(type);
        });
        socket.on('close', (code) => resolve(`closed ${code}`));
        socket.on('error', () => resolve('error'));
      });
    expect(await connect('https://evil.example')).toBe('closed 4403');
    expect(await connect(oms.url)).toBe('connection_ack');
    expect(await connect()).toBe('connection_ack');
  });

  it('takes only subscriptions over graphql-ws: a query or mutation there is refused with a code', async () => {
    const client = createClient({
      url: `${oms.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${oms.keys.trader}` },
    });
    const outcome = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: '{ venues { id } }' },
        { next: resolve, error: resolve, complete: () => undefined },
      );
    });
    await client.dispose();
    expect(JSON.stringify(outcome)).toContain('SUBSCRIPTIONS_ONLY');
  });

  it('pushes order updates to subscribers over graphql-ws', async () => {
    const client = createClient({
      url: `${oms.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${oms.keys.trader}` },
    });
    const received: { clientOrderId: string; status: string }[] = [];
    let failed: unknown = null;
    client.subscribe<{ orderUpdated: { clientOrderId: string; status: string } }>(
      { query: 'subscription { orderUpdated(accountId: "demo") { clientOrderId status } }' },
      {
        next: (message) => {
          if (message.data) received.push(message.data.orderUpdated);
        },
        error: (error) => (failed = error),
        complete: () => undefined,
      },
    );
    // The server registers the subscription a moment after the socket opens: orders placed before
    // that are not pushed. Place one after another until one is.
    const placed: string[] = [];
    const pushed = () => received.find((o) => placed.includes(o.clientOrderId));
    let lastPlaced = 0;
    await eventually(
      async () => {
        if (failed) throw failed;
        // One order every 100 ms at most: well inside the demo account's order-rate limit.
        if (!pushed() && Date.now() - lastPlaced >= 100) {
          lastPlaced = Date.now();
          const clientOrderId = `sub-${randomUUID()}`;
          placed.push(clientOrderId);
          await oms.gql(PLACE, { input: limitBuy({ clientOrderId }) });
        }
        return pushed();
      },
      (update) => update !== undefined,
      'an order update pushed over graphql-ws',
    );
    await client.dispose();
    expect(pushed()?.status).toBe('PENDING_NEW');
  });

  it('sets per-instrument position limits beside the default, and risk holds an order to them', async () => {
    const limits = `{ maxOrderQuantity: "5", maxOrderNotional: "50000", maxPosition: "10", maxOpenNotional: "250000",
      priceCollarPercent: "5", staleReferenceAfterMs: 10000, maxOrdersPerWindow: 50, orderRateWindowMs: 1000,
      maxDailyLoss: "5000", positionLimits: [{ instrumentId: "BTCUSDT", maxPosition: "0.5" }] }`;
    const opened = await oms.gql(
      `mutation { openAccount(accountId: "per_instrument", limits: ${limits.replace(', positionLimits: [{ instrumentId: "BTCUSDT", maxPosition: "0.5" }]', '')}) { accountId }
        grantAccount(principalId: "demo-trader", accountId: "per_instrument", reason: "desk B") { accounts } }`,
      undefined,
      oms.as('admin'),
    );
    expect(opened.errors).toBeUndefined();
    const set = await oms.gql<{
      setRiskLimits: { positionLimits: { instrumentId: string; maxPosition: string }[] };
    }>(
      `mutation { setRiskLimits(accountId: "per_instrument", limits: ${limits}) { positionLimits { instrumentId maxPosition } } }`,
      undefined,
      oms.as('riskOfficer'),
    );
    expect(set.errors).toBeUndefined();
    expect(set.data?.setRiskLimits.positionLimits).toEqual([{ instrumentId: 'BTCUSDT', maxPosition: '0.5' }]);
    const { data } = await oms.gql<PlaceResult>(PLACE, {
      input: limitBuy({ accountId: 'per_instrument', quantity: '0.6' }),
    });
    expect(data?.placeOrder.rejections.map((r) => r.code)).toEqual(['POSITION_LIMIT_EXCEEDED']);
    const read = await eventually(
      () =>
        oms.gql<{ riskLimits: { positionLimits: { instrumentId: string; maxPosition: string }[] } | null }>(
          `{ riskLimits(accountId: "per_instrument") { positionLimits { instrumentId maxPosition } } }`,
        ),
      (r) => r.data?.riskLimits !== null && r.data?.riskLimits !== undefined,
      'the limits in the read model',
    );
    expect(read.data?.riskLimits?.positionLimits).toEqual([{ instrumentId: 'BTCUSDT', maxPosition: '0.5' }]);
  });

  it('halts and resumes trading (kill switch) — cancels still pass while halted', async () => {
    const { data } = await oms.gql<PlaceResult>(PLACE, { input: limitBuy() });
    const halted = await oms.gql(
      'mutation { haltTrading(scope: GLOBAL, reason: "exchange incident") }',
      undefined,
      oms.as('riskOfficer'),
    );
    expect(halted.errors).toBeUndefined();
    const refused = await oms.gql<PlaceResult>(PLACE, { input: limitBuy() });
    expect(refused.data?.placeOrder.rejections.map((r) => r.code)).toContain('TRADING_HALTED_GLOBAL');
    const cancel = await oms.gql<{ cancelOrder: { status: string } }>(
      `mutation { cancelOrder(orderId: "${data!.placeOrder.order.id}") { status } }`,
    );
    expect(cancel.data?.cancelOrder.status).toBe('PENDING_CANCEL');
    await oms.gql('mutation { resumeTrading(scope: GLOBAL) }', undefined, oms.as('riskOfficer'));
    expect((await oms.gql<PlaceResult>(PLACE, { input: limitBuy() })).data?.placeOrder.accepted).toBe(true);
  });
});
