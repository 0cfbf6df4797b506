import { RunningOms, startOms } from './harness';
import { waitFor } from '../../../test/wait-for';

jest.setTimeout(90_000);

const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { accepted rejections { code message } order { id status } }
}`;

interface Placed {
  placeOrder: { accepted: boolean; rejections: { code: string; message: string }[]; order: { id: string } };
}

/**
 * Halts that take risk off, through the API, the halt enforcer, the gateway and the demo venues: a
 * halt that cancels leaves no working order in its scope; a REDUCING account can flatten and cannot grow.
 */
describe('trading halts take risk off (GraphQL end to end)', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };

  beforeAll(async () => {
    oms = await startOms(undefined, ['api', 'projector', 'ledger', 'gateway']);
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  const place = (input: Record<string, unknown>) =>
    oms.gql<Placed>(PLACE, { input: { accountId: 'demo', instrumentId: 'BTCUSDT', ...input } });

  const status = async (id: string) =>
    (await oms.gql<{ order: { status: string } }>(`{ order(id: "${id}") { status } }`)).data?.order.status;

  /** The account's working orders as its own record holds them (its reservations). */
  const working = async () => {
    const { data } = await oms.gql<{ orders: { edges: { node: { id: string; status: string } }[] } }>(
      `{ orders(accountId: "demo", first: 100) { edges { node { id status } } } }`,
    );
    return (data?.orders.edges ?? [])
      .map((e) => e.node)
      .filter((o) =>
        ['PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'PENDING_REPLACE'].includes(o.status),
      );
  };

  const resting = async (clientOrderId: string, side: 'BUY' | 'SELL', limitPrice: string) => {
    const placed = await place({
      clientOrderId,
      side,
      type: 'LIMIT',
      quantity: '0.01',
      limitPrice,
      timeInForce: 'GTC',
    });
    expect(placed.data?.placeOrder.rejections ?? placed.errors).toEqual([]);
    const id = placed.data!.placeOrder.order.id;
    await waitFor(
      () => status(id),
      (s) => s === 'NEW',
      `${clientOrderId} resting`,
      15_000,
    );
    return id;
  };

  it('an account halted with cancel: every working order is canceled with the halt as cause, and the state shows who and why', async () => {
    const a = await resting('halt-a', 'BUY', '9300');
    const b = await resting('halt-b', 'SELL', '10100');
    const halted = await oms.gql(
      `mutation { haltTrading(scope: ACCOUNT, id: "demo", reason: "desk risk review") }`,
      undefined,
      oms.as('riskOfficer'),
    );
    expect(halted.errors).toBeUndefined();
    await waitFor(working, (w) => w.length === 0, 'no working order in scope', 15_000);
    expect([await status(a), await status(b)]).toEqual(['CANCELED', 'CANCELED']);

    const history = await oms.gql<{
      orderHistory: { type: string; actor: string; data: { reason: string } }[];
    }>(`{ orderHistory(orderId: "${a}") { type actor data } }`);
    const requested = history.data!.orderHistory.find((e) => e.type === 'OrderCancelRequested')!;
    expect(requested.actor).toBe('system:halt-enforcer');
    expect(requested.data.reason).toBe('trading halted: desk risk review');

    const state = await oms.gql<{
      tradingState: { state: string; current: { reason: string; actor: string; cancelWorking: boolean } };
    }>(`{ tradingState(scope: ACCOUNT, id: "demo") { state current { reason actor cancelWorking } } }`);
    expect(state.data?.tradingState).toEqual({
      state: 'HALTED',
      current: { reason: 'desk risk review', actor: 'user:demo-risk-officer', cancelWorking: true },
    });
    const refused = await place({
      clientOrderId: 'halt-c',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.01',
      limitPrice: '9300',
    });
    expect(refused.data?.placeOrder.rejections.map((r) => r.code)).toEqual(['TRADING_HALTED_ACCOUNT']);
    await oms.gql(`mutation { resumeTrading(scope: ACCOUNT, id: "demo") }`, undefined, oms.as('riskOfficer'));
  });

  it('an account in REDUCING keeps what flattens, loses what grows, and can flatten but not grow', async () => {
    const bought = await place({
      clientOrderId: 'reduce-long',
      side: 'BUY',
      type: 'MARKET',
      quantity: '0.02',
    });
    const longId = bought.data!.placeOrder.order.id;
    await waitFor(
      () => status(longId),
      (s) => s === 'FILLED',
      'the long filled',
      15_000,
    );
    await waitFor(
      async () =>
        (
          await oms.gql<{ positions: { quantity: string }[] }>(
            `{ positions(accountId: "demo") { quantity } }`,
          )
        ).data?.positions,
      (p) => p?.[0]?.quantity === '0.02',
      'the position booked',
      15_000,
    );
    const grows = await resting('reduce-grows', 'BUY', '9300');
    const shrinks = await resting('reduce-shrinks', 'SELL', '10100');

    const halted = await oms.gql(
      `mutation { haltTrading(scope: ACCOUNT, id: "demo", reason: "loss review", state: REDUCING) }`,
      undefined,
      oms.as('riskOfficer'),
    );
    expect(halted.errors).toBeUndefined();
    await waitFor(
      () => status(grows),
      (s) => s === 'CANCELED',
      'the growing order canceled',
      15_000,
    );
    expect(await status(shrinks)).toBe('NEW');
    // The account shows its state.
    await waitFor(
      async () =>
        (
          await oms.gql<{ riskLimits: { tradingState: string } }>(
            `{ riskLimits(accountId: "demo") { tradingState } }`,
          )
        ).data?.riskLimits.tradingState,
      (s) => s === 'REDUCING',
      'the account shown REDUCING',
    );

    // More buying is refused; selling what is left of the long is not, selling past flat is.
    const buy = await place({
      clientOrderId: 'reduce-buy',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.01',
      limitPrice: '9300',
    });
    expect(buy.data?.placeOrder.rejections.map((r) => r.code)).toEqual(['TRADING_REDUCING_ACCOUNT']);
    const flip = await place({
      clientOrderId: 'reduce-flip',
      side: 'SELL',
      type: 'LIMIT',
      quantity: '0.02',
      limitPrice: '10100',
    });
    expect(flip.data?.placeOrder.rejections.map((r) => r.code)).toEqual(['TRADING_REDUCING_ACCOUNT']);
    const flatten = await place({
      clientOrderId: 'reduce-flatten',
      side: 'SELL',
      type: 'MARKET',
      quantity: '0.01',
    });
    expect(flatten.data?.placeOrder.accepted).toBe(true);
  });

  it('cancelAllOrders mass-cancels an account’s working orders on one side', async () => {
    await oms.gql(`mutation { resumeTrading(scope: ACCOUNT, id: "demo") }`, undefined, oms.as('riskOfficer'));
    const buys = [await resting('mass-1', 'BUY', '9300'), await resting('mass-2', 'BUY', '9310')];
    const sell = await resting('mass-3', 'SELL', '10100');
    const asked = await oms.gql<{ cancelAllOrders: number }>(
      `mutation { cancelAllOrders(accountId: "demo", instrumentId: "BTCUSDT", side: BUY) }`,
    );
    expect(asked.data?.cancelAllOrders).toBe(2);
    for (const id of buys)
      await waitFor(
        () => status(id),
        (s) => s === 'CANCELED',
        `${id} canceled`,
        15_000,
      );
    expect(await status(sell)).toBe('NEW');
  });
});
