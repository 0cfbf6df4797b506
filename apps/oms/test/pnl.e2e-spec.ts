import { Decimal } from '@oms/domain';
import { RunningOms, startOms } from './harness';
import { waitFor } from '../../../test/wait-for';

jest.setTimeout(90_000);

const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { accepted rejections { code message } order { id } }
}`;

interface Fill {
  quantity: string;
  price: string;
}

/**
 * The P&L the OMS reports, to the last digit, against a recomputation from the fills it reported:
 * through the API, the gateway, the demo venues, the account ledger and the positions read model.
 */
describe('realised P&L of a round trip is exact (GraphQL end to end)', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };

  beforeAll(async () => {
    oms = await startOms(undefined, ['api', 'projector', 'ledger', 'gateway']);
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  async function filled(input: Record<string, unknown>): Promise<Fill[]> {
    const placed = await oms.gql<{
      placeOrder: { accepted: boolean; rejections: unknown[]; order: { id: string } };
    }>(PLACE, { input: { accountId: 'demo', instrumentId: 'BTCUSDT', ...input } });
    expect(placed.data?.placeOrder.rejections).toEqual([]);
    const id = placed.data!.placeOrder.order.id;
    const order = await waitFor(
      async () =>
        (
          await oms.gql<{ order: { status: string; fills: Fill[] } }>(
            `{ order(id: "${id}") { status fills { quantity price } } }`,
          )
        ).data?.order,
      (o) => o?.status === 'FILLED',
      `order ${id} filled`,
    );
    return order!.fills;
  }

  it('BUY 0.001, BUY 0.002 at another price, SELL 0.003: realised = what the sells brought − what the buys cost', async () => {
    const first = await filled({ clientOrderId: 'rt-1', side: 'BUY', type: 'MARKET', quantity: '0.001' });
    // A limit through the ask: it fills at once, at the venues' prices, not the first order's.
    const second = await filled({
      clientOrderId: 'rt-2',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.002',
      limitPrice: '10100',
    });
    const sold = await filled({ clientOrderId: 'rt-3', side: 'SELL', type: 'MARKET', quantity: '0.003' });
    const value = (fills: Fill[]) =>
      Decimal.sum(fills.map((f) => Decimal.parse(f.quantity).times(Decimal.parse(f.price))));
    const expected = value(sold).minus(value(first)).minus(value(second));

    const positions = await waitFor(
      async () =>
        (
          await oms.gql<{ positions: { quantity: string; realizedPnl: string; costBasis: string }[] }>(
            '{ positions(accountId: "demo") { quantity realizedPnl costBasis } }',
          )
        ).data?.positions,
      (p) => p?.[0]?.quantity === '0',
      'the position flat',
    );
    expect(positions![0]).toEqual({ quantity: '0', realizedPnl: expected.toString(), costBasis: '0' });
    const pnl = await oms.gql<{ pnl: { realized: string } }>('{ pnl(accountId: "demo") { realized } }');
    expect(pnl.data?.pnl.realized).toBe(expected.toString());
  });
});
