import { Decimal, Order, OrderEvent, orderDecider } from '@oms/domain';
import { planReplace } from './replace-plan';

const lot = () => Decimal.parse('0.001');
const iso = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

/** An order of 10 split 6 / 4 across two venues, then the given events. */
function order(...more: OrderEvent[]): Order {
  const events: OrderEvent[] = [
    {
      type: 'OrderAccepted',
      data: {
        orderId: 'o1',
        accountId: 'a',
        clientOrderId: 'c1',
        instrumentId: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '10',
        limitPrice: '9680',
        venueId: null,
        acceptedAt: iso(0),
      },
    },
    ...(['o1.1', 'o1.2'] as const).map((childId, i): OrderEvent => ({
      type: 'VenueOrderSubmitted',
      data: {
        orderId: 'o1',
        childId,
        venueId: i === 0 ? 'SIM-A' : 'SIM-B',
        quantity: i === 0 ? '6' : '4',
        limitPrice: '9680',
        submittedAt: iso(1),
      },
    })),
    ...more,
  ];
  return events.reduce(orderDecider.evolve, orderDecider.initialState()) as Order;
}
const replace = (quantity: string, limitPrice: string | null = '9680'): OrderEvent => ({
  type: 'OrderReplaceRequested',
  data: { orderId: 'o1', quantity, limitPrice, requestedAt: iso(2) },
});
const fill = (childId: string, quantity: string): OrderEvent => ({
  type: 'OrderFilled',
  data: {
    orderId: 'o1',
    execId: `x-${childId}`,
    venueId: childId === 'o1.1' ? 'SIM-A' : 'SIM-B',
    childId,
    quantity,
    price: '9680',
    fee: '0',
    liquidity: 'MAKER',
    executedAt: iso(2),
    cumQty: quantity,
    leavesQty: '0',
    avgPx: '9680',
  },
});

describe('planReplace: how a parent replace reaches its working slices', () => {
  it('a new price goes to every working slice, quantities unchanged', () => {
    const plan = planReplace(order(replace('10', '9700')), lot);
    expect('slices' in plan && plan.slices).toEqual([
      { childId: 'o1.1', quantity: '6', limitPrice: '9700' },
      { childId: 'o1.2', quantity: '4', limitPrice: '9700' },
    ]);
  });

  it('more goes to the slice with most left; less comes off the last slices first, each keeping a lot', () => {
    const up = planReplace(order(replace('13')), lot);
    expect('slices' in up && up.slices).toEqual([{ childId: 'o1.1', quantity: '9', limitPrice: '9680' }]);
    expect('slices' in up && up.rationale).toContain('+3 on o1.1 at SIM-A');
    const down = planReplace(order(replace('5')), lot);
    expect('slices' in down && down.slices).toEqual([
      { childId: 'o1.1', quantity: '4.999', limitPrice: '9680' },
      { childId: 'o1.2', quantity: '0.001', limitPrice: '9680' },
    ]);
  });

  it('fills count: the new open quantity is the new quantity less what filled', () => {
    // 2 of o1.1 filled: open 8 (4 + 4). Asking for 9 leaves 7 open: 1 comes off o1.2.
    const plan = planReplace(order(fill('o1.1', '2'), replace('9')), lot);
    expect('slices' in plan && plan.slices).toEqual([{ childId: 'o1.2', quantity: '3', limitPrice: '9680' }]);
  });

  it('refuses what would leave a slice without a lot, and confirms when nothing changes at venues', () => {
    const plan = planReplace(order(replace('0.0015')), () => Decimal.parse('1'));
    expect(plan).toEqual({ refused: expect.stringContaining('cannot give up') });
    // A slice closed early: 6 work of the 10. Asking for 6 changes nothing at the venue.
    const closed: OrderEvent = {
      type: 'VenueOrderClosed',
      data: {
        orderId: 'o1',
        childId: 'o1.2',
        venueId: 'SIM-B',
        outcome: 'CANCELED',
        unfilledQty: '4',
        reason: 'x',
        closedAt: iso(2),
      },
    };
    expect(planReplace(order(closed, replace('6')), lot)).toEqual({ nothingToSend: true });
  });
  it('a native STOP replaced in quantity keeps its slice’s limit, the protection price it went out with', () => {
    const stop: OrderEvent[] = [
      {
        type: 'OrderAccepted',
        data: {
          orderId: 'o2',
          accountId: 'a',
          clientOrderId: 'c2',
          instrumentId: 'BTCUSDT',
          side: 'SELL',
          type: 'STOP',
          timeInForce: 'GTC',
          quantity: '2',
          limitPrice: null,
          venueId: null,
          stopPrice: '9600',
          triggerType: 'LAST',
          protectionPrice: '9500',
          acceptedAt: iso(0),
        },
      },
      {
        type: 'OrderRouted',
        data: {
          orderId: 'o2',
          slices: [
            { childId: 'o2.1', venueId: 'FIX-X', quantity: '2', limitPrice: '9500', stopPrice: '9600' },
          ],
          rationale: 'native stop',
          routedAt: iso(1),
        },
      },
      {
        type: 'VenueOrderSubmitted',
        data: {
          orderId: 'o2',
          childId: 'o2.1',
          venueId: 'FIX-X',
          quantity: '2',
          limitPrice: '9500',
          stopPrice: '9600',
          submittedAt: iso(1),
        },
      },
      {
        type: 'OrderReplaceRequested',
        data: { orderId: 'o2', quantity: '1', limitPrice: null, requestedAt: iso(2) },
      },
    ];
    const native = stop.reduce(orderDecider.evolve, orderDecider.initialState()) as Order;
    expect(planReplace(native, lot)).toMatchObject({
      slices: [{ childId: 'o2.1', quantity: '1', limitPrice: '9500' }],
    });
  });
});
