/**
 * The order's commands, its refusal codes, and the guards every part of the decider shares.
 */
import { Decimal, DecimalString } from '../decimal/decimal';
import type { RiskReference } from '../accounts/risk-checks';
import { Command, Decision, Rejection, reject } from '../shared/decision';
import {
  ChildClosure,
  Execution,
  Order,
  OrderEvent,
  OrderState,
  OrderTerms,
  RouteSlice,
  SliceReplaceTarget,
} from './order';
import { MarketObservation } from './order.triggers';

/**
 * `rejections` and `reference`: pre-trade risk's verdict and the reference price it judged;
 * `protectionPrice`: a MARKET order's worst allowed price, from the collar around that reference; a
 * STOP's, from the collar around its stop price.
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

/** An execution as a venue reported it (a single-slice order may leave out its slice). */
export type RecordFill = Command<
  'RecordFill',
  { orderId: string } & Omit<Execution, 'childId'> & { childId?: string | null }
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
    /** A held order's new trigger price (moving a stop): it takes effect at once. */
    stopPrice?: DecimalString | null;
    /** A STOP's protection price for its new stop price (the collar edge beyond it). */
    protectionPrice?: DecimalString | null;
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

/**
 * The venue no longer knows a slice it had (it lost its book): the gateway sends it again, for what is
 * left of it, under the same id, and takes the venue's new acknowledgement.
 */
export type ResendSlice = Command<'ResendSlice', { orderId: string; childId: string; reason: string }>;

/** The venue restated a slice's quantity on its own (FIX ExecType D); the order follows. */
export type RestateSlice = Command<
  'RestateSlice',
  { orderId: string; childId: string; quantity: DecimalString; reason: string }
>;

/** The trigger watcher starts watching a triggered order (a trailing stop from the market it saw). */
export type ArmOrder = Command<
  'ArmOrder',
  { orderId: string; stopPrice: DecimalString; watermark: DecimalString | null; market: MarketObservation }
>;

/** A trailing stop followed the market; recorded only when it improves on the one recorded. */
export type MoveTrailingStop = Command<
  'MoveTrailingStop',
  { orderId: string; stopPrice: DecimalString; watermark: DecimalString; market: MarketObservation }
>;

/**
 * The market reached an armed order's trigger (`price`, the price it watches): it is released as a
 * MARKET order (with `protectionPrice`) or a LIMIT order, or canceled when pre-trade risk, run again
 * on the release, refuses it (`rejections`).
 */
export type TriggerOrder = Command<
  'TriggerOrder',
  {
    orderId: string;
    price: DecimalString;
    market: MarketObservation;
    rejections: Rejection[];
    reference?: RiskReference;
    protectionPrice: DecimalString | null;
  }
>;

/** A stop sent natively: its venue says the market reached it (the venue works it as a limit now). */
export type RecordVenueTrigger = Command<
  'RecordVenueTrigger',
  { orderId: string; childId: string; venueId: string }
>;

export type OrderCommand =
  | ArmOrder
  | RecordVenueTrigger
  | MoveTrailingStop
  | TriggerOrder
  | PlaceOrder
  | RestateSlice
  | ResendSlice
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
  'NOT_A_TRIGGERED_ORDER',
  'ORDER_NOT_ARMED',
  'TRIGGER_NOT_REACHED',
] as const;

export type OrderRejectionCode = (typeof ORDER_REJECTION_CODES)[number];

export const refuse = (code: OrderRejectionCode, message: string) => reject<OrderEvent>(code, message);

export function tryDecimal(value: unknown): Decimal | null {
  try {
    return Decimal.parse(value);
  } catch {
    return null;
  }
}

export function sameInstant(a: string | null, b: string | null): boolean {
  return a === null || b === null ? a === b : Date.parse(a) === Date.parse(b);
}

export function sameTerms(a: OrderTerms, b: OrderTerms): boolean {
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
    decimalsEqual(a.stopPrice ?? null, b.stopPrice ?? null) &&
    decimalsEqual(a.trailingOffset ?? null, b.trailingOffset ?? null) &&
    (a.trailingOffsetType ?? null) === (b.trailingOffsetType ?? null) &&
    decimalsEqual(a.limitOffset ?? null, b.limitOffset ?? null) &&
    (a.triggerType ?? null) === (b.triggerType ?? null) &&
    (a.postOnly ?? false) === (b.postOnly ?? false) &&
    decimalsEqual(a.displayQuantity ?? null, b.displayQuantity ?? null) &&
    (a.listId ?? null) === (b.listId ?? null) &&
    decimalsEqual(a.quantity, b.quantity) &&
    decimalsEqual(a.limitPrice, b.limitPrice)
  );
}

export function requireOrder(state: OrderState, orderId: string): Order | Decision<OrderEvent> {
  if (!state.exists) return refuse('ORDER_NOT_FOUND', `Order ${orderId} does not exist.`);
  return state;
}

/** Orders refused by pre-trade risk never reached a venue, so nothing from a venue can apply to them. */
export function requireSent(state: OrderState, orderId: string): Order | Decision<OrderEvent> {
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

export const PAST_TENSE = {
  cancel: 'canceled',
  replace: 'replaced',
  expire: 'expired',
  route: 'routed',
} as const;

export function closedOrFilled(order: Order, action: keyof typeof PAST_TENSE): Decision<OrderEvent> | null {
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
