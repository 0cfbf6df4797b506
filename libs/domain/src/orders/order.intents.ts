/** Client intents: place, cancel, replace (its request), expire. */
import { Decimal } from '../decimal/decimal';
import { Decision, accept } from '../shared/decision';
import { isoTimestamp } from '../shared/time';
import {
  Order,
  OrderEvent,
  OrderState,
  WORKING_CHILD_STATUSES,
  heldByOms,
  totalsAt,
  workingTermsOf,
} from './order';
import { isTrailingType, takesLimitPrice } from './order.triggers';
import {
  ExpireOrder,
  PlaceOrder,
  RequestCancel,
  RequestReplace,
  closedOrFilled,
  refuse,
  requireOrder,
  requireSent,
  sameTerms,
  tryDecimal,
} from './order.commands';

export function placeOrder(command: PlaceOrder, state: OrderState): Decision<OrderEvent> {
  const { terms, rejections, reference, protectionPrice, sessionEnd } = command.data;
  const now = isoTimestamp(command.metadata.now);
  if (state.exists) {
    // The same request again is answered with what happened the first time; a different one is a clash.
    if (sameTerms(state.terms, terms)) return accept();
    return refuse(
      'DUPLICATE_CLIENT_ORDER_ID',
      `Client order id ${terms.clientOrderId} was already used on account ${terms.accountId} for a different order.`,
    );
  }
  if (rejections.length > 0) {
    return accept({ type: 'OrderRejected', data: { ...terms, rejections, rejectedAt: now, ...reference } });
  }
  // A MARKET order's worst price, or a STOP's (what it goes out at when a venue holds it).
  const isProtected = terms.type === 'MARKET' || terms.type === 'STOP';
  const protection = isProtected && protectionPrice ? { protectionPrice } : {};
  const expiry =
    terms.timeInForce === 'GTD'
      ? (terms.expireAt ?? null)
      : terms.timeInForce === 'DAY'
        ? (sessionEnd ?? null)
        : null;
  // One form for every expiry, so that times compare as written.
  const expireAt =
    expiry !== null && Number.isFinite(Date.parse(expiry)) ? isoTimestamp(new Date(expiry)) : null;
  return accept({
    type: 'OrderAccepted',
    data: { ...terms, acceptedAt: now, ...protection, expireAt, ...reference },
  });
}

export function requestCancel(command: RequestCancel, state: OrderState): Decision<OrderEvent> {
  const order = requireOrder(state, command.data.orderId);
  if ('accepted' in order) return order;
  const refusal = closedOrFilled(order, 'cancel');
  if (refusal) return refusal;
  if (order.pendingCancel) return accept(); // already on its way
  const reason = command.data.reason ?? 'requested by client';
  const now = isoTimestamp(command.metadata.now);
  const requested: OrderEvent = {
    type: 'OrderCancelRequested',
    data: { orderId: command.data.orderId, reason, requestedAt: now },
  };
  // Held by the OMS (a triggered order not yet released): nothing is at a venue, so it ends now.
  if (heldByOms(order)) {
    return accept<OrderEvent>(requested, {
      type: 'OrderCanceled',
      data: {
        orderId: command.data.orderId,
        canceledQty: order.leavesQty.toString(),
        reason,
        canceledAt: now,
      },
    });
  }
  return accept(requested);
}

export function requestReplace(command: RequestReplace, state: OrderState): Decision<OrderEvent> {
  const order = requireOrder(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId } = command.data;
  const refusal = closedOrFilled(order, 'replace');
  if (refusal) return refusal;
  if (order.pendingCancel) return refuse('CANCEL_ALREADY_PENDING', `Order ${orderId} is being canceled.`);
  if (order.pendingReplace)
    return refuse('REPLACE_ALREADY_PENDING', `Order ${orderId} already has a replace pending.`);

  const rawQty = command.data.quantity ?? null;
  const rawPrice = command.data.limitPrice ?? null;
  const rawStop = command.data.stopPrice ?? null;
  if (rawQty === null && rawPrice === null && rawStop === null) {
    return refuse(
      'INVALID_REPLACE',
      'A replace needs a new quantity, a new limit price or a new stop price (or several).',
    );
  }
  let stopPrice: Decimal | null = null;
  if (rawStop !== null) {
    const problem = stopReplaceProblem(order);
    if (problem) return refuse('INVALID_REPLACE', problem);
    stopPrice = tryDecimal(rawStop);
    if (!stopPrice || !stopPrice.isPositive())
      return refuse('INVALID_REPLACE', `New stop price ${rawStop} must be a positive decimal.`);
  }
  const stopMoves =
    stopPrice !== null && !(order.trigger?.stopPrice && stopPrice.eq(order.trigger.stopPrice));
  const stopTerms = stopMoves ? { stopPrice: stopPrice!.toString() } : {};
  const quantity = rawQty === null ? order.orderQty : tryDecimal(rawQty);
  if (!quantity || !quantity.isPositive())
    return refuse('INVALID_REPLACE', `New quantity ${rawQty} must be a positive decimal.`);
  // At or below what has filled, the replace ends the order at that (FIX D11/D12): see reductionEnd.
  let limitPrice = order.limitPrice;
  if (rawPrice !== null) {
    const working = workingTermsOf(order).type;
    if (!takesLimitPrice(working))
      return refuse('INVALID_REPLACE', `A ${working} order has no limit price to replace.`);
    limitPrice = tryDecimal(rawPrice);
    if (!limitPrice || !limitPrice.isPositive()) {
      return refuse('INVALID_REPLACE', `New limit price ${rawPrice} must be a positive decimal.`);
    }
  }
  if (
    quantity.eq(order.orderQty) &&
    !stopMoves &&
    (limitPrice === null
      ? order.limitPrice === null
      : order.limitPrice !== null && limitPrice.eq(order.limitPrice))
  ) {
    return refuse('INVALID_REPLACE', 'The replace changes neither quantity nor limit nor stop price.');
  }
  const rejections = command.data.rejections ?? [];
  if (rejections.length > 0) {
    return accept({
      type: 'OrderReplaceRefused',
      data: {
        orderId,
        quantity: quantity.toString(),
        limitPrice: limitPrice ? limitPrice.toString() : null,
        ...stopTerms,
        rejections,
        refusedAt: isoTimestamp(command.metadata.now),
      },
    });
  }
  const now = isoTimestamp(command.metadata.now);
  const requested: OrderEvent = {
    type: 'OrderReplaceRequested',
    data: {
      orderId,
      quantity: quantity.toString(),
      limitPrice: limitPrice ? limitPrice.toString() : null,
      ...stopTerms,
      requestedAt: now,
    },
  };
  // Held by the OMS (a triggered order not yet released): nothing is at a venue, so it is replaced now.
  if (heldByOms(order)) {
    if (quantity.lte(order.cumQty)) {
      return refuse(
        'INVALID_REPLACE',
        `New quantity ${quantity} is not above what has filled (${order.cumQty}).`,
      );
    }
    return accept<OrderEvent>(requested, {
      type: 'OrderReplaced',
      data: {
        orderId,
        quantity: quantity.toString(),
        limitPrice: limitPrice ? limitPrice.toString() : null,
        ...stopTerms,
        ...(stopMoves && command.data.protectionPrice !== undefined && order.terms.type === 'STOP'
          ? { protectionPrice: command.data.protectionPrice }
          : {}),
        replacedAt: now,
        ...totalsAt(order.fills, quantity),
      },
    });
  }
  return accept(requested);
}

/**
 * Why an order's stop price cannot be replaced, or null when it can: only a trigger the OMS holds
 * (a stop or if-touched order not yet triggered) moves; a trailing stop's follows the market, a
 * triggered one's is spent, and one a venue holds is that venue's (cancel and place again).
 */
function stopReplaceProblem(order: Order): string | null {
  const { orderId, type } = order.terms;
  if (!order.trigger || order.terms.stopPrice === undefined) {
    return isTrailingType(type)
      ? `Order ${orderId} is a ${type}: its stop follows the market, it is not set.`
      : `A ${type} order has no stop price to replace.`;
  }
  if (order.trigger.status === 'RELEASED')
    return `Order ${orderId} already triggered (at ${order.trigger.stopPrice}): its stop price is spent.`;
  if (order.trigger.status === 'AT_VENUE') {
    const venues = [...new Set(Object.values(order.children).map((c) => c.venueId))].join(', ');
    return `The stop of order ${orderId} is held by ${venues}: cancel it and place it again to move it.`;
  }
  return null;
}

export function expire(command: ExpireOrder, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  if (order.status === 'EXPIRED') return accept();
  const refusal = closedOrFilled(order, 'expire');
  if (refusal) return refusal;
  const { orderId, reason } = command.data;
  const { timeInForce } = order.terms;
  if (timeInForce !== 'DAY' && timeInForce !== 'GTD') {
    return refuse('ORDER_NOT_EXPIRABLE', `Order ${orderId} is ${timeInForce}: it does not expire.`);
  }
  const now = isoTimestamp(command.metadata.now);
  if (order.expireAt !== null && command.metadata.now.getTime() < Date.parse(order.expireAt)) {
    return refuse('ORDER_NOT_YET_EXPIRED', `Order ${orderId} expires at ${order.expireAt}, not before.`);
  }
  // Still working at a venue: the slices are canceled first, and the order ends EXPIRED with them.
  if (Object.values(order.children).some((c) => WORKING_CHILD_STATUSES.includes(c.status))) {
    if (order.pendingCancel) return accept();
    return accept({
      type: 'OrderCancelRequested',
      data: { orderId, reason: `expired: ${reason}`, requestedAt: now },
    });
  }
  return accept({
    type: 'OrderExpired',
    data: {
      orderId: command.data.orderId,
      expiredQty: order.leavesQty.toString(),
      reason: command.data.reason,
      expiredAt: isoTimestamp(command.metadata.now),
    },
  });
}
