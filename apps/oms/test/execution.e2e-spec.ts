import { Decimal, accountDecider } from '@oms/domain';
import { accountStream } from '@oms/application';
import { RunningOms, startOms } from './harness';

jest.setTimeout(60_000);

const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { accepted rejections { code message } order { id status } }
}`;
const ORDER = `query Order($id: ID!) {
  order(id: $id) { status filledQuantity leavesQuantity averagePrice fills { venueId quantity price fee liquidity } }
}`;

interface OrderView {
  status: string;
  filledQuantity: string;
  leavesQuantity: string;
  averagePrice: string | null;
  fills: { venueId: string; quantity: string; price: string; fee: string; liquidity: string }[];
}

/** The demo OMS with its gateway and the two simulated venues on the synthetic feed, on wall time. */
describe('execution through the demo venues (GraphQL end to end)', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };

  beforeAll(async () => {
    oms = await startOms(undefined, ['api', 'projector', 'ledger', 'gateway']);
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  async function place(input: Record<string, unknown>): Promise<string> {
    const result = await oms.gql<{ placeOrder: { accepted: boolean; order: { id: string } } }>(PLACE, {
      input: { accountId: 'demo', instrumentId: 'BTCUSDT', ...input },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.placeOrder.accepted).toBe(true);
    return result.data!.placeOrder.order.id;
  }

  async function until(id: string, done: (o: OrderView) => boolean): Promise<OrderView> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { data } = await oms.gql<{ order: OrderView | null }>(ORDER, { id });
      if (data?.order && done(data.order)) return data.order;
      if (Date.now() > deadline) throw new Error(`order ${id} is ${JSON.stringify(data?.order)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('fills a MARKET order within seconds, with fills, a position and P&L', async () => {
    const id = await place({ clientOrderId: 'e2e-market', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const order = await until(id, (o) => o.status === 'FILLED');
    expect(order.filledQuantity).toBe('0.01');
    expect(order.fills.length).toBeGreaterThan(0);
    expect(order.fills.every((f) => f.liquidity === 'TAKER' && Number(f.fee) > 0)).toBe(true);
    const deadline = Date.now() + 10_000;
    let positions: { instrumentId: string; quantity: string; markPrice: string | null }[] = [];
    while (Date.now() < deadline) {
      const { data } = await oms.gql<{ positions: typeof positions }>(
        `{ positions(accountId: "demo") { instrumentId quantity markPrice } }`,
      );
      positions = data?.positions ?? [];
      if (positions.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(positions).toEqual([{ instrumentId: 'BTCUSDT', quantity: '0.01', markPrice: expect.any(String) }]);
    const { data } = await oms.gql<{ pnl: { fees: string } }>(`{ pnl(accountId: "demo") { fees } }`);
    expect(data?.pnl.fees).toBe(Decimal.sum(order.fills.map((f) => Decimal.parse(f.fee))).toString());
  });

  it('rests a LIMIT order away from the market (NEW) and cancels it (CANCELED)', async () => {
    const id = await place({
      clientOrderId: 'e2e-limit',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.01',
      limitPrice: '9300',
    });
    await until(id, (o) => o.status === 'NEW');
    const cancel = await oms.gql<{ cancelOrder: { status: string } }>(
      `mutation { cancelOrder(orderId: "${id}") { status } }`,
    );
    expect(cancel.data?.cancelOrder.status).toBe('PENDING_CANCEL');
    const order = await until(id, (o) => o.status === 'CANCELED');
    expect(order.leavesQuantity).toBe('0');
  });

  it('replaces a resting LIMIT order at its venue: new size and price, PENDING_REPLACE until the venue answers', async () => {
    const id = await place({
      clientOrderId: 'e2e-replace',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.01',
      limitPrice: '9300',
    });
    await until(id, (o) => o.status === 'NEW');
    const replace = await oms.gql<{ replaceOrder: { status: string } }>(
      `mutation { replaceOrder(orderId: "${id}", quantity: "0.02", limitPrice: "9310") { status } }`,
    );
    expect(replace.errors).toBeUndefined();
    expect(replace.data?.replaceOrder.status).toBe('PENDING_REPLACE');
    await until(id, (o) => o.status === 'NEW' && o.leavesQuantity === '0.02');
    const { data } = await oms.gql<{ order: { quantity: string; limitPrice: string } }>(
      `{ order(id: "${id}") { quantity limitPrice } }`,
    );
    expect(data?.order).toEqual({ quantity: '0.02', limitPrice: '9310' });
    const history = await oms.gql<{ orderHistory: { type: string; actor: string }[] }>(
      `{ orderHistory(orderId: "${id}") { type actor } }`,
    );
    expect(history.data?.orderHistory.slice(-3)).toEqual([
      { type: 'VenueReplaceSubmitted', actor: 'system:execution-gateway' },
      { type: 'VenueOrderReplaced', actor: expect.stringMatching(/^venue:SIM-/) },
      { type: 'OrderReplaced', actor: expect.stringMatching(/^venue:SIM-/) },
    ]);
    // Risk reserved for the new terms when the replace was asked; they are what the venue works now.
    const events = await oms.runtime.store.readStream(accountStream('demo'));
    const held = events
      .reduce(
        (s, e) => accountDecider.evolve(s, { type: e.type, data: e.data } as never),
        accountDecider.initialState(),
      )
      .reservations.get(id);
    const reservation = held && { quantity: held.quantity.toString(), price: held.price.toString() };
    expect(reservation).toEqual({ quantity: '0.02', price: '9310' });
  });

  it('splits a large order across SIM-A and SIM-B and records why', async () => {
    const id = await place({ clientOrderId: 'e2e-large', side: 'BUY', type: 'MARKET', quantity: '3' });
    await until(id, (o) => o.status === 'FILLED' || o.status === 'CANCELED');
    const { data } = await oms.gql<{
      orderHistory: { type: string; actor: string; data: Record<string, unknown> }[];
    }>(`{ orderHistory(orderId: "${id}") { type actor data } }`);
    const history = data!.orderHistory;
    const routed = history.find((e) => e.type === 'OrderRouted')!;
    const slices = routed.data.slices as { venueId: string; quantity: string }[];
    expect(new Set(slices.map((s) => s.venueId))).toEqual(new Set(['SIM-A', 'SIM-B']));
    expect(routed.data.rationale).toMatch(/^smart route BUY 3 BTCUSDT by effective price and depth: /);
    // Write-ahead: every slice was recorded before any venue answered.
    const firstVenueEvent = history.findIndex((e) => e.actor.startsWith('venue:'));
    expect(history.slice(0, firstVenueEvent).filter((e) => e.type === 'VenueOrderSubmitted')).toHaveLength(
      slices.length,
    );
  });

  it('shows the venues: connected, breakers closed', async () => {
    const { data } = await oms.gql<{ venues: { id: string; connected: boolean; breaker: string }[] }>(
      `{ venues { id connected breaker rateLimitUsage lastError } }`,
    );
    expect(data?.venues.map((v) => [v.id, v.connected, v.breaker])).toEqual([
      ['SIM-A', true, 'CLOSED'],
      ['SIM-B', true, 'CLOSED'],
    ]);
  });
});
