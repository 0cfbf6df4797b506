import { transitionProblem } from './order.transitions';
import { Decimal, DecimalString } from '../decimal/decimal';
import type { RiskReference } from '../accounts/risk-checks';
import { Command, Decider, Decision, Rejection, accept, assertNever, reject } from '../shared/decision';
import { Liquidity } from '../shared/trading';
import { isoTimestamp } from '../shared/time';
import {
  ChildClosure,
  Order,
  OrderEvent,
  RouteSlice,
  SliceReplaceTarget,
  WORKING_CHILD_STATUSES,
  OrderState,
  OrderTerms,
  PARENT_SLICE,
  evolveOrder,
  fillRecordOf,
  fillsAfterBust,
  fillsAfterCorrection,
  initialOrderState,
  liveFill,
  orderAfter,
  totalsAt,
  totalsOf,
} from './order';

/**
 * `rejections` and `reference`: pre-trade risk's verdict and the reference price it judged;
 * `protectionPrice`: a MARKET order's worst allowed price, from the collar around that reference.
 */
export type PlaceOrder = Command<
  'PlaceOrder',
  {
    terms: OrderTerms;
    rejections: Rejection[];
    reference?: RiskReference;
    protectionPrice?: DecimalString | null;
    /** The instrument's next session end (sessionEndAfter): when a DAY order expires. */
    sessionEnd?: string | null;
  }
>;
export type AcknowledgeOrder = Command<
  'AcknowledgeOrder',
  { orderId: string; venueId: string; childId?: string | null; venueOrderId: string }
>;
export type RecordFill = Command<
  'RecordFill',
  {
    orderId: string;
    execId: string;
    venueId: string;
    childId?: string | null;
    quantity: DecimalString;
    price: DecimalString;
    fee: DecimalString;
    feeCurrency?: string | null;
    liquidity: Liquidity;
    executedAt: string;
  }
>;
export type RecordVenueReject = Command<
  'RecordVenueReject',
  { orderId: string; venueId: string; childId?: string | null; reason: string }
>;
export type RequestCancel = Command<'RequestCancel', { orderId: string; reason?: string }>;
export type ConfirmCancel = Command<'ConfirmCancel', { orderId: string; reason?: string }>;
export type RejectCancel = Command<'RejectCancel', { orderId: string; reason: string }>;
/** `rejections`: pre-trade risk's verdict on the new terms (as with PlaceOrder); any makes it a refusal. */
export type RequestReplace = Command<
  'RequestReplace',
  {
    orderId: string;
    quantity?: DecimalString | null;
    limitPrice?: DecimalString | null;
    rejections?: Rejection[];
  }
>;
export type ConfirmReplace = Command<'ConfirmReplace', { orderId: string }>;
export type RejectReplace = Command<'RejectReplace', { orderId: string; reason: string }>;
export type ExpireOrder = Command<'ExpireOrder', { orderId: string; reason: string }>;
export type BustTrade = Command<'BustTrade', { orderId: string; execId: string; reason: string }>;
export type CorrectTrade = Command<
  'CorrectTrade',
  { orderId: string; execId: string; quantity: DecimalString; price: DecimalString; reason: string }
>;

/** The router's decision: the slices to send, and why. Written before anything is sent. */
export type RouteOrder = Command<'RouteOrder', { orderId: string; slices: RouteSlice[]; rationale: string }>;
export type MarkUnconfirmed = Command<
  'MarkUnconfirmed',
  { orderId: string; childId: string; reason: string }
>;
/** A slice ended at its venue with quantity unfilled; the parent follows when no slice is working. */
export type CloseVenueOrder = Command<
  'CloseVenueOrder',
  { orderId: string; childId: string; outcome: ChildClosure; reason: string }
>;

/**
 * The gateway's plan for a pending replace: each working slice's new terms, written before anything
 * is sent. Sent again for a replace already under way, it records nothing new.
 */
export type RouteReplace = Command<
  'RouteReplace',
  { orderId: string; slices: SliceReplaceTarget[]; rationale: string }
>;
/** A venue's answer to one slice's replace; the parent's replace ends once every slice has answered. */
export type RecordSliceReplace = Command<
  'RecordSliceReplace',
  {
    orderId: string;
    childId: string;
    outcome: 'REPLACED' | 'REJECTED';
    /** The venue's terms for a replaced slice; the planned ones when absent. */
    quantity?: DecimalString | null;
    limitPrice?: DecimalString | null;
    reason?: string | null;
  }
>;

/** The venue restated a slice's quantity on its own (FIX ExecType D); the order follows. */
export type RestateSlice = Command<
  'RestateSlice',
  { orderId: string; childId: string; quantity: DecimalString; reason: string }
>;

export type OrderCommand =
  | PlaceOrder
  | RestateSlice
  | RouteOrder
  | RouteReplace
  | RecordSliceReplace
  | MarkUnconfirmed
  | CloseVenueOrder
  | AcknowledgeOrder
  | RecordFill
  | RecordVenueReject
  | RequestCancel
  | ConfirmCancel
  | RejectCancel
  | RequestReplace
  | ConfirmReplace
  | RejectReplace
  | ExpireOrder
  | BustTrade
  | CorrectTrade;

/** An order command as a component states it, before the time it is decided at is stamped on. */
export type OrderIntent = {
  [T in OrderCommand['type']]: Omit<Extract<OrderCommand, { type: T }>, 'metadata'>;
}[OrderCommand['type']];

export const ORDER_REJECTION_CODES = [
  'ORDER_NOT_FOUND',
  'DUPLICATE_CLIENT_ORDER_ID',
  'ORDER_NOT_SENT',
  'ORDER_ALREADY_FILLED',
  'ORDER_CLOSED',
  'CANCEL_NOT_PENDING',
  'REPLACE_NOT_PENDING',
  'REPLACE_ALREADY_PENDING',
  'CANCEL_ALREADY_PENDING',
  'INVALID_REPLACE',
  'INVALID_EXECUTION',
  'UNKNOWN_EXECUTION',
  'INVALID_TRANSITION',
  'ORDER_NOT_EXPIRABLE',
  'ORDER_NOT_YET_EXPIRED',
] as const;
export type OrderRejectionCode = (typeof ORDER_REJECTION_CODES)[number];

const refuse = (code: OrderRejectionCode, message: string) => reject<OrderEvent>(code, message);

function tryDecimal(value: unknown): Decimal | null {
  try {
    return Decimal.parse(value);
  } catch {
    return null;
  }
}

function sameInstant(a: string | null, b: string | null): boolean {
  return a === null || b === null ? a === b : Date.parse(a) === Date.parse(b);
}

function sameTerms(a: OrderTerms, b: OrderTerms): boolean {
  const decimalsEqual = (x: string | null, y: string | null) => {
    if (x === null || y === null) return x === y;
    const dx = tryDecimal(x);
    const dy = tryDecimal(y);
    return dx !== null && dy !== null && dx.eq(dy);
  };
  return (
    a.accountId === b.accountId &&
    a.clientOrderId === b.clientOrderId &&
    a.instrumentId === b.instrumentId &&
    a.side === b.side &&
    a.type === b.type &&
    a.timeInForce === b.timeInForce &&
    a.venueId === b.venueId &&
    sameInstant(a.expireAt ?? null, b.expireAt ?? null) &&
    decimalsEqual(a.quantity, b.quantity) &&
    decimalsEqual(a.limitPrice, b.limitPrice)
  );
}

function requireOrder(state: OrderState, orderId: string): Order | Decision<OrderEvent> {
  if (!state.exists) return refuse('ORDER_NOT_FOUND', `Order ${orderId} does not exist.`);
  return state;
}

/** Orders refused by pre-trade risk never reached a venue, so nothing from a venue can apply to them. */
function requireSent(state: OrderState, orderId: string): Order | Decision<OrderEvent> {
  const order = requireOrder(state, orderId);
  if ('accepted' in order) return order;
  if (order.closure === 'REJECTED' && order.rejections.length > 0) {
    return refuse(
      'ORDER_NOT_SENT',
      `Order ${orderId} was rejected by pre-trade risk and never sent to a venue.`,
    );
  }
  return order;
}

function placeOrder(command: PlaceOrder, state: OrderState): Decision<OrderEvent> {
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
  const protection = terms.type === 'MARKET' && protectionPrice ? { protectionPrice } : {};
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

function acknowledge(command: AcknowledgeOrder, state: OrderState): Decision<OrderEvent> {
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
function recordFill(command: RecordFill, state: OrderState): Decision<OrderEvent> {
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

/** Executed quantity that went past the order quantity with this change: recorded, and alerted on. */
function overfillAlert(before: Order, after: Order, execId: string, venueId: string): OrderEvent | null {
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

function recordVenueReject(command: RecordVenueReject, state: OrderState): Decision<OrderEvent> {
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

const PAST_TENSE = { cancel: 'canceled', replace: 'replaced', expire: 'expired', route: 'routed' } as const;

function closedOrFilled(order: Order, action: keyof typeof PAST_TENSE): Decision<OrderEvent> | null {
  if (order.status === 'FILLED') {
    return refuse(
      'ORDER_ALREADY_FILLED',
      `Order ${order.terms.orderId} is already filled; there is nothing left to ${action}.`,
    );
  }
  if (order.closure !== null) {
    return refuse(
      'ORDER_CLOSED',
      `Order ${order.terms.orderId} is ${order.status} and can no longer be ${PAST_TENSE[action]}.`,
    );
  }
  return null;
}

function requestCancel(command: RequestCancel, state: OrderState): Decision<OrderEvent> {
  const order = requireOrder(state, command.data.orderId);
  if ('accepted' in order) return order;
  const refusal = closedOrFilled(order, 'cancel');
  if (refusal) return refusal;
  if (order.pendingCancel) return accept(); // already on its way
  return accept({
    type: 'OrderCancelRequested',
    data: {
      orderId: command.data.orderId,
      reason: command.data.reason ?? 'requested by client',
      requestedAt: isoTimestamp(command.metadata.now),
    },
  });
}

/** The venue says the order is canceled: solicited (after a request) or unsolicited (venue-initiated). */
function confirmCancel(command: ConfirmCancel, state: OrderState): Decision<OrderEvent> {
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

function rejectCancel(command: RejectCancel, state: OrderState): Decision<OrderEvent> {
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

function requestReplace(command: RequestReplace, state: OrderState): Decision<OrderEvent> {
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
  if (rawQty === null && rawPrice === null) {
    return refuse('INVALID_REPLACE', 'A replace needs a new quantity, a new limit price, or both.');
  }
  const quantity = rawQty === null ? order.orderQty : tryDecimal(rawQty);
  if (!quantity || !quantity.isPositive())
    return refuse('INVALID_REPLACE', `New quantity ${rawQty} must be a positive decimal.`);
  // At or below what has filled, the replace ends the order at that (FIX D11/D12): see reductionEnd.
  let limitPrice = order.limitPrice;
  if (rawPrice !== null) {
    if (order.terms.type === 'MARKET')
      return refuse('INVALID_REPLACE', 'A MARKET order has no limit price to replace.');
    limitPrice = tryDecimal(rawPrice);
    if (!limitPrice || !limitPrice.isPositive()) {
      return refuse('INVALID_REPLACE', `New limit price ${rawPrice} must be a positive decimal.`);
    }
  }
  if (
    quantity.eq(order.orderQty) &&
    (limitPrice === null
      ? order.limitPrice === null
      : order.limitPrice !== null && limitPrice.eq(order.limitPrice))
  ) {
    return refuse('INVALID_REPLACE', 'The replace changes neither quantity nor limit price.');
  }
  const rejections = command.data.rejections ?? [];
  if (rejections.length > 0) {
    return accept({
      type: 'OrderReplaceRefused',
      data: {
        orderId,
        quantity: quantity.toString(),
        limitPrice: limitPrice ? limitPrice.toString() : null,
        rejections,
        refusedAt: isoTimestamp(command.metadata.now),
      },
    });
  }
  return accept({
    type: 'OrderReplaceRequested',
    data: {
      orderId,
      quantity: quantity.toString(),
      limitPrice: limitPrice ? limitPrice.toString() : null,
      requestedAt: isoTimestamp(command.metadata.now),
    },
  });
}

function confirmReplace(command: ConfirmReplace, state: OrderState): Decision<OrderEvent> {
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

/**
 * A pending replace down to, or below, what has already filled (FIX D11/D12): the order is done at
 * what filled. Its working slices are canceled, not replaced; once none works, the order ends.
 */
export function reducedToDone(order: Order): boolean {
  return order.pendingReplace !== null && order.pendingReplace.quantity.lte(order.cumQty);
}

/** The order ends at what has filled: its quantity becomes that, nothing is left, no execution hidden. */
function reductionEnd(order: Order, at: string): OrderEvent {
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

function rejectReplace(command: RejectReplace, state: OrderState): Decision<OrderEvent> {
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

function expire(command: ExpireOrder, state: OrderState): Decision<OrderEvent> {
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

function bustTrade(command: BustTrade, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, execId, reason } = command.data;
  const known = order.fills.find((f) => f.execId === execId);
  if (!known) return refuse('UNKNOWN_EXECUTION', `Order ${orderId} has no execution ${execId} to bust.`);
  if (known.busted) return accept();
  const at = isoTimestamp(command.metadata.now);
  const busted: OrderEvent = {
    type: 'TradeBusted',
    data: {
      orderId,
      execId,
      reason,
      bustedAt: at,
      ...totalsAt(fillsAfterBust(order.fills, execId), order.orderQty, order.closure),
    },
  };
  const after = orderAfter(order, busted);
  const end = endAfterExecutionChange(order, after, known.venueId, `busted ${execId}: ${reason}`, at);
  return accept(busted, ...(end ? [end] : []));
}

/**
 * A bust or a correction down can leave an order short with nothing left working (the venue does not
 * work a busted quantity again): it ends there, its rest canceled, rather than wait for what will never
 * come. An order still working at some venue ends with its last slice, as always.
 */
function endAfterExecutionChange(
  before: Order,
  after: Order,
  venueId: string,
  why: string,
  at: string,
): OrderEvent | null {
  const reason = `${venueId} ${why}; the quantity is not worked again`;
  if (Object.keys(after.children).length > 0) return parentEnd(after, venueId, 'FILLED', reason, at);
  // An order sent whole: it had stopped working at its venue if it had filled.
  if (before.status !== 'FILLED' || after.status === 'FILLED') return null;
  const orderId = after.terms.orderId;
  return {
    type: 'OrderCanceled',
    data: { orderId, canceledQty: after.leavesQty.toString(), reason: `unfilled: ${reason}`, canceledAt: at },
  };
}

function correctTrade(command: CorrectTrade, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, execId, reason } = command.data;
  const fill = liveFill(order.fills, execId);
  if (!fill)
    return refuse('UNKNOWN_EXECUTION', `Order ${orderId} has no live execution ${execId} to correct.`);
  const quantity = tryDecimal(command.data.quantity);
  const price = tryDecimal(command.data.price);
  if (!quantity || !quantity.isPositive() || !price || !price.isPositive()) {
    return refuse(
      'INVALID_EXECUTION',
      `A correction needs a positive quantity and price (got ${command.data.quantity} @ ${command.data.price}).`,
    );
  }
  if (quantity.eq(fill.quantity) && price.eq(fill.price)) return accept();
  const at = isoTimestamp(command.metadata.now);
  const data = {
    orderId,
    execId,
    quantity: quantity.toString(),
    price: price.toString(),
    previousQuantity: fill.quantity.toString(),
    previousPrice: fill.price.toString(),
    reason,
    correctedAt: at,
  };
  const corrected: OrderEvent = {
    type: 'TradeCorrected',
    data: {
      ...data,
      ...totalsAt(fillsAfterCorrection(order.fills, execId, quantity, price), order.orderQty, order.closure),
    },
  };
  const after = orderAfter(order, corrected);
  const events: OrderEvent[] = [corrected];
  const overfill = overfillAlert(order, after, execId, fill.venueId);
  if (overfill) events.push(overfill);
  const end = endAfterExecutionChange(
    order,
    after,
    fill.venueId,
    `corrected ${execId} from ${fill.quantity} to ${quantity}: ${reason}`,
    at,
  );
  if (end) events.push(end);
  return accept(...events);
}

/**
 * A venue's unsolicited restatement of a slice's quantity (FIX ExecType D): the slice works the new
 * quantity and the order's quantity moves by as much. A restatement to what has filled, or below, ends
 * the slice (and, with nothing else working, the order, at what filled).
 */
function restateSlice(command: RestateSlice, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, childId, reason } = command.data;
  const child = order.children[childId];
  if (!child) return refuse('UNKNOWN_EXECUTION', `Order ${orderId} has no slice ${childId}.`);
  const quantity = tryDecimal(command.data.quantity);
  if (!quantity || quantity.isNegative()) {
    return refuse('INVALID_EXECUTION', `A restatement needs a quantity ≥ 0 (got ${command.data.quantity}).`);
  }
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
  return accept<OrderEvent>(restated, {
    type: 'OrderRestated',
    data: {
      orderId,
      quantity: orderQty.toString(),
      reason: `${child.venueId} restated ${childId} from ${child.quantity} to ${sliceQty}: ${reason}`,
      restatedAt: at,
      ...totalsAt(order.fills, orderQty),
    },
  });
}

function routeOrder(command: RouteOrder, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, slices, rationale } = command.data;
  if (Object.keys(order.children).length > 0) {
    const same =
      slices.length === Object.keys(order.children).length &&
      slices.every((s) => order.children[s.childId]?.venueId === s.venueId);
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

function markUnconfirmed(command: MarkUnconfirmed, state: OrderState): Decision<OrderEvent> {
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
function closeVenueOrder(command: CloseVenueOrder, state: OrderState): Decision<OrderEvent> {
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
  const end = parentEnd(orderAfter(order, closed), child.venueId, outcome, reason, at);
  return accept<OrderEvent>(closed, ...(end ? [end] : []));
}

/**
 * The parent follows its slices: once none is working and it is not filled, it ends — canceled if that
 * was asked, rejected if every slice was rejected and nothing traded, expired if the last slice
 * expired, otherwise canceled with its unfilled rest (IOC, market, or a slice that ended early).
 */
function parentEnd(
  after: Order,
  venueId: string,
  outcome: ChildClosure | 'FILLED',
  reason: string,
  at: string,
): OrderEvent | null {
  const children = Object.values(after.children);
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

function routeReplace(command: RouteReplace, state: OrderState): Decision<OrderEvent> {
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

function recordSliceReplace(command: RecordSliceReplace, state: OrderState): Decision<OrderEvent> {
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

/**
 * The parent's replace ends once every slice asked has answered: replaced if any slice took it (the
 * quantity then being what actually works: slices that refused keep their old size), rejected if
 * none did.
 */
function replaceEnd(after: Order, at: string): OrderEvent | null {
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
 * Decides a command, then holds the decision to the state machine (ORDER_TRANSITIONS): every event it
 * would record must be a transition the table allows from the status it meets, or nothing is recorded.
 */
export function decideOrder(command: OrderCommand, state: OrderState): Decision<OrderEvent> {
  const decision = decideCommand(command, state);
  if (!decision.accepted) return decision;
  let current = state;
  for (const event of decision.events) {
    const next = evolveOrder(current, event);
    const problem = transitionProblem(
      current.exists ? current.status : null,
      event.type,
      next.exists ? next.status : null,
    );
    if (problem) return refuse('INVALID_TRANSITION', problem);
    current = next;
  }
  return decision;
}

function decideCommand(command: OrderCommand, state: OrderState): Decision<OrderEvent> {
  switch (command.type) {
    case 'PlaceOrder':
      return placeOrder(command, state);
    case 'RouteOrder':
      return routeOrder(command, state);
    case 'RouteReplace':
      return routeReplace(command, state);
    case 'RecordSliceReplace':
      return recordSliceReplace(command, state);
    case 'MarkUnconfirmed':
      return markUnconfirmed(command, state);
    case 'CloseVenueOrder':
      return closeVenueOrder(command, state);
    case 'AcknowledgeOrder':
      return acknowledge(command, state);
    case 'RecordFill':
      return recordFill(command, state);
    case 'RecordVenueReject':
      return recordVenueReject(command, state);
    case 'RequestCancel':
      return requestCancel(command, state);
    case 'ConfirmCancel':
      return confirmCancel(command, state);
    case 'RejectCancel':
      return rejectCancel(command, state);
    case 'RequestReplace':
      return requestReplace(command, state);
    case 'ConfirmReplace':
      return confirmReplace(command, state);
    case 'RejectReplace':
      return rejectReplace(command, state);
    case 'ExpireOrder':
      return expire(command, state);
    case 'BustTrade':
      return bustTrade(command, state);
    case 'CorrectTrade':
      return correctTrade(command, state);
    case 'RestateSlice':
      return restateSlice(command, state);
    default:
      return assertNever(command);
  }
}

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  decide: decideOrder,
  evolve: evolveOrder,
  initialState: initialOrderState,
};
