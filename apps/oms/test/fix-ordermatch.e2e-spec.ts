import { RunningAcceptor } from '@oms/venues/fix/testing/quickfix';
import { describeWithQuickFix } from '../../../test/with-quickfix';
import { waitFor } from '../../../test/wait-for';
import { OmsOnQuickFix, startOmsOnQuickFix } from './fix-harness';
import { RunningOms } from './harness';

jest.setTimeout(60_000);

/**
 * The whole OMS on QuickFIX's ordermatch (FIX 4.2), over two sessions configured as two venues
 * (MATCH-1 as OMS1, MATCH-2 as OMS2): ordermatch matches the orders of its sessions against each
 * other, so two OMS orders can trade with each other there.
 */

const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { accepted rejections { code message } order { id status } }
}`;
const ORDER = `query Order($id: ID!) {
  order(id: $id) { status rejections { code message } filledQuantity fills { venueId quantity price } }
}`;
const CANCEL = `mutation Cancel($id: ID!) { cancelOrder(orderId: $id) { status } }`;

interface OrderView {
  status: string;
  rejections: { code: string; message: string }[];
  filledQuantity: string;
  fills: { venueId: string; quantity: string; price: string }[];
}

describeWithQuickFix('the OMS on a FIX 4.2 venue (QuickFIX ordermatch, two sessions)', () => {
  let acceptor: RunningAcceptor;
  let oms: RunningOms;
  let running: OmsOnQuickFix;

  beforeAll(async () => {
    const session = (id: string, senderCompId: string) => ({
      id,
      beginString: 'FIX.4.2',
      senderCompId,
      targetCompId: 'MATCH',
      supports: { orderTypes: ['LIMIT'], timesInForce: ['DAY', 'GTC'] },
      lotSize: '0.001',
    });
    running = await startOmsOnQuickFix(
      'ordermatch',
      [
        { beginString: 'FIX.4.2', senderCompId: 'MATCH', targetCompId: 'OMS1' },
        { beginString: 'FIX.4.2', senderCompId: 'MATCH', targetCompId: 'OMS2' },
      ],
      [session('MATCH-1', 'OMS1'), session('MATCH-2', 'OMS2')],
    );
    ({ oms, acceptor } = running);
  });

  afterAll(() => running?.stop());

  async function place(input: Record<string, unknown>): Promise<string> {
    const placed = await oms.gql<{ placeOrder: { accepted: boolean; order: { id: string } } }>(PLACE, {
      input: { accountId: 'demo', instrumentId: 'BTCUSDT', type: 'LIMIT', ...input },
    });
    expect(placed.errors).toBeUndefined();
    expect(placed.data?.placeOrder.accepted).toBe(true);
    return placed.data!.placeOrder.order.id;
  }

  const until = async (id: string, done: (o: OrderView) => boolean, what: string): Promise<OrderView> =>
    (await waitFor(
      async () => (await oms.gql<{ order: OrderView | null }>(ORDER, { id })).data?.order ?? null,
      (o) => o !== null && done(o),
      what,
    )) as OrderView;

  it('New → Canceled: a resting limit order is acknowledged (NEW) and canceled (CANCELED)', async () => {
    const id = await place({
      clientOrderId: 'om-rest',
      side: 'BUY',
      quantity: '2',
      limitPrice: '9600',
      venueId: 'MATCH-1',
    });
    await until(id, (o) => o.status === 'NEW', 'acknowledged');
    const cancel = await oms.gql<{ cancelOrder: { status: string } }>(CANCEL, { id });
    expect(cancel.errors).toBeUndefined();
    await until(id, (o) => o.status === 'CANCELED', 'canceled');
    expect(await acceptor.seen('received', 'F')).toHaveLength(1);
  });

  it('Filled against each other: two OMS orders on opposite sides at crossing prices, over two sessions', async () => {
    const buy = await place({
      clientOrderId: 'om-buy',
      side: 'BUY',
      quantity: '3',
      limitPrice: '9690',
      venueId: 'MATCH-1',
    });
    await until(buy, (o) => o.status === 'NEW', 'the bid rests');
    const sell = await place({
      clientOrderId: 'om-sell',
      side: 'SELL',
      quantity: '3',
      limitPrice: '9670',
      venueId: 'MATCH-2',
    });
    const bought = await until(buy, (o) => o.status === 'FILLED', 'the buy filled');
    const sold = await until(sell, (o) => o.status === 'FILLED', 'the sell filled');
    // ordermatch prices the trade at the incoming order's limit.
    expect(bought.fills).toEqual([{ venueId: 'MATCH-1', quantity: '3', price: '9670' }]);
    expect(sold.fills).toEqual([{ venueId: 'MATCH-2', quantity: '3', price: '9670' }]);
  });

  it('Rejected: an order ordermatch refuses (GTC; it takes Day only) ends REJECTED with its reason', async () => {
    const id = await place({
      clientOrderId: 'om-gtc',
      side: 'BUY',
      quantity: '1',
      limitPrice: '9600',
      timeInForce: 'GTC',
      venueId: 'MATCH-1',
    });
    // What a trader reads on the order, and what an auditor reads in its history.
    const order = await until(id, (o) => o.status === 'REJECTED', 'rejected');
    expect(order.rejections).toEqual([
      { code: 'VENUE_REJECTED', message: expect.stringContaining('MATCH-1: Unsupported TIF, use Day') },
    ]);
    const history = await oms.gql<{ orderHistory: { type: string; data: { reason?: string } }[] }>(
      `query History($id: ID!) { orderHistory(orderId: $id) { type data } }`,
      { id },
      oms.as('auditor'),
    );
    expect(history.errors).toBeUndefined();
    const reasons = history.data!.orderHistory.map((e) => e.data.reason ?? '').join(' | ');
    expect(reasons).toContain('Unsupported TIF, use Day');
  });
});
