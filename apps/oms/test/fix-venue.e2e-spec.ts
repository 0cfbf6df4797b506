import { RunningAcceptor, tagOf } from '@oms/venues/fix/testing/quickfix';
import { describeWithQuickFix } from '../../../test/with-quickfix';
import { waitFor } from '../../../test/wait-for';
import { OmsOnQuickFix, startOmsOnQuickFix } from './fix-harness';
import { RunningOms } from './harness';

jest.setTimeout(60_000);

/**
 * The whole OMS trading through a FIX 4.4 venue: QuickFIX's executor, configured as a venue entry
 * would be in OMS_VENUES, beside nothing else (risk reads a fixed reference price).
 */

const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { accepted rejections { code message } order { id status } }
}`;
const ORDER = `query Order($id: ID!) {
  order(id: $id) { status filledQuantity fills { execId venueId quantity price fee liquidity } }
}`;

interface OrderView {
  status: string;
  filledQuantity: string;
  fills: {
    execId: string;
    venueId: string;
    quantity: string;
    price: string;
    fee: string;
    liquidity: string;
  }[];
}

describeWithQuickFix('the OMS through a FIX 4.4 venue (QuickFIX executor)', () => {
  let acceptor: RunningAcceptor;
  let oms: RunningOms;
  let running: OmsOnQuickFix;

  beforeAll(async () => {
    running = await startOmsOnQuickFix(
      'executor',
      [{ beginString: 'FIX.4.4', senderCompId: 'EXECUTOR', targetCompId: 'OMS' }],
      [
        {
          id: 'EXEC',
          targetCompId: 'EXECUTOR',
          supports: { orderTypes: ['LIMIT'], timesInForce: ['DAY', 'GTC'] },
          fees: { taker: '0.0005' },
        },
      ],
    );
    ({ oms, acceptor } = running);
  });

  afterAll(() => running?.stop());

  it('New order, filled: a LIMIT order placed through GraphQL ends FILLED with the executor’s ExecID, price and quantity, and is booked into the position', async () => {
    const { data: venues } = await oms.gql<{
      venues: { id: string; connected: boolean; session: { state: string; protocol: string } | null }[];
    }>(`{ venues { id connected session { state protocol } } }`);
    expect(venues?.venues).toEqual([
      { id: 'EXEC', connected: true, session: { state: 'logged on', protocol: 'FIX.4.4' } },
    ]);
    const placed = await oms.gql<{ placeOrder: { accepted: boolean; order: { id: string } } }>(PLACE, {
      input: {
        accountId: 'demo',
        clientOrderId: 'fix-e2e-1',
        instrumentId: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        quantity: '0.015',
        limitPrice: '9675.25',
        venueId: 'EXEC',
      },
    });
    expect(placed.errors).toBeUndefined();
    expect(placed.data?.placeOrder.accepted).toBe(true);
    const id = placed.data!.placeOrder.order.id;
    const order = await waitFor(
      async () => (await oms.gql<{ order: OrderView | null }>(ORDER, { id })).data?.order ?? null,
      (o) => o?.status === 'FILLED',
      'the order FILLED',
    );
    const executorFills = (await acceptor.seen('sent', '8')).filter((m) => tagOf(m, 150) === 'F');
    expect(executorFills).toHaveLength(1);
    expect(order?.fills).toEqual([
      {
        execId: tagOf(executorFills[0], 17),
        venueId: 'EXEC',
        quantity: '0.015',
        price: '9675.25',
        fee: expect.any(String),
        liquidity: 'TAKER',
      },
    ]);
    expect(tagOf(executorFills[0], 11)).toMatch(new RegExp(`^${id}\\.`));
    const positions = await waitFor(
      async () =>
        (
          await oms.gql<{ positions: { instrumentId: string; quantity: string }[] }>(
            `{ positions(accountId: "demo") { instrumentId quantity } }`,
          )
        ).data?.positions ?? [],
      (p) => p.length > 0,
      'the fill booked into a position',
    );
    expect(positions).toEqual([{ instrumentId: 'BTCUSDT', quantity: '0.015' }]);
  });

  it('The executor restarted mid-session: the OMS reconnects and trades on; no order is lost or sent twice', async () => {
    const connected = async () =>
      (await oms.gql<{ venues: { connected: boolean }[] }>(`{ venues { connected } }`)).data?.venues[0]
        ?.connected;
    await acceptor.kill();
    await waitFor(connected, (c) => c === false, 'the OMS saw the venue go');
    await acceptor.start();
    await waitFor(connected, (c) => c === true, 'logged on again', 30_000);
    const placed = await oms.gql<{ placeOrder: { accepted: boolean; order: { id: string } } }>(PLACE, {
      input: {
        accountId: 'demo',
        clientOrderId: 'fix-e2e-2',
        instrumentId: 'BTCUSDT',
        side: 'SELL',
        type: 'LIMIT',
        quantity: '0.005',
        limitPrice: '9680',
        venueId: 'EXEC',
      },
    });
    const id = placed.data!.placeOrder.order.id;
    await waitFor(
      async () => (await oms.gql<{ order: OrderView | null }>(ORDER, { id })).data?.order ?? null,
      (o) => o?.status === 'FILLED',
      'the order after the reconnect FILLED',
    );
    const sentOrders = (await acceptor.seen('received', 'D', 2)).filter((m) => tagOf(m, 43) !== 'Y');
    const ids = sentOrders.map((m) => tagOf(m, 11));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(2);
    expect(acceptor.sent().some((m) => tagOf(m, 35) === '5' && /too low/i.test(m))).toBe(false);
  });
});
