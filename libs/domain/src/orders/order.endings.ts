/** How an order ends, once its slices, its fills or a reduction say it has: the one place it is decided. */
import { Decimal } from '../decimal/decimal';
import { ChildClosure, Order, OrderEvent, WORKING_CHILD_STATUSES, totalsAt, totalsOf } from './order';

/** Executed quantity that went past the order quantity with this change: recorded, and alerted on. */
export function overfillAlert(
  before: Order,
  after: Order,
  execId: string,
  venueId: string,
): OrderEvent | null {
  const more = after.overfilledQty.minus(before.overfilledQty);
  if (!more.isPositive()) return null;
  return {
    type: 'OrderOverfilled',
    data: {
      orderId: after.terms.orderId,
      execId,
      venueId,
      overfillQty: more.toString(),
      orderQty: after.orderQty.toString(),
    },
  };
}

/**
 * A pending replace down to, or below, what has already filled (FIX D11/D12): the order is done at
 * what filled. Its working slices are canceled, not replaced; once none works, the order ends.
 */
export function reducedToDone(order: Order): boolean {
  return order.pendingReplace !== null && order.pendingReplace.quantity.lte(order.cumQty);
}

/** The order ends at what has filled: its quantity becomes that, nothing is left, no execution hidden. */
export function reductionEnd(order: Order, at: string): OrderEvent {
  const requested = (order.pendingReplace as { quantity: Decimal }).quantity;
  const limitPrice = order.pendingReplace?.limitPrice ?? order.limitPrice;
  return {
    type: 'OrderReplaced',
    data: {
      orderId: order.terms.orderId,
      quantity: order.cumQty.toString(),
      limitPrice: limitPrice ? limitPrice.toString() : null,
      replacedAt: at,
      partial: `reduced to ${requested} with ${order.cumQty} already filled: done at ${order.cumQty}, the rest canceled`,
      ...totalsOf({ cumQty: order.cumQty, leavesQty: Decimal.ZERO, avgPx: order.avgPx }),
    },
  };
}

/** The cumulative figures the order shows once its quantity is `quantity` (a replace, a restatement). */

/**
 * The parent follows its slices: once none is working and it is not filled, it ends — canceled if that
 * was asked, rejected if every slice was rejected and nothing traded, expired if the last slice
 * expired, otherwise canceled with its unfilled rest (IOC, market, or a slice that ended early).
 */
export function parentEnd(
  after: Order,
  venueId: string,
  outcome: ChildClosure | 'FILLED',
  reason: string,
  at: string,
): OrderEvent | null {
  // A native stop its venue handed back is no slice of the order's: the OMS holds the order then.
  const children = Object.values(after.children).filter((c) => !c.returned);
  const working = children.some((c) => WORKING_CHILD_STATUSES.includes(c.status));
  if (children.length === 0 || working || after.status === 'FILLED' || after.closure) return null;
  const orderId = after.terms.orderId;
  const leaves = after.leavesQty.toString();
  if (after.pendingCancel && after.expireAt !== null && Date.parse(at) >= Date.parse(after.expireAt)) {
    return { type: 'OrderExpired', data: { orderId, expiredQty: leaves, reason, expiredAt: at } };
  }
  if (after.pendingCancel) {
    return {
      type: 'OrderCanceled',
      data: { orderId, canceledQty: leaves, reason: 'canceled on request', canceledAt: at },
    };
  }
  if (reducedToDone(after)) return reductionEnd(after, at);
  if (after.cumQty.isZero() && children.every((c) => c.status === 'REJECTED')) {
    return {
      type: 'OrderRejectedByVenue',
      data: { orderId, venueId, childId: null, reason, rejectedAt: at },
    };
  }
  if (outcome === 'EXPIRED') {
    return { type: 'OrderExpired', data: { orderId, expiredQty: leaves, reason, expiredAt: at } };
  }
  return {
    type: 'OrderCanceled',
    data: { orderId, canceledQty: leaves, reason: `unfilled: ${reason}`, canceledAt: at },
  };
}

/**
 * The parent's replace ends once every slice asked has answered: replaced if any slice took it (the
 * quantity then being what actually works: slices that refused keep their old size), rejected if
 * none did.
 */
export function replaceEnd(after: Order, at: string): OrderEvent | null {
  const asked = Object.values(after.children).filter((c) => c.replace);
  if (!after.pendingReplace || asked.length === 0 || asked.some((c) => !c.replace?.answer)) return null;
  // Fills overtook a reduction: the slices are being canceled; the order ends when none works.
  if (reducedToDone(after)) return null;
  const orderId = after.terms.orderId;
  const refused = asked.filter((c) => c.replace?.answer && !c.replace.answer.replaced);
  const reasonOf = (c: (typeof asked)[number]) =>
    c.replace?.answer && !c.replace.answer.replaced ? c.replace.answer.reason : '';
  if (refused.length === asked.length) {
    return {
      type: 'OrderReplaceRejected',
      data: {
        orderId,
        reason: refused.map((c) => `${c.childId} at ${c.venueId}: ${reasonOf(c)}`).join('; '),
        rejectedAt: at,
      },
    };
  }
  // Each refusing slice kept its size: the parent works that much less (or more) than asked.
  let quantity = after.pendingReplace.quantity;
  for (const c of refused) {
    quantity = quantity
      .minus(Decimal.parse(c.replace?.quantity ?? c.quantity))
      .plus(Decimal.parse(c.quantity));
  }
  const limitPrice = after.pendingReplace.limitPrice;
  return {
    type: 'OrderReplaced',
    data: {
      orderId,
      quantity: quantity.toString(),
      limitPrice: limitPrice ? limitPrice.toString() : null,
      replacedAt: at,
      partial:
        refused.length === 0
          ? null
          : `kept their old terms: ${refused.map((c) => `${c.childId} at ${c.venueId} (${reasonOf(c)})`).join('; ')}`,
      ...totalsAt(after.fills, quantity),
    },
  };
}

/**
 * A bust or a correction down can leave an order short with nothing left working (the venue does not
 * work a busted quantity again): it ends there, its rest canceled, rather than wait for what will never
 * come. An order still working at some venue ends with its last slice, as always.
 */
export function endAfterExecutionChange(
  before: Order,
  after: Order,
  venueId: string,
  why: string,
  at: string,
): OrderEvent | null {
  const reason = `${venueId} ${why}; the quantity is not worked again`;
  if (Object.keys(after.children).length > 0) return parentEnd(after, venueId, 'FILLED', reason, at);
  // An order sent whole: it had stopped working at its venue if it had filled.
  if (before.status !== 'FILLED' || after.status === 'FILLED' || after.closure) return null;
  const orderId = after.terms.orderId;
  return {
    type: 'OrderCanceled',
    data: { orderId, canceledQty: after.leavesQty.toString(), reason: `unfilled: ${reason}`, canceledAt: at },
  };
}
