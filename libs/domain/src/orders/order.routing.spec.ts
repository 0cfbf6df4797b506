import { deciderSpec } from '../testing/decider-spec';
import { at, iso, terms } from '../testing/fixtures';
import { Order, OrderEvent, RouteSlice } from './order';
import { OrderCommand, orderDecider } from './order.decide';

const spec = deciderSpec(orderDecider);
const orderId = 'o1';

const accepted: OrderEvent = {
  type: 'OrderAccepted',
  data: { ...terms({ quantity: '10' }), acceptedAt: iso() },
};
const slices: RouteSlice[] = [
  { childId: 'o1.1', venueId: 'SIM-A', quantity: '6', limitPrice: '9680' },
  { childId: 'o1.2', venueId: 'SIM-B', quantity: '4', limitPrice: '9680' },
];
const routed: OrderEvent = {
  type: 'OrderRouted',
  data: { orderId, slices, rationale: 'best effective price', routedAt: iso(1) },
};
const submitted = slices.map((s): OrderEvent => ({
  type: 'VenueOrderSubmitted',
  data: { ...s, orderId, submittedAt: iso(1) },
}));
const childFill = (childId: string, execId: string, quantity: string): OrderCommand => ({
  type: 'RecordFill',
  data: {
    orderId,
    execId,
    venueId: childId === 'o1.1' ? 'SIM-A' : 'SIM-B',
    childId,
    quantity,
    price: '9680',
    fee: '0',
    liquidity: 'TAKER',
    executedAt: iso(2),
  },
  metadata: at(2),
});
const close = (
  childId: string,
  outcome: 'CANCELED' | 'REJECTED' | 'EXPIRED',
  reason = 'venue says so',
): OrderCommand => ({
  type: 'CloseVenueOrder',
  data: { orderId, childId, outcome, reason },
  metadata: at(3),
});
const route = (s: RouteSlice[] = slices): OrderCommand => ({
  type: 'RouteOrder',
  data: { orderId, slices: s, rationale: 'best effective price' },
  metadata: at(1),
});

/** Applies a command to the state after `given` and returns the state after its events. */
function stateAfter(given: OrderEvent[], ...commands: OrderCommand[]): Order {
  let state = given.reduce(orderDecider.evolve, orderDecider.initialState());
  for (const command of commands) {
    const decision = orderDecider.decide(command, state);
    if (!decision.accepted) throw new Error(JSON.stringify(decision.rejections));
    state = decision.events.reduce(orderDecider.evolve, state);
  }
  return state as Order;
}

describe('order routing and venue slices', () => {
  it('records the decision and every slice before anything is sent (write-ahead)', () => {
    spec
      .given(accepted)
      .when(route())
      .then(routed, ...submitted);
    const order = stateAfter([accepted, routed, ...submitted]);
    expect(Object.values(order.children).map((c) => [c.childId, c.venueId, c.quantity, c.status])).toEqual([
      ['o1.1', 'SIM-A', '6', 'SUBMITTED'],
      ['o1.2', 'SIM-B', '4', 'SUBMITTED'],
    ]);
    expect(order.status).toBe('PENDING_NEW');
  });

  it('routes once: the same decision again is a no-op, another is refused, and so is a wrong total', () => {
    spec
      .given(accepted, routed, ...submitted)
      .when(route())
      .thenNothing();
    spec
      .given(accepted, routed, ...submitted)
      .when(route([{ ...slices[0], quantity: '10' }]))
      .thenRejects('INVALID_TRANSITION');
    spec
      .given(accepted)
      .when(route([{ ...slices[0], quantity: '9' }]))
      .thenRejects('INVALID_TRANSITION');
    const cancelRequested: OrderEvent = {
      type: 'OrderCancelRequested',
      data: { orderId, reason: 'client', requestedAt: iso(1) },
    };
    spec.given(accepted, cancelRequested).when(route()).thenRejects('CANCEL_ALREADY_PENDING');
  });

  it('a fill moves its slice; the parent sums them', () => {
    const order = stateAfter(
      [accepted, routed, ...submitted],
      childFill('o1.1', 'A1', '6'),
      childFill('o1.2', 'B1', '1'),
    );
    expect(order.children['o1.1']).toMatchObject({ cumQty: '6', status: 'FILLED' });
    expect(order.children['o1.2']).toMatchObject({ cumQty: '1', status: 'ACKNOWLEDGED' });
    expect([order.status, order.cumQty.toString(), order.leavesQty.toString()]).toEqual([
      'PARTIALLY_FILLED',
      '7',
      '3',
    ]);
  });

  it('a slice closing while another works changes only the slice', () => {
    spec
      .given(accepted, routed, ...submitted)
      .when(close('o1.2', 'REJECTED'))
      .then({
        type: 'VenueOrderClosed',
        data: {
          orderId,
          childId: 'o1.2',
          venueId: 'SIM-B',
          outcome: 'REJECTED',
          unfilledQty: '4',
          reason: 'venue says so',
          closedAt: iso(3),
        },
      });
    spec
      .given(accepted, routed, ...submitted)
      .when(close('o9.9', 'CANCELED'))
      .thenRejects('UNKNOWN_EXECUTION');
  });

  it('the parent ends with its last working slice: canceled on request, rejected, expired, or the unfilled rest canceled', () => {
    const base = [accepted, routed, ...submitted];
    const cancelRequested: OrderCommand = { type: 'RequestCancel', data: { orderId }, metadata: at(2) };
    expect(
      stateAfter(base, cancelRequested, close('o1.1', 'CANCELED'), close('o1.2', 'CANCELED')).status,
    ).toBe('CANCELED');
    expect(stateAfter(base, close('o1.1', 'REJECTED'), close('o1.2', 'REJECTED')).status).toBe('REJECTED');
    expect(stateAfter(base, close('o1.1', 'EXPIRED'), close('o1.2', 'EXPIRED')).status).toBe('EXPIRED');
    const rest = stateAfter(
      base,
      childFill('o1.1', 'A1', '6'),
      close('o1.2', 'CANCELED', 'IOC: rest canceled'),
    );
    expect([rest.status, rest.cumQty.toString(), rest.leavesQty.toString()]).toEqual(['CANCELED', '6', '0']);
    const filled = stateAfter(base, childFill('o1.1', 'A1', '6'), childFill('o1.2', 'B1', '4'));
    expect(filled.status).toBe('FILLED');
    // A slice that filled, or one already closed, is not closed (again): nothing happens.
    expect(orderDecider.decide(close('o1.1', 'CANCELED'), filled)).toEqual({ accepted: true, events: [] });
    const closedOnce = stateAfter(base, close('o1.2', 'CANCELED'));
    expect(orderDecider.decide(close('o1.2', 'CANCELED'), closedOnce)).toEqual({
      accepted: true,
      events: [],
    });
  });

  it('when the last working slice fills after another ended short, the order ends with the rest canceled', () => {
    const base = [accepted, routed, ...submitted];
    const order = stateAfter(
      base,
      childFill('o1.2', 'B1', '2'),
      close('o1.2', 'CANCELED', 'no more liquidity'),
      childFill('o1.1', 'A1', '6'),
    );
    expect([order.status, order.cumQty.toString(), order.leavesQty.toString()]).toEqual([
      'CANCELED',
      '8',
      '0',
    ]);
    const decision = orderDecider.decide(
      childFill('o1.1', 'A1', '6'),
      stateAfter(base, childFill('o1.2', 'B1', '2'), close('o1.2', 'CANCELED')),
    );
    expect(decision.accepted && decision.events.map((e) => e.type)).toEqual(['OrderFilled', 'OrderCanceled']);
  });

  it('no ack in time flags the slice unconfirmed (once), and an ack or a fill settles it', () => {
    const flag: OrderCommand = {
      type: 'MarkUnconfirmed',
      data: { orderId, childId: 'o1.1', reason: 'no ack in 2000 ms' },
      metadata: at(2),
    };
    const unconfirmed: OrderEvent = {
      type: 'VenueOrderUnconfirmed',
      data: { orderId, childId: 'o1.1', venueId: 'SIM-A', reason: 'no ack in 2000 ms', at: iso(2) },
    };
    spec
      .given(accepted, routed, ...submitted)
      .when(flag)
      .then(unconfirmed);
    spec
      .given(accepted, routed, ...submitted, unconfirmed)
      .when(flag)
      .thenNothing();
    const order = stateAfter([accepted, routed, ...submitted, unconfirmed], childFill('o1.1', 'A1', '1'));
    expect(order.children['o1.1'].status).toBe('ACKNOWLEDGED');
  });
});
