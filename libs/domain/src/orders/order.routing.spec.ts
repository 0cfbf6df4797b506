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

  it('a slice its venue lost is sent again for what is left, and the new acknowledgement is taken', () => {
    const acked = (venueOrderId: string): OrderCommand => ({
      type: 'AcknowledgeOrder',
      data: { orderId, venueId: 'SIM-A', childId: 'o1.1', venueOrderId },
      metadata: at(2),
    });
    const resend: OrderCommand = {
      type: 'ResendSlice',
      data: { orderId, childId: 'o1.1', reason: 'SIM-A no longer knows it' },
      metadata: at(4),
    };
    const before = [accepted, routed, ...submitted];
    // Acknowledged and partly filled, then lost by the venue: a second acknowledgement is refused...
    const lost = stateAfter(before, acked('v-1'), childFill('o1.1', 'A1', '2'));
    const refused = orderDecider.decide(acked('v-2'), lost);
    expect(refused.accepted).toBe(false);
    // ...until the slice is sent again, for the 4 left of its 6 (never the whole 6 again).
    const resent = orderDecider.decide(resend, lost);
    expect(resent.accepted && resent.events).toEqual([
      {
        type: 'VenueOrderResent',
        data: {
          orderId,
          childId: 'o1.1',
          venueId: 'SIM-A',
          quantity: '4',
          reason: 'SIM-A no longer knows it',
          at: iso(4),
        },
      },
    ]);
    const after = stateAfter(before, acked('v-1'), childFill('o1.1', 'A1', '2'), resend, acked('v-2'));
    expect(after.children['o1.1']).toMatchObject({
      venueOrderId: 'v-2',
      status: 'ACKNOWLEDGED',
      cumQty: '2',
    });
    // The venue's own order is for the 4 left: its restatement to 3 makes the slice 2 + 3 = 5.
    const restated = stateAfter(before, acked('v-1'), childFill('o1.1', 'A1', '2'), resend, acked('v-2'), {
      type: 'RestateSlice',
      data: { orderId, childId: 'o1.1', quantity: '3', reason: 'venue restated' },
      metadata: at(5),
    });
    expect(restated.children['o1.1'].quantity).toBe('5');
    // A slice that no longer works is not sent again.
    const closed = stateAfter(before, close('o1.1', 'CANCELED'));
    expect(orderDecider.decide(resend, closed).accepted).toBe(false);
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

describe('replacing an order that works at venues', () => {
  const requestReplace = (quantity: string | null, limitPrice: string | null): OrderCommand => ({
    type: 'RequestReplace',
    data: { orderId, quantity, limitPrice },
    metadata: at(4),
  });
  const routeReplace = (
    targets: { childId: string; quantity: string; limitPrice: string | null }[],
  ): OrderCommand => ({
    type: 'RouteReplace',
    data: { orderId, slices: targets, rationale: 'test plan' },
    metadata: at(5),
  });
  const answer = (childId: string, outcome: 'REPLACED' | 'REJECTED', reason?: string): OrderCommand => ({
    type: 'RecordSliceReplace',
    data: { orderId, childId, outcome, reason: reason ?? null },
    metadata: at(6),
  });
  const ack = (childId: string): OrderCommand => ({
    type: 'AcknowledgeOrder',
    data: { orderId, venueId: childId === 'o1.1' ? 'SIM-A' : 'SIM-B', childId, venueOrderId: `v-${childId}` },
    metadata: at(2),
  });
  const working = [accepted, routed, ...submitted];

  it('a slice fills to its old size while an up-size is on its way; the venue confirms it: the slice works on for the rest', () => {
    const replaced = stateAfter(
      working,
      ack('o1.1'),
      ack('o1.2'),
      requestReplace('12', null),
      routeReplace([
        { childId: 'o1.1', quantity: '8', limitPrice: '9680' },
        { childId: 'o1.2', quantity: '4', limitPrice: '9680' },
      ]),
      childFill('o1.1', 'E1', '6'),
      answer('o1.1', 'REPLACED'),
      answer('o1.2', 'REPLACED'),
    );
    expect(replaced.children['o1.1']).toMatchObject({ quantity: '8', cumQty: '6', status: 'ACKNOWLEDGED' });
    expect(replaced.status).toBe('PARTIALLY_FILLED');
    expect(replaced.leavesQty.toString()).toBe('6');
  });

  it('writes each slice plan first, and confirms the parent once every slice is replaced', () => {
    const planned = stateAfter(
      working,
      ack('o1.1'),
      ack('o1.2'),
      requestReplace('12', '9690'),
      routeReplace([
        { childId: 'o1.1', quantity: '8', limitPrice: '9690' },
        { childId: 'o1.2', quantity: '4', limitPrice: '9690' },
      ]),
    );
    expect(planned.status).toBe('PENDING_REPLACE');
    expect(planned.children['o1.1'].replace).toEqual({ quantity: '8', limitPrice: '9690', answer: null });
    const half = stateAfter(
      working,
      ack('o1.1'),
      ack('o1.2'),
      requestReplace('12', '9690'),
      routeReplace([
        { childId: 'o1.1', quantity: '8', limitPrice: '9690' },
        { childId: 'o1.2', quantity: '4', limitPrice: '9690' },
      ]),
      answer('o1.1', 'REPLACED'),
    );
    expect(half.status).toBe('PENDING_REPLACE');
    expect(half.children['o1.1'].quantity).toBe('8');
    const done = orderDecider.decide(answer('o1.2', 'REPLACED'), half);
    expect(done.accepted && done.events.map((e) => e.type)).toEqual(['VenueOrderReplaced', 'OrderReplaced']);
    const after = stateAfter(
      working,
      ack('o1.1'),
      ack('o1.2'),
      requestReplace('12', '9690'),
      routeReplace([
        { childId: 'o1.1', quantity: '8', limitPrice: '9690' },
        { childId: 'o1.2', quantity: '4', limitPrice: '9690' },
      ]),
      answer('o1.1', 'REPLACED'),
      answer('o1.2', 'REPLACED'),
      // A late duplicate answer changes nothing.
      answer('o1.2', 'REJECTED', 'late'),
    );
    expect(after.status).toBe('NEW');
    expect(after.orderQty.toString()).toBe('12');
    expect(after.limitPrice?.toString()).toBe('9690');
    expect(after.leavesQty.toString()).toBe('12');
    expect(Object.values(after.children).map((c) => [c.quantity, c.limitPrice, c.replace])).toEqual([
      ['8', '9690', null],
      ['4', '9690', null],
    ]);
  });

  it('a replace no slice takes is rejected; one only some take leaves the parent at what really works', () => {
    const plan = routeReplace([
      { childId: 'o1.1', quantity: '5', limitPrice: '9680' },
      { childId: 'o1.2', quantity: '3', limitPrice: '9680' },
    ]);
    const base = [ack('o1.1'), ack('o1.2'), requestReplace('8', null), plan];
    const none = stateAfter(
      working,
      ...base,
      answer('o1.1', 'REJECTED', 'too late'),
      answer('o1.2', 'REJECTED', 'no'),
    );
    expect(none.status).toBe('NEW');
    expect(none.orderQty.toString()).toBe('10');
    const some = stateAfter(working, ...base, answer('o1.1', 'REPLACED'));
    const last = orderDecider.decide(answer('o1.2', 'REJECTED', 'venue busy'), some);
    if (!last.accepted) throw new Error('refused');
    const replaced = last.events.find((e) => e.type === 'OrderReplaced');
    // o1.1 went 6 → 5; o1.2 stayed at 4: 9 work, not the 8 asked for, and the event says why.
    expect(replaced?.type === 'OrderReplaced' && replaced.data.quantity).toBe('9');
    expect(replaced?.type === 'OrderReplaced' && replaced.data.partial).toContain(
      'o1.2 at SIM-B (venue busy)',
    );
  });

  it('plans once: a plan while one is under way records nothing; slices must be working and keep a fill', () => {
    const under = stateAfter(
      working,
      ack('o1.1'),
      requestReplace('11', null),
      routeReplace([{ childId: 'o1.1', quantity: '7', limitPrice: '9680' }]),
    );
    const again = orderDecider.decide(
      routeReplace([{ childId: 'o1.1', quantity: '7', limitPrice: '9680' }]),
      under,
    );
    expect(again).toEqual({ accepted: true, events: [] });
    spec
      .given(...working, {
        type: 'OrderReplaceRequested',
        data: { orderId, quantity: '9', limitPrice: null, requestedAt: iso(4) },
      })
      .when(routeReplace([{ childId: 'o1.1', quantity: '0', limitPrice: null }]))
      .thenRejects('INVALID_TRANSITION');
    spec
      .given(...working)
      .when(routeReplace([{ childId: 'o1.1', quantity: '7', limitPrice: null }]))
      .thenRejects('REPLACE_NOT_PENDING');
  });
});

describe('order: a venue restates a slice (FIX ExecType D)', () => {
  const restate = (childId: string, quantity: string): OrderCommand => ({
    type: 'RestateSlice',
    data: { orderId, childId, quantity, reason: 'venue risk reduction' },
    metadata: at(4),
  });

  it('a restatement to nothing of the last working slice ends the order, its unfilled rest canceled', () => {
    const closedFirst = stateAfter([accepted, routed, ...submitted], close('o1.1', 'CANCELED'));
    const decision = orderDecider.decide(restate('o1.2', '0'), closedFirst);
    expect(decision.accepted && decision.events.map((e) => e.type)).toEqual([
      'VenueOrderRestated',
      'OrderRestated',
      'OrderCanceled',
    ]);
    const after = (decision.accepted ? decision.events : []).reduce(
      orderDecider.evolve,
      closedFirst,
    ) as Order;
    expect([after.status, after.cumQty.toString(), after.leavesQty.toString()]).toEqual([
      'CANCELED',
      '0',
      '0',
    ]);
  });

  it('the slice works the new quantity and the order’s quantity moves by as much', () => {
    spec
      .given(accepted, routed, ...submitted)
      .when(restate('o1.2', '1'))
      .then(
        {
          type: 'VenueOrderRestated',
          data: {
            orderId,
            childId: 'o1.2',
            venueId: 'SIM-B',
            quantity: '1',
            previousQuantity: '4',
            reason: 'venue risk reduction',
            restatedAt: iso(4),
          },
        },
        {
          type: 'OrderRestated',
          data: {
            orderId,
            quantity: '7',
            reason: 'SIM-B restated o1.2 from 4 to 1: venue risk reduction',
            restatedAt: iso(4),
            cumQty: '0',
            leavesQty: '7',
            avgPx: null,
          },
        },
      );
  });

  it('never below what the slice has filled; a repeat changes nothing', () => {
    const after = stateAfter(
      [accepted, routed, ...submitted],
      childFill('o1.2', 'E1', '3'),
      restate('o1.2', '1'),
    );
    expect([after.orderQty.toString(), after.cumQty.toString(), after.children['o1.2'].status]).toEqual([
      '9',
      '3',
      'FILLED',
    ]);
    spec
      .given(accepted, routed, ...submitted)
      .when(restate('o1.1', '6'))
      .thenNothing();
  });
});

describe('order: a venue busts or corrects a slice execution (FIX ExecType H and G)', () => {
  const bust = (execId: string): OrderCommand => ({
    type: 'BustTrade',
    data: { orderId, execId, reason: 'clearly erroneous' },
    metadata: at(5),
  });
  const correct = (execId: string, quantity: string, price = '9680'): OrderCommand => ({
    type: 'CorrectTrade',
    data: { orderId, execId, quantity, price, reason: 'wrong size' },
    metadata: at(5),
  });
  const eventsOf = (command: OrderCommand, state: Order): OrderEvent[] => {
    const decision = orderDecider.decide(command, state);
    if (!decision.accepted) throw new Error(JSON.stringify(decision.rejections));
    return decision.events;
  };
  const filledOrder = () =>
    stateAfter([accepted, routed, ...submitted], childFill('o1.1', 'e1', '6'), childFill('o1.2', 'e2', '4'));

  it('trade cancel on a filled order: the slice rolls back with the parent, and with nothing working the order ends', () => {
    const before = filledOrder();
    expect(before.status).toBe('FILLED');
    const decision = eventsOf(bust('e2'), before);
    expect(decision.map((e) => e.type)).toEqual(['TradeBusted', 'OrderCanceled']);
    const after = decision.reduce(orderDecider.evolve, before) as Order;
    expect(after.children['o1.2']).toMatchObject({ cumQty: '0', quantity: '0', status: 'FILLED' });
    expect([after.status, after.cumQty.toString(), after.leavesQty.toString()]).toEqual([
      'CANCELED',
      '6',
      '0',
    ]);
    const canceled = decision[1];
    expect(canceled?.data).toMatchObject({ canceledQty: '4' });
    expect(JSON.stringify(canceled?.data)).toMatch(/busted/);
  });

  it('trade cancel while a slice works: the slice keeps working what the venue still holds, and the order ends when it does', () => {
    const before = stateAfter(
      [accepted, routed, ...submitted],
      childFill('o1.1', 'e1', '2'),
      childFill('o1.2', 'e2', '4'),
    );
    const busted = eventsOf(bust('e1'), before);
    expect(busted.map((e) => e.type)).toEqual(['TradeBusted']);
    const after = busted.reduce(orderDecider.evolve, before) as Order;
    // The venue does not work a busted quantity again: o1.1 still works 4 of its 6, now 4 of 4.
    expect(after.children['o1.1']).toMatchObject({ cumQty: '0', quantity: '4', status: 'ACKNOWLEDGED' });
    expect([after.status, after.cumQty.toString(), after.leavesQty.toString()]).toEqual([
      'PARTIALLY_FILLED',
      '4',
      '6',
    ]);
    // The slice fills what it still works; nothing else works, so the order ends with the rest canceled.
    const done = eventsOf(childFill('o1.1', 'e3', '4'), after);
    expect(done.map((e) => e.type)).toEqual(['OrderFilled', 'OrderCanceled']);
    const end = done.reduce(orderDecider.evolve, after) as Order;
    expect([end.status, end.cumQty.toString()]).toEqual(['CANCELED', '8']);
  });

  it('trade correct down on a filled order ends it at what really traded; up is an overfill, alerted', () => {
    const before = filledOrder();
    const down = eventsOf(correct('e1', '5'), before);
    expect(down.map((e) => e.type)).toEqual(['TradeCorrected', 'OrderCanceled']);
    const after = down.reduce(orderDecider.evolve, before) as Order;
    expect(after.children['o1.1']).toMatchObject({ cumQty: '5', quantity: '5', status: 'FILLED' });
    expect([after.status, after.cumQty.toString()]).toEqual(['CANCELED', '9']);

    const up = eventsOf(correct('e1', '7'), before);
    expect(up.map((e) => e.type)).toEqual(['TradeCorrected', 'OrderOverfilled']);
    const over = up.reduce(orderDecider.evolve, before) as Order;
    expect(over.children['o1.1']).toMatchObject({ cumQty: '7', quantity: '6' });
    expect([over.status, over.cumQty.toString(), over.overfilledQty.toString()]).toEqual([
      'FILLED',
      '10',
      '1',
    ]);
  });
});

describe('order: a DAY order still working at its session end (issue 12, item 7)', () => {
  const day: OrderEvent = {
    type: 'OrderAccepted',
    data: { ...terms({ quantity: '10' }), acceptedAt: iso(), expireAt: iso(1000) },
  };
  it('expiry cancels its working slices first, and the order ends EXPIRED when the last one closes', () => {
    const working = stateAfter([day, routed, ...submitted], childFill('o1.1', 'e1', '2'));
    const expire: OrderCommand = {
      type: 'ExpireOrder',
      data: { orderId, reason: 'session end' },
      metadata: at(1000),
    };
    spec
      .given(day, routed, ...submitted)
      .when({ ...expire, metadata: at(999) })
      .thenRejects('ORDER_NOT_YET_EXPIRED');
    const requested = orderDecider.decide(expire, working);
    expect(requested.accepted && requested.events).toEqual([
      {
        type: 'OrderCancelRequested',
        data: { orderId, reason: 'expired: session end', requestedAt: iso(1000) },
      },
    ]);
    const afterRequest = (requested.accepted ? requested.events : []).reduce(
      orderDecider.evolve,
      working,
    ) as Order;
    const first = orderDecider.decide({ ...close('o1.1', 'CANCELED'), metadata: at(1001) }, afterRequest);
    const afterFirst = (first.accepted ? first.events : []).reduce(
      orderDecider.evolve,
      afterRequest,
    ) as Order;
    const last = orderDecider.decide({ ...close('o1.2', 'CANCELED'), metadata: at(1002) }, afterFirst);
    expect(last.accepted && last.events.map((e) => e.type)).toEqual(['VenueOrderClosed', 'OrderExpired']);
    const end = (last.accepted ? last.events : []).reduce(orderDecider.evolve, afterFirst) as Order;
    expect([end.status, end.cumQty.toString(), end.leavesQty.toString()]).toEqual(['EXPIRED', '2', '0']);
  });
});
