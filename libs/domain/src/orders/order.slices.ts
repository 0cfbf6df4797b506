/** Venue slices: routing, unconfirmed and closed slices, per-slice replaces, venue restatements. */
import { Decimal } from '../decimal/decimal';
import { Decision, accept } from '../shared/decision';
import { isoTimestamp } from '../shared/time';
import {
  Order,
  OrderEvent,
  OrderState,
  RouteSlice,
  WORKING_CHILD_STATUSES,
  heldByOms,
  orderAfter,
  totalsAt,
} from './order';
import { nativeStopCandidate } from './order.triggers';
import {
  CloseVenueOrder,
  MarkUnconfirmed,
  RecordSliceReplace,
  ResendSlice,
  RestateSlice,
  RouteOrder,
  RouteReplace,
  closedOrFilled,
  refuse,
  requireSent,
  tryDecimal,
} from './order.commands';
import { parentEnd, replaceEnd } from './order.endings';

/**
 * A venue's unsolicited restatement of a slice's quantity (FIX ExecType D): the slice works the new
 * quantity and the order's quantity moves by as much. A restatement to what has filled, or below, ends
 * the slice (and, with nothing else working, the order, at what filled).
 */
export function restateSlice(command: RestateSlice, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, childId, reason } = command.data;
  const child = order.children[childId];
  if (!child) return refuse('UNKNOWN_EXECUTION', `Order ${orderId} has no slice ${childId}.`);
  const restatedAtVenue = tryDecimal(command.data.quantity);
  if (!restatedAtVenue || restatedAtVenue.isNegative()) {
    return refuse('INVALID_EXECUTION', `A restatement needs a quantity ≥ 0 (got ${command.data.quantity}).`);
  }
  // The venue restates its own order; a slice sent again after a lost book had fills before it.
  const quantity = restatedAtVenue.plus(Decimal.parse(child.filledBefore ?? '0'));
  if (quantity.eq(Decimal.parse(child.quantity)) || !WORKING_CHILD_STATUSES.includes(child.status))
    return accept();
  const at = isoTimestamp(command.metadata.now);
  const sliceQty = Decimal.max(quantity, Decimal.parse(child.cumQty));
  const restated: OrderEvent = {
    type: 'VenueOrderRestated',
    data: {
      orderId,
      childId,
      venueId: child.venueId,
      quantity: sliceQty.toString(),
      previousQuantity: child.quantity,
      reason,
      restatedAt: at,
    },
  };
  const orderQty = Decimal.max(
    order.orderQty.plus(sliceQty).minus(Decimal.parse(child.quantity)),
    order.cumQty,
  );
  const restatedOrder: OrderEvent = {
    type: 'OrderRestated',
    data: {
      orderId,
      quantity: orderQty.toString(),
      reason: `${child.venueId} restated ${childId} from ${child.quantity} to ${sliceQty}: ${reason}`,
      restatedAt: at,
      ...totalsAt(order.fills, orderQty),
    },
  };
  // The slice is done at what it filled; with nothing else working, so is the order.
  const after = orderAfter(orderAfter(order, restated), restatedOrder);
  const end = parentEnd(
    after,
    child.venueId,
    'FILLED',
    `${child.venueId} restated ${childId} to ${sliceQty}`,
    at,
  );
  return accept<OrderEvent>(restated, restatedOrder, ...(end ? [end] : []));
}

export function routeOrder(command: RouteOrder, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, slices, rationale } = command.data;
  // A native stop handed back is no part of the order's routing: it is routed afresh once released.
  const routed = Object.values(order.children).filter((c) => !c.returned);
  if (routed.length > 0) {
    const same =
      slices.length === routed.length &&
      slices.every(
        (s) => order.children[s.childId]?.venueId === s.venueId && !order.children[s.childId].returned,
      );
    if (same) return accept(); // the same decision again (a redelivered OrderAccepted)
    return refuse('INVALID_TRANSITION', `Order ${orderId} was already routed.`);
  }
  const refusal = closedOrFilled(order, 'route');
  if (refusal) return refusal;
  if (order.pendingCancel) {
    return refuse('CANCEL_ALREADY_PENDING', `Order ${orderId} is being canceled; it is not sent anywhere.`);
  }
  if (slices.length === 0)
    return refuse('INVALID_TRANSITION', `Routing order ${orderId} needs at least one slice.`);
  const reused = slices.find((s) => order.children[s.childId]);
  if (reused) {
    return refuse('INVALID_TRANSITION', `Slice id ${reused.childId} of order ${orderId} was used before.`);
  }
  const nativeProblem = nativeRouteProblem(order, slices);
  if (nativeProblem) return refuse('INVALID_TRANSITION', nativeProblem);
  let total = Decimal.ZERO;
  for (const slice of slices) {
    const quantity = tryDecimal(slice.quantity);
    if (!quantity || !quantity.isPositive()) {
      return refuse(
        'INVALID_TRANSITION',
        `Slice ${slice.childId} needs a positive quantity (got ${slice.quantity}).`,
      );
    }
    total = total.plus(quantity);
  }
  if (!total.eq(order.leavesQty)) {
    return refuse(
      'INVALID_TRANSITION',
      `Slices of order ${orderId} add up to ${total}, not the ${order.leavesQty} open.`,
    );
  }
  const at = isoTimestamp(command.metadata.now);
  return accept<OrderEvent>(
    {
      type: 'OrderRouted',
      data: { orderId, slices: slices.map((s) => ({ ...s })), rationale, routedAt: at },
    },
    ...slices.map((s) => ({
      type: 'VenueOrderSubmitted' as const,
      data: { ...s, orderId, submittedAt: at },
    })),
  );
}

/**
 * An order the OMS holds until its trigger goes to a venue only as a native stop, every slice carrying
 * its stop price (sent plain, it would trade before the market reached it); any other order never
 * carries one.
 */
function nativeRouteProblem(order: Order, slices: RouteSlice[]): string | null {
  const orderId = order.terms.orderId;
  if (!heldByOms(order)) {
    return slices.some((s) => s.stopPrice !== undefined)
      ? `Order ${orderId} is not held for a trigger: its slices carry no stop price.`
      : null;
  }
  const trigger = order.trigger!;
  if (Object.keys(order.children).length > 0) {
    return `Order ${orderId} went to a venue as a stop once; the OMS holds it until it releases it.`;
  }
  if (!nativeStopCandidate(order.terms) || trigger.status !== 'ACCEPTED' || trigger.stopPrice === null) {
    return `Order ${orderId} is held by the OMS until its trigger (${trigger.status}); it is not sent to a venue before it is released.`;
  }
  const stop = trigger.stopPrice;
  const wrong = slices.find((s) => s.stopPrice === undefined || !tryDecimal(s.stopPrice)?.eq(stop));
  return wrong
    ? `Slice ${wrong.childId} of stop order ${orderId} must carry its stop price ${stop} (got ${wrong.stopPrice ?? 'none'}).`
    : null;
}

/**
 * A working slice its venue no longer knows is sent again for what is left of it (never its whole
 * quantity again: what filled stays filled), under the same id; its old venue order id is forgotten,
 * so the venue's new acknowledgement is taken. A slice no longer working is not sent again.
 */
export function resendSlice(command: ResendSlice, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, childId, reason } = command.data;
  const child = order.children[childId];
  if (!child) return refuse('UNKNOWN_EXECUTION', `Order ${orderId} has no slice ${childId}.`);
  const left = Decimal.parse(child.quantity).minus(Decimal.parse(child.cumQty));
  if (!WORKING_CHILD_STATUSES.includes(child.status) || !left.isPositive()) {
    return refuse(
      'INVALID_TRANSITION',
      `Slice ${childId} of order ${orderId} is not working; it is not sent again.`,
    );
  }
  return accept({
    type: 'VenueOrderResent',
    data: {
      orderId,
      childId,
      venueId: child.venueId,
      quantity: left.toString(),
      reason,
      at: isoTimestamp(command.metadata.now),
    },
  });
}

export function markUnconfirmed(command: MarkUnconfirmed, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, childId, reason } = command.data;
  const child = order.children[childId];
  if (!child) return refuse('UNKNOWN_EXECUTION', `Order ${orderId} has no slice ${childId}.`);
  if (child.status !== 'SUBMITTED') return accept(); // already heard of, or already flagged
  return accept({
    type: 'VenueOrderUnconfirmed',
    data: { orderId, childId, venueId: child.venueId, reason, at: isoTimestamp(command.metadata.now) },
  });
}

/**
 * A slice ended with quantity unfilled. When no slice is working any more and the order is not filled,
 * the order ends too: canceled if that was asked, rejected if every slice was rejected and nothing
 * traded, expired if the venue expired it, otherwise canceled with the unfilled rest (IOC, market).
 */
export function closeVenueOrder(command: CloseVenueOrder, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, childId, outcome, reason } = command.data;
  const child = order.children[childId];
  if (!child) return refuse('UNKNOWN_EXECUTION', `Order ${orderId} has no slice ${childId}.`);
  if (!WORKING_CHILD_STATUSES.includes(child.status)) return accept(); // already closed or filled
  const at = isoTimestamp(command.metadata.now);
  const closed: OrderEvent = {
    type: 'VenueOrderClosed',
    data: {
      orderId,
      childId,
      venueId: child.venueId,
      outcome,
      unfilledQty: Decimal.max(
        Decimal.parse(child.quantity).minus(Decimal.parse(child.cumQty)),
        Decimal.ZERO,
      ).toString(),
      reason,
      closedAt: at,
    },
  };
  // A native stop its venue would not hold, before anything happened to it: the OMS holds it again.
  if (
    outcome === 'REJECTED' &&
    child.stopPrice !== undefined &&
    order.trigger?.status === 'AT_VENUE' &&
    order.trigger.triggeredAt === null &&
    order.cumQty.isZero() &&
    !order.pendingCancel
  ) {
    const returned: OrderEvent = {
      type: 'NativeStopReturned',
      data: { orderId, childId, venueId: child.venueId, reason, returnedAt: at },
    };
    // A replace under way is settled at once, as for any order the OMS holds.
    const replace = order.pendingReplace;
    const replaced: OrderEvent[] = replace
      ? [
          {
            type: 'OrderReplaced',
            data: {
              orderId,
              quantity: replace.quantity.toString(),
              limitPrice: replace.limitPrice === null ? null : replace.limitPrice.toString(),
              replacedAt: at,
              ...totalsAt(order.fills, replace.quantity),
            },
          },
        ]
      : [];
    return accept<OrderEvent>(closed, returned, ...replaced);
  }
  const end = parentEnd(orderAfter(order, closed), child.venueId, outcome, reason, at);
  return accept<OrderEvent>(closed, ...(end ? [end] : []));
}

export function routeReplace(command: RouteReplace, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, slices, rationale } = command.data;
  if (!order.pendingReplace) return refuse('REPLACE_NOT_PENDING', `Order ${orderId} has no replace pending.`);
  if (Object.values(order.children).some((c) => c.replace)) return accept(); // under way already
  if (slices.length === 0)
    return refuse('INVALID_TRANSITION', `Replacing order ${orderId} at its venues needs at least one slice.`);
  const at = isoTimestamp(command.metadata.now);
  const events: OrderEvent[] = [];
  for (const slice of slices) {
    const child = order.children[slice.childId];
    if (!child || !WORKING_CHILD_STATUSES.includes(child.status)) {
      return refuse('INVALID_TRANSITION', `Slice ${slice.childId} of order ${orderId} is not working.`);
    }
    const quantity = tryDecimal(slice.quantity);
    if (!quantity || !quantity.gt(Decimal.parse(child.cumQty))) {
      return refuse(
        'INVALID_TRANSITION',
        `Slice ${slice.childId} needs a quantity above its ${child.cumQty} filled (got ${slice.quantity}).`,
      );
    }
    events.push({
      type: 'VenueReplaceSubmitted',
      data: { ...slice, orderId, venueId: child.venueId, rationale, submittedAt: at },
    });
  }
  return accept(...events);
}

export function recordSliceReplace(command: RecordSliceReplace, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, childId, outcome } = command.data;
  const child = order.children[childId];
  if (!child) return refuse('UNKNOWN_EXECUTION', `Order ${orderId} has no slice ${childId}.`);
  if (!child.replace || child.replace.answer) return accept(); // not asked, or answered already
  const at = isoTimestamp(command.metadata.now);
  const answer: OrderEvent =
    outcome === 'REPLACED'
      ? {
          type: 'VenueOrderReplaced',
          data: {
            orderId,
            childId,
            venueId: child.venueId,
            quantity: command.data.quantity ?? child.replace.quantity,
            limitPrice:
              command.data.limitPrice === undefined ? child.replace.limitPrice : command.data.limitPrice,
            replacedAt: at,
          },
        }
      : {
          type: 'VenueReplaceRejected',
          data: {
            orderId,
            childId,
            venueId: child.venueId,
            reason: command.data.reason ?? 'refused by the venue',
            rejectedAt: at,
          },
        };
  const end = replaceEnd(orderAfter(order, answer), at);
  return accept<OrderEvent>(answer, ...(end ? [end] : []));
}
