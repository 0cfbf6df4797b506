import { Decimal, OrderType } from '@oms/domain';
import { Clock } from '@oms/platform';
import { SimulatedFaults, SimulatedVenue } from '@oms/venues';
import { RunningOms, eventually, startOms } from './harness';

jest.setTimeout(90_000);

type Oms = Awaited<ReturnType<typeof startOms>>;
const d = (v: string) => Decimal.parse(v);

interface OrderView {
  id: string;
  status: string;
  type: string;
  stopPrice: string | null;
  triggerStatus: string | null;
  filledQuantity: string;
}
const ORDER_FIELDS = 'id status type stopPrice triggerStatus filledQuantity';

async function place(
  oms: RunningOms,
  fields: string,
): Promise<{ accepted: boolean; order: OrderView; rejections: { code: string }[] }> {
  const answer = await oms.gql<{
    placeOrder: { accepted: boolean; order: OrderView; rejections: { code: string }[] };
  }>(
    `mutation { placeOrder(input: {accountId: "demo", instrumentId: "BTCUSDT", ${fields}}) { accepted rejections { code } order { ${ORDER_FIELDS} } } }`,
  );
  if (!answer.data) throw new Error(JSON.stringify(answer.errors));
  return answer.data.placeOrder;
}

const orderOf = async (oms: RunningOms, id: string) =>
  (await oms.gql<{ order: OrderView | null }>(`{ order(id: "${id}") { ${ORDER_FIELDS} } }`)).data?.order ??
  null;

const historyOf = async (oms: RunningOms, id: string) =>
  (
    await oms.gql<{ orderHistory: { type: string; data: Record<string, unknown>; actor: string }[] }>(
      `{ orderHistory(orderId: "${id}") { type data actor } }`,
    )
  ).data?.orderHistory ?? [];

describe('held orders on the demo’s moving market', () => {
  let oms: Oms;

  beforeAll(async () => {
    oms = await startOms(undefined, ['api', 'projector', 'ledger', 'gateway']);
    await eventually(
      async () =>
        (await oms.gql<{ trades: unknown[] }>('{ trades(instrumentId: "BTCUSDT", last: 1) { price } }')).data
          ?.trades ?? [],
      (t) => t.length > 0,
      'a trade on the demo market',
    );
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  it('a STOP is armed by the OMS, triggers when the last trade reaches it, and fills as a protected MARKET order', async () => {
    const last = (
      await oms.gql<{ trades: { price: string }[] }>('{ trades(instrumentId: "BTCUSDT", last: 1) { price } }')
    ).data!.trades[0].price;
    const stop = d(last).plus(d('0.5')).toString();
    const placed = await place(
      oms,
      `clientOrderId: "stop-1", side: BUY, type: STOP, quantity: "0.01", stopPrice: "${stop}"`,
    );
    expect(placed.accepted).toBe(true);
    expect(placed.order.triggerStatus).toBe('ACCEPTED');
    const filled = await eventually(
      () => orderOf(oms, placed.order.id),
      (o) => o?.status === 'FILLED',
      'the stop to trigger on the moving market and fill',
      60_000,
    );
    expect(filled).toMatchObject({ type: 'STOP', triggerStatus: 'RELEASED', filledQuantity: '0.01' });
    const history = await historyOf(oms, placed.order.id);
    const types = history.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['OrderAccepted', 'OrderArmed', 'OrderTriggered', 'OrderReleased']);
    const triggered = history.find((e) => e.type === 'OrderTriggered')!;
    // With the market data that triggered it: the last trade at or above the stop.
    expect(d(triggered.data.price as string).gte(d(stop))).toBe(true);
    expect((triggered.data.market as { last: string }).last).toBe(triggered.data.price);
    expect(triggered.actor).toBe('system:execution-gateway');
    const released = history.find((e) => e.type === 'OrderReleased')!;
    expect(released.data).toMatchObject({ type: 'MARKET', protectionPrice: expect.any(String) });
    expect(types).toContain('OrderRouted');
  });

  it('a trailing stop on the moving market: armed at the market, trailing only up, triggered at or below its stop', async () => {
    const placed = await place(
      oms,
      `clientOrderId: "trail-demo", side: SELL, type: TRAILING_STOP, quantity: "0.01", trailingOffset: "3"`,
    );
    const done = await eventually(
      () => orderOf(oms, placed.order.id),
      (o) => o?.status === 'FILLED',
      'the trailing stop to trigger on a reversal and fill',
      60_000,
    );
    expect(done?.triggerStatus).toBe('RELEASED');
    const history = await historyOf(oms, placed.order.id);
    const armed = history.find((e) => e.type === 'OrderArmed')!.data;
    const stops = [armed, ...history.filter((e) => e.type === 'TrailingStopMoved').map((e) => e.data)].map(
      (e) => d(e.stopPrice as string),
    );
    for (let i = 1; i < stops.length; i++) expect(stops[i].gt(stops[i - 1])).toBe(true);
    const triggered = history.find((e) => e.type === 'OrderTriggered')!.data;
    expect(d(triggered.stopPrice as string).gte(stops[0])).toBe(true);
    expect(d(triggered.price as string).lte(d(triggered.stopPrice as string))).toBe(true);
  });

  it('a bracket on the moving market: the take-profit (priced to fill at once) fills, the stop-loss below the market’s band is canceled', async () => {
    // On the tick: the best offer, and prices a whole number of ticks from it.
    const ask = (
      await oms.gql<{ quote: { ask: { price: string } } }>(
        '{ quote(instrumentId: "BTCUSDT") { ask { price } } }',
      )
    ).data!.quote.ask.price;
    const at = (offset: string) => d(ask).plus(d(offset)).toString();
    const placed = await oms.gql<{ placeOrderList: { list: { id: string } } }>(
      `mutation { placeOrderList(input: { accountId: "demo", clientListId: "demo-br", contingency: BRACKET, legs: [
         { key: "in", role: ENTRY, instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.01", limitPrice: "${at('1')}" },
         { key: "tp", role: TAKE_PROFIT, instrumentId: "BTCUSDT", side: SELL, type: LIMIT, limitPrice: "${at('-3')}" },
         { key: "sl", role: STOP_LOSS, instrumentId: "BTCUSDT", side: SELL, type: STOP, stopPrice: "9500" } ] })
         { list { id } } }`,
    );
    expect(placed.errors).toBeUndefined();
    const id = placed.data!.placeOrderList.list.id;
    type Leg = { key: string; orders: { status: string }[] };
    const list = await eventually(
      async () =>
        (
          await oms.gql<{ orderList: { status: string; legs: Leg[] } }>(
            `{ orderList(id: "${id}") { status legs { key orders { status } } } }`,
          )
        ).data?.orderList,
      (l) => l?.status === 'ENDED',
      'the take-profit to fill and the list to end',
      60_000,
    );
    const statuses = Object.fromEntries(list!.legs.map((l) => [l.key, l.orders.map((o) => o.status)]));
    expect(statuses).toEqual({ in: ['FILLED'], tp: ['FILLED'], sl: ['CANCELED'] });
  });

  it('a held order is canceled at once, and a halt cancels armed orders too', async () => {
    const far = await place(
      oms,
      `clientOrderId: "stop-far", side: SELL, type: STOP, quantity: "0.01", stopPrice: "1000"`,
    );
    await eventually(
      () => orderOf(oms, far.order.id),
      (o) => o?.triggerStatus === 'ARMED',
      'armed',
    );
    const canceled = await oms.gql<{ cancelOrder: { status: string } }>(
      `mutation { cancelOrder(orderId: "${far.order.id}") { status } }`,
    );
    expect(canceled.data?.cancelOrder.status).toBe('CANCELED');

    const other = await place(
      oms,
      `clientOrderId: "stop-halted", side: SELL, type: STOP, quantity: "0.01", stopPrice: "1000"`,
    );
    await eventually(
      () => orderOf(oms, other.order.id),
      (o) => o?.triggerStatus === 'ARMED',
      'armed',
    );
    await oms.gql(
      `mutation { haltTrading(scope: ACCOUNT, id: "demo", reason: "desk review") }`,
      undefined,
      oms.as('riskOfficer'),
    );
    try {
      const halted = await eventually(
        () => orderOf(oms, other.order.id),
        (o) => o?.status === 'CANCELED',
        'the halt to cancel the armed stop',
      );
      expect(halted?.status).toBe('CANCELED');
    } finally {
      await oms.gql(
        `mutation { resumeTrading(scope: ACCOUNT, id: "demo") }`,
        undefined,
        oms.as('riskOfficer'),
      );
    }
  });

  it('each order type refuses the fields it cannot use, with a code, and nothing is appended', async () => {
    const before = await oms.eventCount();
    const cases: [string, string][] = [
      [
        'clientOrderId: "f1", side: BUY, type: MARKET, quantity: "0.01", stopPrice: "9000"',
        'FIELD_NOT_ALLOWED',
      ],
      ['clientOrderId: "f2", side: BUY, type: STOP, quantity: "0.01"', 'STOP_PRICE_REQUIRED'],
      [
        'clientOrderId: "f3", side: BUY, type: TRAILING_STOP, quantity: "0.01", stopPrice: "9000", trailingOffset: "5"',
        'FIELD_NOT_ALLOWED',
      ],
      [
        'clientOrderId: "f4", side: BUY, type: STOP_LIMIT, quantity: "0.01", stopPrice: "9000"',
        'LIMIT_PRICE_REQUIRED',
      ],
      [
        'clientOrderId: "f5", side: BUY, type: LIMIT, quantity: "0.01", limitPrice: "9000", triggerType: MARK',
        'FIELD_NOT_ALLOWED',
      ],
    ];
    for (const [fields, code] of cases) {
      const answer = await oms.gql(
        `mutation { placeOrder(input: {accountId: "demo", instrumentId: "BTCUSDT", ${fields}}) { accepted } }`,
      );
      expect([fields, answer.errors?.map((e) => e.extensions?.code)]).toEqual([fields, [code]]);
    }
    expect(await oms.eventCount()).toBe(before);
  });
});

/**
 * A market the test moves itself: one simulated venue, fed a trade (and a book around it) at a time.
 * It holds stops itself when told to declare STOP_LIMIT.
 */
function movedMarket(orderTypes: OrderType[] = ['MARKET', 'LIMIT']) {
  let venue!: SimulatedVenue;
  let time = Date.parse('2026-12-01T10:00:00Z') * 1000;
  return {
    venues: async (clock: Clock) => {
      venue = new SimulatedVenue({
        capabilities: {
          venueId: 'SIM-T',
          orderTypes,
          timesInForce: ['DAY', 'GTC', 'IOC', 'FOK', 'GTD'],
          instruments: { BTCUSDT: { symbol: 'BTCUSDT', tickSize: d('0.01'), lotSize: d('0.001') } },
          rateLimit: { perSecond: 1_000, burst: 1_000 },
          fees: { maker: d('0'), taker: d('0.0004') },
        },
        clock,
        seed: 7,
        feeds: {},
      });
      return [venue];
    },
    /** What the venue holds as working now. */
    openOrders: () => venue.openOrders(),
    setFaults: (faults: SimulatedFaults) => venue.setFaults(faults),
    print(price: string) {
      time += 1_000;
      venue.publish('BTCUSDT', {
        kind: 'book',
        exchange: 'test',
        symbol: 'BTCUSDT',
        timestamp: time,
        localTimestamp: time,
        snapshot: true,
        bids: [{ price: d(price).minus(d('0.5')), quantity: d('5') }],
        asks: [{ price: d(price).plus(d('0.5')), quantity: d('5') }],
      });
      venue.publish('BTCUSDT', {
        kind: 'trade',
        exchange: 'test',
        symbol: 'BTCUSDT',
        timestamp: time,
        localTimestamp: time,
        tradeId: `t${time}`,
        aggressor: 'BUY',
        price: d(price),
        quantity: d('0.001'),
      });
    },
  };
}

describe('held orders across a restart', () => {
  it('a stop armed before the OMS stopped is watched again after it starts, and triggers on the market then', async () => {
    await acrossRestart(
      ['MARKET', 'LIMIT'],
      async (first) => {
        const placed = await place(
          first,
          `clientOrderId: "restart-1", side: SELL, type: STOP, quantity: "0.01", stopPrice: "9650"`,
        );
        await eventually(
          () => orderOf(first, placed.order.id),
          (o) => o?.triggerStatus === 'ARMED',
          'armed',
        );
        return placed.order.id;
      },
      async (second, market, orderId) => {
        // The market is below the stop when the OMS is back: it triggers on the first market data.
        market.print('9640');
        const filled = await eventually(
          () => orderOf(second, orderId),
          (o) => o?.status === 'FILLED',
          'the stop to trigger after the restart',
        );
        expect(filled?.triggerStatus).toBe('RELEASED');
        const triggered = (await historyOf(second, orderId)).find((e) => e.type === 'OrderTriggered');
        expect(triggered?.data).toMatchObject({ stopPrice: '9650', price: '9640' });
      },
    );
  });
});

describe('a trailing stop on a market the test moves', () => {
  let oms: Oms;
  const market = movedMarket();
  const print = (price: string) => market.print(price);

  beforeAll(async () => {
    oms = await startOms(undefined, ['api', 'projector', 'ledger', 'gateway'], { venues: market.venues });
    await oms.runtime.whenGatewaySettled();
    print('9700');
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  it('follows the price up, records its moves, and triggers on the reversal', async () => {
    const placed = await place(
      oms,
      `clientOrderId: "trail-1", side: SELL, type: TRAILING_STOP, quantity: "0.01", trailingOffset: "20"`,
    );
    expect(placed.accepted).toBe(true);
    const armed = await eventually(
      () => orderOf(oms, placed.order.id),
      (o) => o?.triggerStatus === 'ARMED',
      'armed',
    );
    expect(armed?.stopPrice).toBe('9680');
    // Up: the stop follows, 20 behind the highest trade (recorded at most once a second).
    for (const price of ['9710', '9725', '9740']) print(price);
    await eventually(
      () => orderOf(oms, placed.order.id),
      (o) => o?.stopPrice === '9720',
      'the stop to trail to 9720',
      15_000,
    );
    // A dip that stays above the stop does nothing; the reversal through it triggers.
    print('9725');
    expect((await orderOf(oms, placed.order.id))?.triggerStatus).toBe('ARMED');
    print('9719');
    const done = await eventually(
      () => orderOf(oms, placed.order.id),
      (o) => o?.status === 'FILLED',
      'the trailing stop to trigger and fill',
    );
    expect(done?.filledQuantity).toBe('0.01');
    const history = await historyOf(oms, placed.order.id);
    const moves = history.filter((e) => e.type === 'TrailingStopMoved').map((e) => e.data.stopPrice);
    expect(moves.length).toBeGreaterThan(0);
    expect(moves[moves.length - 1]).toBe('9720');
    const triggered = history.find((e) => e.type === 'OrderTriggered')!;
    expect(triggered.data).toMatchObject({ stopPrice: '9720', price: '9719' });
  });

  it('a stop is moved while armed (replaceOrder stopPrice): it triggers at the new price, not the old one', async () => {
    print('9700');
    const placed = await place(
      oms,
      `clientOrderId: "move-1", side: SELL, type: STOP, quantity: "0.01", stopPrice: "9650"`,
    );
    await eventually(
      () => orderOf(oms, placed.order.id),
      (o) => o?.triggerStatus === 'ARMED',
      'armed',
    );
    const offTick = await oms.gql(
      `mutation { replaceOrder(orderId: "${placed.order.id}", stopPrice: "9680.001") { id } }`,
    );
    expect(offTick.errors?.[0]?.extensions?.code).toBe('PRICE_NOT_TICK_MULTIPLE');
    const moved = await oms.gql<{ replaceOrder: OrderView }>(
      `mutation { replaceOrder(orderId: "${placed.order.id}", stopPrice: "9680") { ${ORDER_FIELDS} } }`,
    );
    expect(moved.data?.replaceOrder).toMatchObject({
      stopPrice: '9680',
      triggerStatus: 'ARMED',
      status: 'NEW',
    });
    // Above the new stop: nothing; through it (still above the old one): triggered.
    print('9690');
    expect((await orderOf(oms, placed.order.id))?.triggerStatus).toBe('ARMED');
    print('9679');
    const filled = await eventually(
      () => orderOf(oms, placed.order.id),
      (o) => o?.status === 'FILLED',
      'the moved stop to trigger and fill',
    );
    expect(filled?.triggerStatus).toBe('RELEASED');
    const history = await historyOf(oms, placed.order.id);
    expect(history.find((e) => e.type === 'OrderReplaced')?.data).toMatchObject({ stopPrice: '9680' });
    expect(history.find((e) => e.type === 'OrderTriggered')?.data).toMatchObject({
      stopPrice: '9680',
      price: '9679',
    });
  });

  it('a bracket: the entry fills, both exits go out at its size, the take-profit fills and the stop-loss is canceled', async () => {
    print('9700');
    const placed = await oms.gql<{
      placeOrderList: {
        list: {
          id: string;
          status: string;
          legs: { key: string; orders: { id: string; status: string }[] }[];
        };
        rejections: unknown[];
      };
    }>(
      `mutation { placeOrderList(input: { accountId: "demo", clientListId: "br-1", contingency: BRACKET, legs: [
         { key: "in", role: ENTRY, instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.01", limitPrice: "9701" },
         { key: "tp", role: TAKE_PROFIT, instrumentId: "BTCUSDT", side: SELL, type: LIMIT, limitPrice: "9720" },
         { key: "sl", role: STOP_LOSS, instrumentId: "BTCUSDT", side: SELL, type: STOP, stopPrice: "9650" } ] })
         { list { id status legs { key orders { id status } } } rejections { code } } }`,
    );
    expect(placed.errors).toBeUndefined();
    const listId = placed.data!.placeOrderList.list.id;
    expect(placed.data!.placeOrderList.list.legs.map((l) => [l.key, l.orders.length])).toEqual([
      ['in', 1],
      ['tp', 0],
      ['sl', 0],
    ]);
    type ListView = {
      status: string;
      legs: { key: string; orders: { status: string; quantity: string; triggerStatus: string | null }[] }[];
    };
    const listOf = async () =>
      (
        await oms.gql<{ orderList: ListView | null }>(
          `{ orderList(id: "${listId}") { status legs { key orders { status quantity triggerStatus } } } }`,
        )
      ).data?.orderList ?? null;
    const leg = (list: ListView | null, key: string) => list?.legs.find((l) => l.key === key)?.orders ?? [];
    // The entry takes the offer at 9700.5; the exits go out sized to its fill.
    const protectedList = await eventually(
      listOf,
      (l) => leg(l, 'tp').length === 1 && leg(l, 'sl').length === 1,
      'both exits placed after the entry filled',
    );
    expect(leg(protectedList, 'in')[0].status).toBe('FILLED');
    expect(leg(protectedList, 'tp')[0].quantity).toBe('0.01');
    expect(leg(protectedList, 'sl')[0]).toMatchObject({ quantity: '0.01' });
    await eventually(listOf, (l) => leg(l, 'sl')[0]?.triggerStatus === 'ARMED', 'the stop-loss armed');
    // The market trades up through the take-profit.
    print('9721');
    const done = await eventually(
      listOf,
      (l) => l?.status === 'ENDED',
      'the take-profit to fill and the list to end',
    );
    expect(leg(done, 'tp')[0].status).toBe('FILLED');
    expect(leg(done, 'sl')[0].status).toBe('CANCELED');
    const history = await oms.gql<{ auditTrail: { edges: { node: { type: string } }[] } }>(
      `{ auditTrail(filter: { eventTypes: ["OrderListPlaced", "ListLegPlaced", "ListLegCanceled", "OrderListEnded"] }, first: 50) { edges { node { type } } } }`,
      undefined,
      oms.as('auditor'),
    );
    expect(history.data?.auditTrail.edges.map((e) => e.node.type)).toEqual([
      'OrderListPlaced',
      'ListLegPlaced',
      'ListLegPlaced',
      'ListLegPlaced',
      'ListLegCanceled',
      'OrderListEnded',
    ]);
  });

  it('a whole bracket is replaced through its entry; its exits then follow the new size as it fills', async () => {
    print('9700');
    const placed = await oms.gql<{ placeOrderList: { list: { id: string } } }>(
      `mutation { placeOrderList(input: { accountId: "demo", clientListId: "br-replace", contingency: BRACKET, legs: [
         { key: "in", role: ENTRY, instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.01", limitPrice: "9650" },
         { key: "tp", role: TAKE_PROFIT, instrumentId: "BTCUSDT", side: SELL, type: LIMIT, limitPrice: "9750" },
         { key: "sl", role: STOP_LOSS, instrumentId: "BTCUSDT", side: SELL, type: STOP, stopPrice: "9500" } ] })
         { list { id } } }`,
    );
    const id = placed.data!.placeOrderList.list.id;
    type Leg = { key: string; orders: { status: string; quantity: string }[] };
    const listOf = async () =>
      (
        await oms.gql<{ orderList: { legs: Leg[] } }>(
          `{ orderList(id: "${id}") { legs { key orders { status quantity } } } }`,
        )
      ).data?.orderList;
    const leg = (l: { legs: Leg[] } | undefined, key: string) =>
      l?.legs.find((x) => x.key === key)?.orders ?? [];
    await eventually(listOf, (l) => leg(l, 'in')[0]?.status === 'NEW', 'the entry resting at its venue');
    const replaced = await oms.gql(`mutation { replaceOrderList(listId: "${id}", quantity: "0.02") { id } }`);
    expect(replaced.errors).toBeUndefined();
    await eventually(
      listOf,
      (l) => leg(l, 'in')[0]?.quantity === '0.02' && leg(l, 'in')[0]?.status === 'NEW',
      'the entry replaced to 0.02',
    );
    print('9649'); // the market comes down through the entry
    const filled = await eventually(
      listOf,
      (l) => leg(l, 'tp').length === 1 && leg(l, 'sl').length === 1,
      'both exits at the new size',
    );
    expect(leg(filled, 'in')[0]).toEqual({ status: 'FILLED', quantity: '0.02' });
    expect([leg(filled, 'tp')[0].quantity, leg(filled, 'sl')[0].quantity]).toEqual(['0.02', '0.02']);
    await oms.gql(`mutation { cancelOrderList(listId: "${id}") { id } }`);
  });
});

describe('stops a venue holds (it declares STOP_LIMIT): sent natively', () => {
  let oms: Oms;
  const market = movedMarket(['MARKET', 'LIMIT', 'STOP_LIMIT']);
  const print = (price: string) => market.print(price);

  beforeAll(async () => {
    oms = await startOms(undefined, ['api', 'projector', 'ledger', 'gateway'], { venues: market.venues });
    await oms.runtime.whenGatewaySettled();
    print('9700');
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  it('a STOP goes to the venue as a stop-limit at its collar edge; the venue triggers it on its trade and it fills', async () => {
    const orderId = await nativeSellStop(oms, 'native-1');
    expect((await orderOf(oms, orderId))?.stopPrice).toBe('9650');
    const routed = (await historyOf(oms, orderId)).find((e) => e.type === 'OrderRouted')!;
    const [slice] = routed.data.slices as { venueId: string; stopPrice: string; limitPrice: string }[];
    // The demo account's collar is 5%: a sell stop's limit is 5% below its stop, on the tick.
    expect(slice).toMatchObject({ venueId: 'SIM-T', stopPrice: '9650', limitPrice: '9167.5' });
    expect(routed.data.rationale).toMatch(/^native stop SELL 0.01 BTCUSDT stop 9650/);
    // A trade above the stop does nothing; the OMS never arms it (it is not the OMS's to watch).
    print('9660');
    print('9640');
    const filled = await eventually(
      () => orderOf(oms, orderId),
      (o) => o?.status === 'FILLED',
      'the venue to trigger the stop and fill it',
    );
    expect(filled?.filledQuantity).toBe('0.01');
    const history = (await historyOf(oms, orderId)).map((e) => e.type);
    expect(history).toContain('VenueOrderTriggered');
    expect(history).not.toContain('OrderArmed');
    expect(history.indexOf('VenueOrderTriggered')).toBeLessThan(history.indexOf('OrderFilled'));
  });

  it('a stop the venue’s last trade already reached, or a leg of a bracket, stays with the OMS', async () => {
    print('9700');
    // A sell stop at 9,710 with the last trade at 9,700: reached already (many venues refuse such a stop).
    const reached = await place(
      oms,
      `clientOrderId: "native-reached", side: SELL, type: STOP, quantity: "0.01", stopPrice: "9710"`,
    );
    const filled = await eventually(
      () => orderOf(oms, reached.order.id),
      (o) => o?.status === 'FILLED',
      'the OMS to trigger the stop at once and fill it',
    );
    expect(filled?.triggerStatus).toBe('RELEASED');
    expect((await historyOf(oms, reached.order.id)).map((e) => e.type)).toContain('OrderTriggered');
    // A bracket's stop-loss is reconciled with its list before release: the OMS holds it.
    const list = await oms.gql<{ placeOrderList: { list: { id: string } } }>(
      `mutation { placeOrderList(input: { accountId: "demo", clientListId: "native-br", contingency: BRACKET, legs: [
         { key: "in", role: ENTRY, instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.01", limitPrice: "9701" },
         { key: "tp", role: TAKE_PROFIT, instrumentId: "BTCUSDT", side: SELL, type: LIMIT, limitPrice: "9800" },
         { key: "sl", role: STOP_LOSS, instrumentId: "BTCUSDT", side: SELL, type: STOP, stopPrice: "9600" } ] })
         { list { id } } }`,
    );
    const listId = list.data!.placeOrderList.list.id;
    const stopLoss = await eventually(
      async () =>
        (
          await oms.gql<{
            orderList: { legs: { key: string; orders: { id: string; triggerStatus: string }[] }[] };
          }>(`{ orderList(id: "${listId}") { legs { key orders { id triggerStatus } } } }`)
        ).data?.orderList.legs.find((l) => l.key === 'sl')?.orders[0],
      (o) => o?.triggerStatus === 'ARMED',
      'the stop-loss armed by the OMS',
    );
    expect(stopLoss?.triggerStatus).toBe('ARMED');
    await oms.gql(`mutation { cancelOrderList(listId: "${listId}") { status } }`);
  });

  it('a stop the venue refuses to hold is handed back: the OMS watches it, triggers it and routes it afresh', async () => {
    print('9700');
    market.setFaults({ rejectProbability: 1 });
    const placed = await place(
      oms,
      `clientOrderId: "native-refused", side: SELL, type: STOP, quantity: "0.01", stopPrice: "9650"`,
    );
    try {
      await eventually(
        () => orderOf(oms, placed.order.id),
        (o) => o?.triggerStatus === 'ARMED',
        'the refused stop armed by the OMS',
      );
    } finally {
      market.setFaults({});
    }
    print('9640');
    const filled = await eventually(
      () => orderOf(oms, placed.order.id),
      (o) => o?.status === 'FILLED',
      'the OMS to trigger it and fill it at the venue',
    );
    expect(filled?.triggerStatus).toBe('RELEASED');
    const history = await historyOf(oms, placed.order.id);
    expect(history.map((e) => e.type)).toEqual(
      expect.arrayContaining(['NativeStopReturned', 'OrderArmed', 'OrderTriggered', 'OrderReleased']),
    );
    const routes = history.filter((e) => e.type === 'OrderRouted');
    const childIds = routes.map((r) => (r.data.slices as { childId: string; stopPrice?: string }[])[0]);
    expect(childIds).toEqual([
      expect.objectContaining({ childId: `${placed.order.id}.1`, stopPrice: '9650' }),
      expect.not.objectContaining({ stopPrice: expect.anything() }),
    ]);
    expect((childIds[1] as { childId: string }).childId).toBe(`${placed.order.id}.2`);
  });

  it('a halt cancels a stop waiting at its venue; a stop watching the touch stays with the OMS', async () => {
    print('9700');
    const atVenue = await place(
      oms,
      `clientOrderId: "native-halted", side: SELL, type: STOP_LIMIT, quantity: "0.01", stopPrice: "9500", limitPrice: "9490"`,
    );
    const touch = await place(
      oms,
      `clientOrderId: "oms-touch", side: SELL, type: STOP, quantity: "0.01", stopPrice: "9500", triggerType: BID_ASK`,
    );
    await eventually(
      () => orderOf(oms, atVenue.order.id),
      (o) => o?.triggerStatus === 'AT_VENUE' && o.status === 'NEW',
      'the stop-limit at its venue',
    );
    await eventually(
      () => orderOf(oms, touch.order.id),
      (o) => o?.triggerStatus === 'ARMED',
      'the touch-watching stop armed by the OMS',
    );
    // Replaced where it waits: the venue keeps it a stop-limit with the same stop.
    const replaced = await oms.gql<{ replaceOrder: { status: string } }>(
      `mutation { replaceOrder(orderId: "${atVenue.order.id}", quantity: "0.02", limitPrice: "9480") { status } }`,
    );
    expect(replaced.errors).toBeUndefined();
    await eventually(
      async () =>
        (
          await oms.gql<{ order: { quantity: string; limitPrice: string; status: string } }>(
            `{ order(id: "${atVenue.order.id}") { quantity limitPrice status } }`,
          )
        ).data?.order,
      (o) => o?.quantity === '0.02' && o.limitPrice === '9480' && o.status === 'NEW',
      'the replace confirmed by the venue',
    );
    await oms.gql(
      `mutation { haltTrading(scope: ACCOUNT, id: "demo", reason: "desk review") }`,
      undefined,
      oms.as('riskOfficer'),
    );
    try {
      for (const id of [atVenue.order.id, touch.order.id]) {
        await eventually(
          () => orderOf(oms, id),
          (o) => o?.status === 'CANCELED',
          `the halt to cancel ${id}`,
        );
      }
      const canceled = (await historyOf(oms, atVenue.order.id)).map((e) => e.type);
      // Canceled at the venue: asked, then confirmed by it.
      expect(canceled).toEqual(
        expect.arrayContaining(['OrderCancelRequested', 'VenueOrderClosed', 'OrderCanceled']),
      );
      // Gone from the venue too: a trade through its stop later triggers nothing.
      print('9480');
      expect((await orderOf(oms, atVenue.order.id))?.filledQuantity).toBe('0');
    } finally {
      await oms.gql(
        `mutation { resumeTrading(scope: ACCOUNT, id: "demo") }`,
        undefined,
        oms.as('riskOfficer'),
      );
    }
  });
});

describe('a stop at its venue across a restart', () => {
  const NATIVE: OrderType[] = ['MARKET', 'LIMIT', 'STOP_LIMIT'];
  const sentBack = (oms: Oms, orderId: string) =>
    eventually(
      async () => (await historyOf(oms, orderId)).map((e) => e.type),
      (types) =>
        types.includes('VenueOrderResent') && types.filter((t) => t === 'OrderAcknowledged').length === 2,
      'the stop sent again and acknowledged',
    );

  it('a venue that lost it while the OMS was down gets it again as the same stop, and triggers it then', async () => {
    await acrossRestart(
      NATIVE,
      (first) => nativeSellStop(first, 'native-restart'),
      async (second, market, orderId) => {
        // A new simulated venue knows nothing of it: reconciliation sends it again, still a stop.
        market.print('9700');
        await sentBack(second, orderId);
        expect((await orderOf(second, orderId))?.status).toBe('NEW');
        market.print('9640');
        const filled = await eventually(
          () => orderOf(second, orderId),
          (o) => o?.status === 'FILLED',
          'the venue to trigger the stop sent again',
        );
        expect(filled?.triggerStatus).toBe('AT_VENUE');
        // Triggered by the venue: sent again as a stop, not as a plain limit that would have sold at once.
        expect((await historyOf(second, orderId)).map((e) => e.type)).toContain('VenueOrderTriggered');
      },
    );
  });

  it('one its venue triggered in a gap, resting at its limit, is sent again resting there (not IOC) when the venue lost it', async () => {
    await acrossRestart(
      NATIVE,
      async (first, market) => {
        const orderId = await nativeSellStop(first, 'native-gap');
        // A gap down to 9,100: triggered, but the bid (9,099.5) is below its limit (9,167.5): it rests.
        market.print('9100');
        await eventually(
          async () => (await historyOf(first, orderId)).map((e) => e.type),
          (types) => types.includes('VenueOrderTriggered'),
          'the venue to trigger it',
        );
        return orderId;
      },
      async (second, market, orderId) => {
        await sentBack(second, orderId);
        // Resting at the venue at its limit, with the order's time in force: still protecting the position.
        const open = await market.openOrders();
        expect(open.map((o) => [o.side, o.state, o.leavesQuantity.toString()])).toEqual([
          ['SELL', 'NEW', '0.01'],
        ]);
        expect((await orderOf(second, orderId))?.status).toBe('NEW');
      },
    );
  });
});

type MovedMarket = ReturnType<typeof movedMarket>;
const ROLES = ['api', 'projector', 'ledger', 'gateway'] as const;

/**
 * An OMS on a market the test moves (at 9,700), stopped after `before`, then started again on the same
 * database with a new venue that knows nothing of the orders, for `after`.
 */
async function acrossRestart(
  orderTypes: OrderType[],
  before: (oms: Oms, market: MovedMarket) => Promise<string>,
  after: (oms: Oms, market: MovedMarket, orderId: string) => Promise<void>,
): Promise<void> {
  const firstMarket = movedMarket(orderTypes);
  const first = await startOms(undefined, [...ROLES], { venues: firstMarket.venues });
  let second: Oms | null = null;
  let firstRunning = true;
  try {
    await first.runtime.whenGatewaySettled();
    firstMarket.print('9700');
    const orderId = await before(first, firstMarket);
    await first.stop();
    firstRunning = false;
    const secondMarket = movedMarket(orderTypes);
    second = await startOms(first.database, [...ROLES], { venues: secondMarket.venues });
    await second.runtime.whenGatewaySettled();
    await after(second, secondMarket, orderId);
  } finally {
    if (firstRunning) await first.stop();
    await second?.stop();
    await first.database.drop();
  }
}

/** A sell STOP at 9,650 placed with the market at 9,700, once its venue holds it (acknowledged). */
async function nativeSellStop(oms: Oms, clientOrderId: string): Promise<string> {
  const placed = await place(
    oms,
    `clientOrderId: "${clientOrderId}", side: SELL, type: STOP, quantity: "0.01", stopPrice: "9650"`,
  );
  expect(placed.accepted).toBe(true);
  await eventually(
    () => orderOf(oms, placed.order.id),
    (o) => o?.triggerStatus === 'AT_VENUE' && o.status === 'NEW',
    'the stop at its venue',
  );
  return placed.order.id;
}
