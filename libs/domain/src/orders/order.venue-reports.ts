/** Venue reports: acknowledgements, fills, rejects, and the venue's answers to cancels and replaces. */
import { Decision, accept } from '../shared/decision';
import { isoTimestamp } from '../shared/time';
import { OrderEvent, OrderState, PARENT_SLICE, fillRecordOf, orderAfter, totalsAt } from './order';
import {
  AcknowledgeOrder,
  ConfirmCancel,
  ConfirmReplace,
  RecordFill,
  RecordVenueReject,
  RejectCancel,
  RejectReplace,
  closedOrFilled,
  refuse,
  requireSent,
  tryDecimal,
} from './order.commands';
import { overfillAlert, parentEnd, reducedToDone, reductionEnd } from './order.endings';

export function acknowledge(command: AcknowledgeOrder, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, venueId, venueOrderId } = command.data;
  const childId = command.data.childId ?? null;
  const known = order.venueOrderIds[childId ?? PARENT_SLICE];
  if (known === venueOrderId) return accept(); // duplicate report
  if (known !== undefined) {
    return refuse('INVALID_TRANSITION', `Order ${orderId} was already acknowledged as venue order ${known}.`);
  }
  return accept({
    type: 'OrderAcknowledged',
    data: { orderId, venueId, childId, venueOrderId, acknowledgedAt: isoTimestamp(command.metadata.now) },
  });
}

/**
 * Every new execution is applied, whatever the status: a fill after a confirmed cancel is a real trade
 * that crossed the cancel on the wire. Duplicates (same exec id) are ignored; the part beyond the order
 * quantity is also reported as an overfill.
 */
export function recordFill(command: RecordFill, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const d = command.data;
  if (order.fills.some((f) => f.execId === d.execId)) return accept();
  const quantity = tryDecimal(d.quantity);
  const price = tryDecimal(d.price);
  const fee = tryDecimal(d.fee);
  if (!quantity || !quantity.isPositive() || !price || !price.isPositive() || !fee) {
    return refuse(
      'INVALID_EXECUTION',
      `Execution ${d.execId} needs a positive quantity and price and a decimal fee (got ${d.quantity} @ ${d.price}, fee ${d.fee}).`,
    );
  }
  const execution = {
    execId: d.execId,
    venueId: d.venueId,
    childId: d.childId ?? null,
    quantity: quantity.toString(),
    price: price.toString(),
    fee: fee.toString(),
    ...(d.feeCurrency ? { feeCurrency: d.feeCurrency } : {}),
    liquidity: d.liquidity,
    executedAt: d.executedAt,
  };
  const filled: OrderEvent = {
    type: 'OrderFilled',
    data: {
      orderId: d.orderId,
      ...execution,
      ...totalsAt([...order.fills, fillRecordOf(execution)], order.orderQty, order.closure),
    },
  };
  const filledState = orderAfter(order, filled);
  const events: OrderEvent[] = [filled];
  const overfill = overfillAlert(order, filledState, d.execId, d.venueId);
  // This slice filled, and the others had already ended short: the order ends with them.
  const end = parentEnd(
    filledState,
    d.venueId,
    'FILLED',
    'the other slices ended unfilled',
    isoTimestamp(command.metadata.now),
  );
  if (end) events.push(end);
  if (overfill) events.push(overfill);
  return accept(...events);
}

export function recordVenueReject(command: RecordVenueReject, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, venueId, reason } = command.data;
  if (order.status === 'REJECTED') return accept();
  if (order.cumQty.isPositive() || order.closure !== null) {
    return refuse(
      'INVALID_TRANSITION',
      `Order ${orderId} is ${order.status}; a venue reject can only end an order that has not traded.`,
    );
  }
  return accept({
    type: 'OrderRejectedByVenue',
    data: {
      orderId,
      venueId,
      childId: command.data.childId ?? null,
      reason,
      rejectedAt: isoTimestamp(command.metadata.now),
    },
  });
}

/** The venue says the order is canceled: solicited (after a request) or unsolicited (venue-initiated). */
export function confirmCancel(command: ConfirmCancel, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  if (order.status === 'CANCELED') return accept();
  const refusal = closedOrFilled(order, 'cancel');
  if (refusal) return refusal;
  return accept({
    type: 'OrderCanceled',
    data: {
      orderId: command.data.orderId,
      canceledQty: order.leavesQty.toString(),
      reason: command.data.reason ?? (order.pendingCancel ? 'canceled on request' : 'canceled by venue'),
      canceledAt: isoTimestamp(command.metadata.now),
    },
  });
}

export function rejectCancel(command: RejectCancel, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  if (!order.pendingCancel) {
    return refuse('CANCEL_NOT_PENDING', `Order ${command.data.orderId} has no cancel request pending.`);
  }
  return accept({
    type: 'OrderCancelRejected',
    data: {
      orderId: command.data.orderId,
      reason: command.data.reason,
      rejectedAt: isoTimestamp(command.metadata.now),
    },
  });
}

export function confirmReplace(command: ConfirmReplace, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  if (!order.pendingReplace) {
    return refuse('REPLACE_NOT_PENDING', `Order ${command.data.orderId} has no replace pending.`);
  }
  const { quantity, limitPrice } = order.pendingReplace;
  if (reducedToDone(order)) return accept(reductionEnd(order, isoTimestamp(command.metadata.now)));
  return accept({
    type: 'OrderReplaced',
    data: {
      orderId: command.data.orderId,
      quantity: quantity.toString(),
      limitPrice: limitPrice ? limitPrice.toString() : null,
      replacedAt: isoTimestamp(command.metadata.now),
      ...totalsAt(order.fills, quantity),
    },
  });
}

export function rejectReplace(command: RejectReplace, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  if (!order.pendingReplace) {
    return refuse('REPLACE_NOT_PENDING', `Order ${command.data.orderId} has no replace pending.`);
  }
  return accept({
    type: 'OrderReplaceRejected',
    data: {
      orderId: command.data.orderId,
      reason: command.data.reason,
      rejectedAt: isoTimestamp(command.metadata.now),
    },
  });
}
