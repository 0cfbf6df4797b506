import { deciderSpec } from '../testing/decider-spec';
import { at, iso, terms } from '../testing/fixtures';
import { Order, OrderEvent, OrderState, OrderTerms, endsOrder } from './order';
import { OrderCommand, orderDecider } from './order.decide';

const spec = deciderSpec(orderDecider);
const orderId = 'o1';

// ---- events, in the business's words ----
const accepted: OrderEvent = {
  type: 'OrderAccepted',
  data: { ...terms({ quantity: '10' }), acceptedAt: iso() },
};
const acknowledged: OrderEvent = {
  type: 'OrderAcknowledged',
  data: { orderId, venueId: 'SIM-A', childId: null, venueOrderId: 'V1', acknowledgedAt: iso(1) },
};
function filled(
  execId: string,
  quantity: string,
  price: string,
  cumQty: string,
  leavesQty: string,
  avgPx: string,
): OrderEvent {
  return {
    type: 'OrderFilled',
    data: {
      orderId,
      execId,
      venueId: 'SIM-A',
      childId: null,
      quantity,
      price,
      fee: '0.1',
      liquidity: 'TAKER',
      executedAt: iso(2),
      cumQty,
      leavesQty,
      avgPx,
    },
  };
}
const partiallyFilled = filled('E1', '4', '9680', '4', '6', '9680');
const cancelRequested: OrderEvent = {
  type: 'OrderCancelRequested',
  data: { orderId, reason: 'requested by client', requestedAt: iso(3) },
};
const canceled: OrderEvent = {
  type: 'OrderCanceled',
  data: { orderId, canceledQty: '6', reason: 'canceled on request', canceledAt: iso(4) },
};
const replaceRequested: OrderEvent = {
  type: 'OrderReplaceRequested',
  data: { orderId, quantity: '12', limitPrice: '9675', requestedAt: iso(3) },
};

// ---- commands ----
const fill = (execId: string, quantity: string, price = '9680', offset = 5): OrderCommand => ({
  type: 'RecordFill',
  data: {
    orderId,
    execId,
    venueId: 'SIM-A',
    quantity,
    price,
    fee: '0.1',
    liquidity: 'TAKER',
    executedAt: iso(2),
  },
  metadata: at(offset),
});
const cancel: OrderCommand = { type: 'RequestCancel', data: { orderId }, metadata: at(3) };
const confirmCancel: OrderCommand = { type: 'ConfirmCancel', data: { orderId }, metadata: at(4) };

function status(state: OrderState): string {
  return state.exists ? state.status : 'NONE';
}

describe('order decider', () => {
  describe('PlaceOrder', () => {
    const place = (
      rejections = [] as { code: string; message: string }[],
      t = terms({ quantity: '10' }),
    ): OrderCommand => ({
      type: 'PlaceOrder',
      data: { terms: t, rejections },
      metadata: at(),
    });

    it('accepts an order that passed risk: PENDING_NEW with all quantity open', () => {
      // A DAY order placed without a session calendar (as before one existed) has no expiry time.
      const state = spec
        .given()
        .when(place())
        .then({ ...accepted, data: { ...accepted.data, expireAt: null } } as OrderEvent) as Order;
      expect(state.status).toBe('PENDING_NEW');
      expect(state.leavesQty.toString()).toBe('10');
      expect(state.cumQty.toString()).toBe('0');
    });

    it('records the reference price risk judged, accepted or rejected, and the terms stay the terms', () => {
      const reference = { referencePrice: '9680.5', referenceObservedAt: iso(-250) };
      const withReference = (rejections: { code: string; message: string }[]): OrderCommand => ({
        type: 'PlaceOrder',
        data: { terms: terms({ quantity: '10' }), rejections, reference },
        metadata: at(),
      });
      const state = spec
        .given()
        .when(withReference([]))
        .then({
          type: 'OrderAccepted',
          data: { ...terms({ quantity: '10' }), acceptedAt: iso(), expireAt: null, ...reference },
        });
      expect((state as Order).terms).toEqual(terms({ quantity: '10' }));
      const rejections = [{ code: 'PRICE_COLLAR_BREACHED', message: 'too far' }];
      spec
        .given()
        .when(withReference(rejections))
        .then({
          type: 'OrderRejected',
          data: { ...terms({ quantity: '10' }), rejections, rejectedAt: iso(), ...reference },
        });
    });

    it('records a risk rejection with every failed check: REJECTED', () => {
      const rejections = [
        { code: 'MAX_ORDER_QUANTITY_EXCEEDED', message: 'too big' },
        { code: 'PRICE_COLLAR_BREACHED', message: 'too far' },
      ];
      const state = spec
        .given()
        .when(place(rejections))
        .then({
          type: 'OrderRejected',
          data: { ...terms({ quantity: '10' }), rejections, rejectedAt: iso() },
        }) as Order;
      expect(state.status).toBe('REJECTED');
      expect(state.leavesQty.toString()).toBe('0');
      expect(state.rejections).toEqual(rejections);
    });

    it('is idempotent: the same order again changes nothing (also "10.0" for "10")', () => {
      spec.given(accepted).when(place()).thenNothing();
      spec
        .given(accepted)
        .when(place([], terms({ quantity: '10.0' })))
        .thenNothing();
    });

    it('refuses the same client order id for a different order', () => {
      spec
        .given(accepted)
        .when(place([], terms({ quantity: '11' })))
        .thenRejects('DUPLICATE_CLIENT_ORDER_ID');
      spec
        .given(accepted)
        .when(place([], terms({ quantity: '10', side: 'SELL' })))
        .thenRejects('DUPLICATE_CLIENT_ORDER_ID');
    });
  });

  describe('acknowledgement', () => {
    it('moves PENDING_NEW to NEW and keeps the venue order id', () => {
      const state = spec
        .given(accepted)
        .when({
          type: 'AcknowledgeOrder',
          data: { orderId, venueId: 'SIM-A', venueOrderId: 'V1' },
          metadata: at(1),
        })
        .then(acknowledged) as Order;
      expect(state.status).toBe('NEW');
      expect(state.venueOrderIds['-']).toBe('V1');
    });

    it('ignores a duplicate ack and refuses a conflicting one', () => {
      const ack = (venueOrderId: string): OrderCommand => ({
        type: 'AcknowledgeOrder',
        data: { orderId, venueId: 'SIM-A', venueOrderId },
        metadata: at(1),
      });
      spec.given(accepted, acknowledged).when(ack('V1')).thenNothing();
      spec.given(accepted, acknowledged).when(ack('V2')).thenRejects('INVALID_TRANSITION');
    });

    it('tracks child venue slices separately', () => {
      const state = spec
        .given(accepted)
        .when({
          type: 'AcknowledgeOrder',
          data: { orderId, venueId: 'SIM-B', childId: 'o1.2', venueOrderId: 'B7' },
          metadata: at(1),
        })
        .then({
          type: 'OrderAcknowledged',
          data: { orderId, venueId: 'SIM-B', childId: 'o1.2', venueOrderId: 'B7', acknowledgedAt: iso(1) },
        }) as Order;
      // Acknowledged without having been routed here (an older flow): the slice holds what is open.
      expect(state.children['o1.2']).toEqual({
        childId: 'o1.2',
        venueId: 'SIM-B',
        venueOrderId: 'B7',
        quantity: '10',
        limitPrice: '9680',
        cumQty: '0',
        status: 'ACKNOWLEDGED',
      });
    });

    it('refuses anything from a venue for an order risk rejected (it was never sent)', () => {
      const rejected: OrderEvent = {
        type: 'OrderRejected',
        data: { ...terms(), rejections: [{ code: 'X', message: 'no' }], rejectedAt: iso() },
      };
      spec.given(rejected).when(fill('E1', '1')).thenRejects('ORDER_NOT_SENT');
      spec.given().when(fill('E1', '1')).thenRejects('ORDER_NOT_FOUND');
    });
  });

  describe('fills', () => {
    it('partially fills with exact cumulative figures', () => {
      const state = spec.given(accepted, acknowledged).when(fill('E1', '4')).then(partiallyFilled) as Order;
      expect(state.status).toBe('PARTIALLY_FILLED');
      expect(state.cumQty.plus(state.leavesQty).toString()).toBe('10');
    });

    it('computes avgPx exactly from the executed notional', () => {
      const state = spec
        .given(accepted, acknowledged, filled('E1', '3', '9680.01', '3', '7', '9680.01'))
        .when(fill('E2', '3', '9680.02'))
        .then(filled('E2', '3', '9680.02', '6', '4', '9680.015')) as Order;
      expect(state.executedNotional.toString()).toBe('58080.09');
    });

    it('fills completely: FILLED with nothing left', () => {
      const state = spec
        .given(accepted, acknowledged, partiallyFilled)
        .when(fill('E2', '6', '9681'))
        .then(filled('E2', '6', '9681', '10', '0', '9680.6')) as Order;
      expect(state.status).toBe('FILLED');
      expect(state.fees.toString()).toBe('0.2');
    });

    it('ignores a duplicate execution id', () => {
      spec.given(accepted, acknowledged, partiallyFilled).when(fill('E1', '4')).thenNothing();
    });

    it('applies a fill that arrives before the ack (the ack was lost or is in flight)', () => {
      const state = spec.given(accepted).when(fill('E1', '4')).then(partiallyFilled) as Order;
      expect(state.acknowledged).toBe(true);
    });

    it('records an overfill as its own event, counting only up to the order quantity', () => {
      const state = spec
        .given(accepted, acknowledged, partiallyFilled)
        .when(fill('E2', '8', '9681'))
        .then(filled('E2', '8', '9681', '10', '0', '9680.6'), {
          type: 'OrderOverfilled',
          data: { orderId, execId: 'E2', venueId: 'SIM-A', overfillQty: '2', orderQty: '10' },
        }) as Order;
      expect(state.status).toBe('FILLED');
      expect(state.cumQty.toString()).toBe('10');
      expect(state.overfilledQty.toString()).toBe('2');
    });

    it('records a fill on an already filled order entirely as overfill, once', () => {
      const full = filled('E1', '10', '9680', '10', '0', '9680');
      spec
        .given(accepted, full)
        .when(fill('E9', '1'))
        .then(filled('E9', '1', '9680', '10', '0', '9680'), {
          type: 'OrderOverfilled',
          data: { orderId, execId: 'E9', venueId: 'SIM-A', overfillQty: '1', orderQty: '10' },
        });
      const overfill: OrderEvent = {
        type: 'OrderOverfilled',
        data: { orderId, execId: 'E9', venueId: 'SIM-A', overfillQty: '1', orderQty: '10' },
      };
      spec
        .given(accepted, full, filled('E9', '1', '9680', '10', '0', '9680'), overfill)
        .when(fill('E9', '1'))
        .thenNothing();
    });

    it('refuses a malformed execution without losing the order', () => {
      spec.given(accepted).when(fill('E1', '0')).thenRejects('INVALID_EXECUTION');
      spec
        .given(accepted)
        .when(fill('E1', '1', 'abc'))
        .thenRejects('INVALID_EXECUTION');
      spec.given(accepted).when(fill('E1', '-1')).thenRejects('INVALID_EXECUTION');
    });
  });

  describe('cancel', () => {
    it('requests a cancel: PENDING_CANCEL', () => {
      const state = spec.given(accepted, acknowledged, partiallyFilled).when(cancel).then(cancelRequested);
      expect(status(state)).toBe('PENDING_CANCEL');
    });

    it('confirms the cancel: CANCELED with the open quantity canceled', () => {
      const state = spec
        .given(accepted, acknowledged, partiallyFilled, cancelRequested)
        .when(confirmCancel)
        .then(canceled) as Order;
      expect(state.status).toBe('CANCELED');
      expect(state.leavesQty.toString()).toBe('0');
      expect(state.cumQty.toString()).toBe('4');
    });

    it('can cancel an order the venue has not acknowledged yet', () => {
      spec.given(accepted).when(cancel).then(cancelRequested);
    });

    it('rejected cancel returns to the previous status', () => {
      const state = spec
        .given(accepted, acknowledged, partiallyFilled, cancelRequested)
        .when({ type: 'RejectCancel', data: { orderId, reason: 'too late' }, metadata: at(4) })
        .then({ type: 'OrderCancelRejected', data: { orderId, reason: 'too late', rejectedAt: iso(4) } });
      expect(status(state)).toBe('PARTIALLY_FILLED');
    });

    it('refuses to cancel a filled order, with the reason', () => {
      const [r] = spec
        .given(accepted, filled('E1', '10', '9680', '10', '0', '9680'))
        .when(cancel)
        .thenRejects('ORDER_ALREADY_FILLED');
      expect(r.message).toContain('already filled');
    });

    it('refuses to cancel a closed order; a repeated request or confirmation is a no-op', () => {
      spec.given(accepted, acknowledged, cancelRequested, canceled).when(cancel).thenRejects('ORDER_CLOSED');
      spec.given(accepted, acknowledged, cancelRequested).when(cancel).thenNothing();
      spec.given(accepted, acknowledged, cancelRequested, canceled).when(confirmCancel).thenNothing();
    });

    it('rejecting a cancel that is not pending is refused', () => {
      spec
        .given(accepted, acknowledged)
        .when({ type: 'RejectCancel', data: { orderId, reason: 'x' }, metadata: at(4) })
        .thenRejects('CANCEL_NOT_PENDING');
    });

    it('takes an unsolicited cancel from the venue (e.g. IOC remainder)', () => {
      spec
        .given(accepted, acknowledged)
        .when(confirmCancel)
        .then({
          type: 'OrderCanceled',
          data: { orderId, canceledQty: '10', reason: 'canceled by venue', canceledAt: iso(4) },
        });
    });

    it('applies a fill that arrives while the cancel is pending', () => {
      const state = spec
        .given(accepted, acknowledged, cancelRequested)
        .when(fill('E1', '4'))
        .then(partiallyFilled);
      expect(status(state)).toBe('PENDING_CANCEL');
    });

    it('a fill completing the order during PENDING_CANCEL makes it FILLED', () => {
      const state = spec
        .given(accepted, acknowledged, cancelRequested)
        .when(fill('E1', '10'))
        .then(filled('E1', '10', '9680', '10', '0', '9680'));
      expect(status(state)).toBe('FILLED');
    });

    it('applies and records a fill that arrives after the cancel was confirmed (reordered channels)', () => {
      const state = spec
        .given(accepted, acknowledged, cancelRequested, canceled)
        .when(fill('E1', '4'))
        .then(filled('E1', '4', '9680', '4', '0', '9680')) as Order;
      expect(state.status).toBe('CANCELED');
      expect(state.cumQty.toString()).toBe('4');
    });
  });

  describe('replace', () => {
    const replace = (quantity: string | null, limitPrice: string | null): OrderCommand => ({
      type: 'RequestReplace',
      data: { orderId, quantity, limitPrice },
      metadata: at(3),
    });

    it('requests a replace: PENDING_REPLACE', () => {
      const state = spec.given(accepted, acknowledged).when(replace('12', '9675')).then(replaceRequested);
      expect(status(state)).toBe('PENDING_REPLACE');
    });

    it('confirms a replace: new quantity and price, open quantity follows', () => {
      const state = spec
        .given(accepted, acknowledged, partiallyFilled, replaceRequested)
        .when({ type: 'ConfirmReplace', data: { orderId }, metadata: at(4) })
        .then({
          type: 'OrderReplaced',
          data: {
            orderId,
            quantity: '12',
            limitPrice: '9675',
            replacedAt: iso(4),
            cumQty: '4',
            leavesQty: '8',
            avgPx: '9680',
          },
        }) as Order;
      expect(state.status).toBe('PARTIALLY_FILLED');
      expect(state.orderQty.toString()).toBe('12');
      expect(state.limitPrice?.toString()).toBe('9675');
      expect(state.leavesQty.toString()).toBe('8');
    });

    it('records a replace that pre-trade risk refused, and keeps the order as it was', () => {
      const rejections = [{ code: 'PRICE_COLLAR_BREACHED', message: 'Limit price 12000 is outside ±5%.' }];
      const refusedReplace = (quantity: string, limitPrice: string | null): OrderCommand => ({
        type: 'RequestReplace',
        data: { orderId, quantity, limitPrice, rejections },
        metadata: at(3),
      });
      const state = spec
        .given(accepted, acknowledged)
        .when(refusedReplace('12', '12000'))
        .then({
          type: 'OrderReplaceRefused',
          data: { orderId, quantity: '12', limitPrice: '12000', rejections, refusedAt: iso(3) },
        }) as Order;
      expect(state.status).toBe('NEW');
      expect(state.pendingReplace).toBeNull();
      expect(state.orderQty.toString()).toBe('10');
      expect(state.limitPrice?.toString()).toBe('9680');
      // The lifecycle is checked first: a replace the order cannot take is refused, not recorded.
      spec
        .given(accepted, acknowledged, replaceRequested)
        .when(refusedReplace('13', null))
        .thenRejects('REPLACE_ALREADY_PENDING');
    });

    it('a rejected replace keeps the original terms', () => {
      const state = spec
        .given(accepted, acknowledged, replaceRequested)
        .when({ type: 'RejectReplace', data: { orderId, reason: 'venue says no' }, metadata: at(4) })
        .then({
          type: 'OrderReplaceRejected',
          data: { orderId, reason: 'venue says no', rejectedAt: iso(4) },
        }) as Order;
      expect(state.status).toBe('NEW');
      expect(state.orderQty.toString()).toBe('10');
    });

    it('applies fills while the replace is pending', () => {
      const state = spec
        .given(accepted, acknowledged, replaceRequested)
        .when(fill('E1', '4'))
        .then(partiallyFilled);
      expect(status(state)).toBe('PENDING_REPLACE');
    });

    it('refuses replaces that cannot be right', () => {
      spec.given(accepted, acknowledged).when(replace(null, null)).thenRejects('INVALID_REPLACE');
      spec.given(accepted, acknowledged).when(replace('-1', null)).thenRejects('INVALID_REPLACE');
      spec.given(accepted, acknowledged).when(replace(null, '0')).thenRejects('INVALID_REPLACE');
      spec.given(accepted, acknowledged).when(replace('10', '9680')).thenRejects('INVALID_REPLACE');
      spec
        .given(accepted, acknowledged, replaceRequested)
        .when(replace('13', null))
        .thenRejects('REPLACE_ALREADY_PENDING');
      spec
        .given(accepted, acknowledged, cancelRequested)
        .when(replace('13', null))
        .thenRejects('CANCEL_ALREADY_PENDING');
      spec
        .given(accepted, acknowledged, cancelRequested, canceled)
        .when(replace('13', null))
        .thenRejects('ORDER_CLOSED');
      const market: OrderEvent = {
        type: 'OrderAccepted',
        data: { ...terms({ type: 'MARKET', limitPrice: null }), acceptedAt: iso() },
      };
      spec.given(market).when(replace(null, '9000')).thenRejects('INVALID_REPLACE');
    });

    it('a reduction to what has filled, or below, is done at what filled (FIX D11/D12), hiding no execution', () => {
      const eightFilled = filled('E1', '8', '9680', '8', '2', '9680');
      const reduced = spec
        .given(accepted, acknowledged, eightFilled)
        .when(replace('7', null))
        .then({
          type: 'OrderReplaceRequested',
          data: { orderId, quantity: '7', limitPrice: '9680', requestedAt: iso(3) },
        }) as Order;
      expect(reduced.status).toBe('PENDING_REPLACE');
      const done = spec
        .given(accepted, acknowledged, eightFilled, {
          type: 'OrderReplaceRequested',
          data: { orderId, quantity: '7', limitPrice: '9680', requestedAt: iso(3) },
        })
        .when({ type: 'ConfirmReplace', data: { orderId }, metadata: at(4) })
        .then({
          type: 'OrderReplaced',
          data: {
            orderId,
            quantity: '8',
            limitPrice: '9680',
            replacedAt: iso(4),
            partial: 'reduced to 7 with 8 already filled: done at 8, the rest canceled',
            cumQty: '8',
            leavesQty: '0',
            avgPx: '9680',
          },
        }) as Order;
      expect([done.status, done.orderQty.toString(), done.overfilledQty.toString()]).toEqual([
        'FILLED',
        '8',
        '0',
      ]);
      // Whoever follows the log learns the order has ended (the gateway's working slices, halts).
      const replaced = { type: 'OrderReplaced', data: { ...done, leavesQty: '0' } } as unknown as OrderEvent;
      expect(endsOrder(replaced)).toBe(true);
      expect(endsOrder({ ...replaced, data: { ...replaced.data, leavesQty: '2' } } as OrderEvent)).toBe(
        false,
      ); // So does a correction up that completes it.
      expect(endsOrder({ type: 'TradeCorrected', data: { leavesQty: '0' } } as unknown as OrderEvent)).toBe(
        true,
      );
    });

    it('confirming or rejecting with no replace pending is refused', () => {
      spec
        .given(accepted)
        .when({ type: 'ConfirmReplace', data: { orderId }, metadata: at(4) })
        .thenRejects('REPLACE_NOT_PENDING');
      spec
        .given(accepted)
        .when({ type: 'RejectReplace', data: { orderId, reason: 'x' }, metadata: at(4) })
        .thenRejects('REPLACE_NOT_PENDING');
    });
  });

  describe('venue reject and expiry', () => {
    const venueReject: OrderCommand = {
      type: 'RecordVenueReject',
      data: { orderId, venueId: 'SIM-A', reason: 'unknown symbol' },
      metadata: at(1),
    };

    it('a venue reject ends an order that has not traded, and the order says why', () => {
      const state = spec
        .given(accepted)
        .when(venueReject)
        .then({
          type: 'OrderRejectedByVenue',
          data: { orderId, venueId: 'SIM-A', childId: null, reason: 'unknown symbol', rejectedAt: iso(1) },
        });
      expect(status(state)).toBe('REJECTED');
      expect((state as Order).rejections).toEqual([
        { code: 'VENUE_REJECTED', message: 'SIM-A: unknown symbol' },
      ]);
    });

    it('a venue reject after trading is refused', () => {
      spec.given(accepted, partiallyFilled).when(venueReject).thenRejects('INVALID_TRANSITION');
    });

    it('expires the open quantity: EXPIRED', () => {
      const state = spec
        .given(accepted, acknowledged, partiallyFilled)
        .when({ type: 'ExpireOrder', data: { orderId, reason: 'end of day' }, metadata: at(9) })
        .then({
          type: 'OrderExpired',
          data: { orderId, expiredQty: '6', reason: 'end of day', expiredAt: iso(9) },
        }) as Order;
      expect(state.status).toBe('EXPIRED');
      expect(state.leavesQty.toString()).toBe('0');
    });

    it('terminal states stay terminal', () => {
      const expired: OrderEvent = {
        type: 'OrderExpired',
        data: { orderId, expiredQty: '10', reason: 'eod', expiredAt: iso(9) },
      };
      spec.given(accepted, expired).when(cancel).thenRejects('ORDER_CLOSED');
      spec.given(accepted, expired).when(confirmCancel).thenRejects('ORDER_CLOSED');
      spec
        .given(accepted, expired)
        .when({ type: 'ExpireOrder', data: { orderId, reason: 'x' }, metadata: at(9) })
        .thenNothing();
      spec
        .given(accepted, filled('E1', '10', '9680', '10', '0', '9680'))
        .when({ type: 'ExpireOrder', data: { orderId, reason: 'x' }, metadata: at(9) })
        .thenRejects('ORDER_ALREADY_FILLED');
    });
  });

  describe('DAY and GTD orders expire; others do not (issue 12, item 7)', () => {
    const place = (overrides: Partial<OrderTerms>, sessionEnd: string | null = null): OrderCommand => ({
      type: 'PlaceOrder',
      data: { terms: terms({ quantity: '10', ...overrides }), rejections: [], sessionEnd },
      metadata: at(),
    });
    const expireCommand = (offset: number): OrderCommand => ({
      type: 'ExpireOrder',
      data: { orderId, reason: 'session end' },
      metadata: at(offset),
    });

    it('a DAY order is accepted with its session end as its expiry; a GTD order with its own', () => {
      const day = spec.given().when(place({}, '2026-11-22T00:00:00.000Z')).thenEvents()[0];
      expect(day.data).toMatchObject({ timeInForce: 'DAY', expireAt: '2026-11-22T00:00:00.000Z' });
      const gtd = spec
        .given()
        .when(place({ timeInForce: 'GTD', expireAt: '2026-11-25T12:00:00.000Z' }, '2026-11-22T00:00:00.000Z'))
        .thenEvents()[0];
      expect(gtd.data).toMatchObject({ timeInForce: 'GTD', expireAt: '2026-11-25T12:00:00.000Z' });
      const gtc = spec
        .given()
        .when(place({ timeInForce: 'GTC' }, '2026-11-22T00:00:00.000Z'))
        .thenEvents()[0];
      expect(gtc.data).toMatchObject({ expireAt: null });
    });

    it('a retry of a DAY or GTD order is the same order (its expiry is not a term the client sent twice)', () => {
      const day = spec.given().when(place({}, '2026-11-22T00:00:00.000Z')).thenEvents();
      spec
        .given(...day)
        .when(place({}, '2026-11-23T00:00:00.000Z'))
        .thenNothing();
      const gtd = spec
        .given()
        .when(place({ timeInForce: 'GTD', expireAt: '2026-11-25T12:00:00Z' }))
        .thenEvents();
      spec
        .given(...gtd)
        .when(place({ timeInForce: 'GTD', expireAt: '2026-11-25T12:00:00.000Z' }))
        .thenNothing();
      spec
        .given(...gtd)
        .when(place({ timeInForce: 'GTD', expireAt: '2026-11-25T13:00:00.000Z' }))
        .thenRejects('DUPLICATE_CLIENT_ORDER_ID');
    });

    it('ExpireOrder on a GTC order is refused; on a DAY order before its session end too', () => {
      const gtc: OrderEvent = {
        type: 'OrderAccepted',
        data: { ...terms({ timeInForce: 'GTC' }), acceptedAt: iso() },
      };
      spec.given(gtc, acknowledged).when(expireCommand(9)).thenRejects('ORDER_NOT_EXPIRABLE');
      const day: OrderEvent = {
        type: 'OrderAccepted',
        data: { ...terms(), acceptedAt: iso(), expireAt: iso(1000) },
      };
      spec.given(day, acknowledged).when(expireCommand(999)).thenRejects('ORDER_NOT_YET_EXPIRED');
      spec
        .given(day, acknowledged)
        .when(expireCommand(1000))
        .then({
          type: 'OrderExpired',
          data: { orderId, expiredQty: '1', reason: 'session end', expiredAt: iso(1000) },
        });
    });
  });

  describe('trade busts and corrections (FIX ExecType H and G)', () => {
    const full = filled('E2', '6', '9690', '10', '0', '9686');

    it('trade cancel on a filled order sent whole: the execution is removed, and the order ends with its rest canceled', () => {
      // A filled order no longer works at its venue, which does not work a busted quantity again.
      const state = spec
        .given(accepted, acknowledged, partiallyFilled, full)
        .when({
          type: 'BustTrade',
          data: { orderId, execId: 'E2', reason: 'erroneous trade' },
          metadata: at(9),
        })
        .then(
          {
            type: 'TradeBusted',
            data: {
              orderId,
              execId: 'E2',
              reason: 'erroneous trade',
              bustedAt: iso(9),
              cumQty: '4',
              leavesQty: '6',
              avgPx: '9680',
            },
          },
          {
            type: 'OrderCanceled',
            data: {
              orderId,
              canceledQty: '6',
              reason: 'unfilled: SIM-A busted E2: erroneous trade; the quantity is not worked again',
              canceledAt: iso(9),
            },
          },
        ) as Order;
      expect([state.status, state.cumQty.toString(), state.leavesQty.toString()]).toEqual([
        'CANCELED',
        '4',
        '0',
      ]);
      expect(state.fees.toString()).toBe('0.1');
    });

    it('trade cancel on a working order sent whole: the order keeps working', () => {
      const state = spec
        .given(accepted, acknowledged, partiallyFilled)
        .when({
          type: 'BustTrade',
          data: { orderId, execId: 'E1', reason: 'erroneous trade' },
          metadata: at(9),
        })
        .then({
          type: 'TradeBusted',
          data: {
            orderId,
            execId: 'E1',
            reason: 'erroneous trade',
            bustedAt: iso(9),
            cumQty: '0',
            leavesQty: '10',
            avgPx: null,
          },
        }) as Order;
      expect(state.status).toBe('NEW');
    });

    it('a correction changes quantity and price of a known execution', () => {
      const state = spec
        .given(accepted, acknowledged, partiallyFilled)
        .when({
          type: 'CorrectTrade',
          data: { orderId, execId: 'E1', quantity: '2', price: '9670', reason: 'venue correction' },
          metadata: at(9),
        })
        .then({
          type: 'TradeCorrected',
          data: {
            orderId,
            execId: 'E1',
            quantity: '2',
            price: '9670',
            previousQuantity: '4',
            previousPrice: '9680',
            reason: 'venue correction',
            correctedAt: iso(9),
            cumQty: '2',
            leavesQty: '8',
            avgPx: '9670',
          },
        }) as Order;
      expect(state.executedNotional.toString()).toBe('19340');
    });

    it('a correction that takes executed quantity past the order quantity is an overfill, alerted', () => {
      spec
        .given(accepted, acknowledged, filled('E1', '9', '9680', '9', '1', '9680'))
        .when({
          type: 'CorrectTrade',
          data: { orderId, execId: 'E1', quantity: '12', price: '9680', reason: 'venue correction' },
          metadata: at(9),
        })
        .then(
          {
            type: 'TradeCorrected',
            data: {
              orderId,
              execId: 'E1',
              quantity: '12',
              price: '9680',
              previousQuantity: '9',
              previousPrice: '9680',
              reason: 'venue correction',
              correctedAt: iso(9),
              cumQty: '10',
              leavesQty: '0',
              avgPx: '9680',
            },
          },
          {
            type: 'OrderOverfilled',
            data: { orderId, execId: 'E1', venueId: 'SIM-A', overfillQty: '2', orderQty: '10' },
          },
        );
    });

    it('refuses unknown executions; a repeated bust is a no-op', () => {
      const bust: OrderCommand = {
        type: 'BustTrade',
        data: { orderId, execId: 'E2', reason: 'x' },
        metadata: at(9),
      };
      spec.given(accepted, partiallyFilled).when(bust).thenRejects('UNKNOWN_EXECUTION');
      const busted: OrderEvent = {
        type: 'TradeBusted',
        data: {
          orderId,
          execId: 'E2',
          reason: 'x',
          bustedAt: iso(9),
          cumQty: '4',
          leavesQty: '6',
          avgPx: '9680',
        },
      };
      spec.given(accepted, partiallyFilled, full, busted).when(bust).thenNothing();
      spec
        .given(accepted, partiallyFilled, full, busted)
        .when({
          type: 'CorrectTrade',
          data: { orderId, execId: 'E2', quantity: '1', price: '1', reason: 'x' },
          metadata: at(9),
        })
        .thenRejects('UNKNOWN_EXECUTION');
    });
  });

  it('unknown orders are refused for every lifecycle command', () => {
    spec.given().when(cancel).thenRejects('ORDER_NOT_FOUND');
    spec
      .given()
      .when({ type: 'RequestReplace', data: { orderId, quantity: '1' }, metadata: at() })
      .thenRejects('ORDER_NOT_FOUND');
  });
});
