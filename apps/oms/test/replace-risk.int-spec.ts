import { AggregateStore, Refusal, orderStream } from '@oms/application';
import { Decimal, OrderCommand, orderDecider } from '@oms/domain';
import { TestWorld, openTestWorld } from './world';

jest.setTimeout(60_000);

const ctx = { actor: 'test', correlationId: 'replace-risk' };
const d = (v: string) => Decimal.parse(v);

/** Pre-trade risk on a replace, through the command handlers (the demo account: at most 5 an order). */
describe('a replace re-runs pre-trade risk on the new terms', () => {
  let world: TestWorld;

  beforeEach(async () => {
    world = await openTestWorld();
  });

  afterEach(() => world.close());

  async function partlyFilled(clientOrderId: string, quantity: string, filled: string): Promise<string> {
    const placed = await world.commands.placeOrder(
      {
        accountId: 'demo',
        clientOrderId,
        instrumentId: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        quantity: d(quantity),
        limitPrice: d('9650'),
        timeInForce: 'GTC',
        venueId: 'SIM-A',
      },
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    const fill: OrderCommand = {
      type: 'RecordFill',
      data: {
        orderId,
        execId: `${clientOrderId}-x1`,
        venueId: 'SIM-A',
        quantity: filled,
        price: '9650',
        fee: '0',
        liquidity: 'MAKER',
        executedAt: new Date().toISOString(),
      },
      metadata: { now: new Date() },
    };
    await new AggregateStore(world.store).execute(orderDecider, orderStream(orderId), fill, {
      correlationId: 'venue',
      causationId: null,
      actor: 'venue:SIM-A',
    });
    return orderId;
  }

  it('judges the order size on the new total: max 5, 4.9 filled, a replace to 9.9 is refused', async () => {
    const orderId = await partlyFilled('big', '5', '4.9');
    const refused = await world.commands.replaceOrder(orderId, d('9.9'), null, ctx).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Refusal);
    expect((refused as Refusal).rejections.map((r) => r.code)).toContain('MAX_ORDER_QUANTITY_EXCEEDED');
    // Within the limit, the same replace goes.
    expect((await world.commands.replaceOrder(orderId, d('4.95'), null, ctx)).status).toBe('PENDING_REPLACE');
  });
});
