import { Decimal, DecimalString, dec } from '../decimal/decimal';
import type { RiskReference } from '../accounts/risk-checks';
import { DomainEvent, Rejection, assertNever } from '../shared/decision';
import {
  Liquidity,
  OffsetType,
  OrderType,
  Side,
  TimeInForce,
  TriggerType,
  VenueOrderType,
} from '../shared/trading';
import { MarketObservation, isTriggeredType, venueOrderTypeOf } from './order.triggers';

/** FIX OrdStatus-aligned lifecycle. */
export const ORDER_STATUSES = [
  'PENDING_NEW',
  'NEW',
  'PARTIALLY_FILLED',
  'FILLED',
  'PENDING_CANCEL',
  'CANCELED',
  'PENDING_REPLACE',
  'REJECTED',
  'EXPIRED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What the strategy asked for. Decimal fields travel as canonical strings. */
export interface OrderTerms {
  orderId: string;
  accountId: string;
  clientOrderId: string;
  instrumentId: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  quantity: DecimalString;
  limitPrice: DecimalString | null;
  /** Direct routing to one venue; null lets the smart order router choose. */
  venueId: string | null;
  /** GTD only: when the order expires (ISO-8601 UTC). Absent on orders placed before GTD existed. */
  expireAt?: string | null;
  /** STOP, STOP_LIMIT and the if-touched types: the trigger price (FIX StopPx). Absent otherwise. */
  stopPrice?: DecimalString;
  /** Trailing types: how far behind the market the stop follows, in price or basis points. */
  trailingOffset?: DecimalString;
  trailingOffsetType?: OffsetType;
  /** TRAILING_STOP_LIMIT: how far beyond the stop its limit is set when it triggers (price; 0 if absent). */
  limitOffset?: DecimalString;
  /** Triggered types: the price watched (LAST when absent). */
  triggerType?: TriggerType;
  /** LIMIT: rest only, never take liquidity (the venue rejects what would cross). */
  postOnly?: boolean;
  /** LIMIT: iceberg, show this much at a time. */
  displayQuantity?: DecimalString;
  /** A leg of a contingent order list (`orderlist-<listId>`): absent for a standalone order. */
  listId?: string;
}

export interface Execution {
  execId: string;
  venueId: string;
  /** The venue slice (child order) this execution belongs to; null for a single-slice order. */
  childId: string | null;
  quantity: DecimalString;
  price: DecimalString;
  fee: DecimalString;
  /** The fee's currency as the venue reported it; absent or null: the instrument's quote currency. */
  feeCurrency?: string | null;
  liquidity: Liquidity;
  executedAt: string;
}

/** Cumulative figures after an event, as a FIX execution report would carry them. */
export interface OrderTotals {
  cumQty: DecimalString;
  leavesQty: DecimalString;
  avgPx: DecimalString | null;
}

/**
 * Both carry the reference price pre-trade risk judged (absent on events written before it was kept).
 * A MARKET order also carries its price protection: the worst price it may trade at (a STOP too: the
 * collar edge beyond its stop, which it goes out at when a venue holds it).
 */
export type OrderAccepted = DomainEvent<
  'OrderAccepted',
  OrderTerms & {
    acceptedAt: string;
    protectionPrice?: DecimalString | null;
    /**
     * When the order expires: a DAY order at its instrument's session end, a GTD order at its
     * expireAt; null for the others. Absent on orders accepted before expiry was kept.
     */
    expireAt?: string | null;
  } & Partial<RiskReference>
>;
export type OrderRejected = DomainEvent<
  'OrderRejected',
  OrderTerms & { rejections: Rejection[]; rejectedAt: string } & Partial<RiskReference>
>;
export type OrderAcknowledged = DomainEvent<
  'OrderAcknowledged',
  { orderId: string; venueId: string; childId: string | null; venueOrderId: string; acknowledgedAt: string }
>;
export type OrderFilled = DomainEvent<'OrderFilled', { orderId: string } & Execution & OrderTotals>;
/** The part of an execution beyond the order quantity: booked (it is a real trade) and alerted on. */
export type OrderOverfilled = DomainEvent<
  'OrderOverfilled',
  { orderId: string; execId: string; venueId: string; overfillQty: DecimalString; orderQty: DecimalString }
>;
export type OrderRejectedByVenue = DomainEvent<
  'OrderRejectedByVenue',
  { orderId: string; venueId: string; childId: string | null; reason: string; rejectedAt: string }
>;
export type OrderCancelRequested = DomainEvent<
  'OrderCancelRequested',
  { orderId: string; reason: string; requestedAt: string }
>;
export type OrderCanceled = DomainEvent<
  'OrderCanceled',
  { orderId: string; canceledQty: DecimalString; reason: string; canceledAt: string }
>;
export type OrderCancelRejected = DomainEvent<
  'OrderCancelRejected',
  { orderId: string; reason: string; rejectedAt: string }
>;
/** `stopPrice`: set when the replace moves a held order's trigger (absent otherwise). */
export type OrderReplaceRequested = DomainEvent<
  'OrderReplaceRequested',
  {
    orderId: string;
    quantity: DecimalString;
    limitPrice: DecimalString | null;
    stopPrice?: DecimalString;
    requestedAt: string;
  }
>;
export type OrderReplaced = DomainEvent<
  'OrderReplaced',
  {
    orderId: string;
    quantity: DecimalString;
    limitPrice: DecimalString | null;
    /** A held order's new trigger price, and a STOP's new protection price with it (absent: unchanged). */
    stopPrice?: DecimalString;
    protectionPrice?: DecimalString | null;
    replacedAt: string;
    /**
     * Set when some slices refused the replace: they keep their old terms, the quantity above is what
     * is actually working, and this says which slices and why.
     */
    partial?: string | null;
  } & OrderTotals
>;
/** Pre-trade risk refused the replace: the order keeps its terms; recorded so the refusal is audited. */
export type OrderReplaceRefused = DomainEvent<
  'OrderReplaceRefused',
  {
    orderId: string;
    quantity: DecimalString;
    limitPrice: DecimalString | null;
    stopPrice?: DecimalString;
    rejections: Rejection[];
    refusedAt: string;
  }
>;
export type OrderReplaceRejected = DomainEvent<
  'OrderReplaceRejected',
  { orderId: string; reason: string; rejectedAt: string }
>;
export type OrderExpired = DomainEvent<
  'OrderExpired',
  { orderId: string; expiredQty: DecimalString; reason: string; expiredAt: string }
>;
/** FIX ExecType H (trade cancel): the execution did not happen. */
export type TradeBusted = DomainEvent<
  'TradeBusted',
  { orderId: string; execId: string; reason: string; bustedAt: string } & OrderTotals
>;
/** FIX ExecType G (trade correct): the execution happened at another quantity or price. */
export type TradeCorrected = DomainEvent<
  'TradeCorrected',
  {
    orderId: string;
    execId: string;
    quantity: DecimalString;
    price: DecimalString;
    previousQuantity: DecimalString;
    previousPrice: DecimalString;
    reason: string;
    correctedAt: string;
  } & OrderTotals
>;

/** One venue slice the router chose: the child order id is deterministic (`<orderId>.<n>`). */
export interface RouteSlice {
  childId: string;
  venueId: string;
  quantity: DecimalString;
  limitPrice: DecimalString | null;
  /**
   * A stop sent natively: the venue holds the slice until its trades reach this price, then works it
   * as a limit at `limitPrice`. Absent for any other slice.
   */
  stopPrice?: DecimalString;
}

/** The smart order router's decision and why (auditors read this). */
export type OrderRouted = DomainEvent<
  'OrderRouted',
  { orderId: string; slices: RouteSlice[]; rationale: string; routedAt: string }
>;
/** Written before the slice is sent (write-ahead): after a crash the gateway knows what may be out. */
export type VenueOrderSubmitted = DomainEvent<
  'VenueOrderSubmitted',
  RouteSlice & { orderId: string; submittedAt: string }
>;
/**
 * The venue no longer knew a working slice: it was sent again under the same id for what was left of it
 * (`quantity`); the venue's next acknowledgement names its new venue order.
 */
export type VenueOrderResent = DomainEvent<
  'VenueOrderResent',
  { orderId: string; childId: string; venueId: string; quantity: string; reason: string; at: string }
>;
/** No acknowledgement in time: the slice's fate is asked of the venue, never guessed. */
export type VenueOrderUnconfirmed = DomainEvent<
  'VenueOrderUnconfirmed',
  { orderId: string; childId: string; venueId: string; reason: string; at: string }
>;
/** A slice stopped working without filling completely (canceled, rejected or expired at the venue). */
export type VenueOrderClosed = DomainEvent<
  'VenueOrderClosed',
  {
    orderId: string;
    childId: string;
    venueId: string;
    outcome: ChildClosure;
    unfilledQty: DecimalString;
    reason: string;
    closedAt: string;
  }
>;

/** What a replace asks of one working slice: its new total quantity and limit price. */
export interface SliceReplaceTarget {
  childId: string;
  quantity: DecimalString;
  limitPrice: DecimalString | null;
}
/** Written before the slice's replace is sent (write-ahead), with why the parent's change was split so. */
export type VenueReplaceSubmitted = DomainEvent<
  'VenueReplaceSubmitted',
  SliceReplaceTarget & { orderId: string; venueId: string; rationale: string; submittedAt: string }
>;
/** The venue replaced the slice: it now works at these terms. */
export type VenueOrderReplaced = DomainEvent<
  'VenueOrderReplaced',
  SliceReplaceTarget & { orderId: string; venueId: string; replacedAt: string }
>;
/** The venue refused to replace the slice (or the request could not be sent): it keeps its terms. */
export type VenueReplaceRejected = DomainEvent<
  'VenueReplaceRejected',
  { orderId: string; childId: string; venueId: string; reason: string; rejectedAt: string }
>;

/** The venue changed a slice's quantity on its own (FIX ExecType D, restated). */
export type VenueOrderRestated = DomainEvent<
  'VenueOrderRestated',
  {
    orderId: string;
    childId: string;
    venueId: string;
    quantity: DecimalString;
    previousQuantity: DecimalString;
    reason: string;
    restatedAt: string;
  }
>;
/** The order's quantity follows its slices' restatement. */
export type OrderRestated = DomainEvent<
  'OrderRestated',
  { orderId: string; quantity: DecimalString; reason: string; restatedAt: string } & OrderTotals
>;

/**
 * A triggered order is watched from now on, its trigger price as it stands (a trailing stop's, from the
 * market when it was armed), with the market the watcher saw.
 */
export type OrderArmed = DomainEvent<
  'OrderArmed',
  {
    orderId: string;
    triggerType: TriggerType;
    stopPrice: DecimalString;
    /** Trailing types: the best price seen, which the stop follows; null otherwise. */
    watermark: DecimalString | null;
    market: MarketObservation;
    armedAt: string;
  }
>;
/** A trailing stop followed the market (recorded at most every so often; the watcher trails in between). */
export type TrailingStopMoved = DomainEvent<
  'TrailingStopMoved',
  {
    orderId: string;
    stopPrice: DecimalString;
    watermark: DecimalString;
    market: MarketObservation;
    movedAt: string;
  }
>;
/** A stop sent natively: its venue reported that the market reached it (FIX ExecType L). */
export type VenueOrderTriggered = DomainEvent<
  'VenueOrderTriggered',
  { orderId: string; childId: string; venueId: string; triggeredAt: string }
>;
/**
 * A stop sent natively that its venue refused (or that could not be sent), before it triggered or
 * filled: the OMS holds it again, watches it, and routes it afresh once it releases it.
 */
export type NativeStopReturned = DomainEvent<
  'NativeStopReturned',
  { orderId: string; childId: string; venueId: string; reason: string; returnedAt: string }
>;
/** The market reached the trigger: `price` is what the order watched, `market` all the watcher saw. */
export type OrderTriggered = DomainEvent<
  'OrderTriggered',
  {
    orderId: string;
    stopPrice: DecimalString;
    price: DecimalString;
    market: MarketObservation;
    triggeredAt: string;
  }
>;
/**
 * Pre-trade risk passed again and the order goes to the venues as a MARKET (with its protection price)
 * or LIMIT order.
 */
export type OrderReleased = DomainEvent<
  'OrderReleased',
  {
    orderId: string;
    type: VenueOrderType;
    limitPrice: DecimalString | null;
    protectionPrice: DecimalString | null;
    releasedAt: string;
  } & Partial<RiskReference>
>;
/** Pre-trade risk refused the triggered order's release: it is canceled, the reasons kept. */
export type OrderReleaseRefused = DomainEvent<
  'OrderReleaseRefused',
  { orderId: string; rejections: Rejection[]; refusedAt: string } & Partial<RiskReference>
>;

export type OrderEvent =
  | OrderAccepted
  | OrderArmed
  | TrailingStopMoved
  | OrderTriggered
  | OrderReleased
  | OrderReleaseRefused
  | VenueOrderTriggered
  | NativeStopReturned
  | VenueOrderRestated
  | OrderRestated
  | OrderRouted
  | VenueOrderSubmitted
  | VenueOrderUnconfirmed
  | VenueOrderResent
  | VenueOrderClosed
  | VenueReplaceSubmitted
  | VenueOrderReplaced
  | VenueReplaceRejected
  | OrderRejected
  | OrderAcknowledged
  | OrderFilled
  | OrderOverfilled
  | OrderRejectedByVenue
  | OrderCancelRequested
  | OrderCanceled
  | OrderCancelRejected
  | OrderReplaceRequested
  | OrderReplaced
  | OrderReplaceRefused
  | OrderReplaceRejected
  | OrderExpired
  | TradeBusted
  | TradeCorrected;

export type OrderEventType = OrderEvent['type'];

export interface FillRecord {
  execId: string;
  venueId: string;
  childId: string | null;
  quantity: Decimal;
  price: Decimal;
  fee: Decimal;
  feeCurrency: string | null;
  liquidity: Liquidity;
  executedAt: string;
  busted: boolean;
}

export type ChildClosure = 'CANCELED' | 'REJECTED' | 'EXPIRED';
export type ChildStatus = 'SUBMITTED' | 'UNCONFIRMED' | 'ACKNOWLEDGED' | 'FILLED' | ChildClosure;
export const WORKING_CHILD_STATUSES: readonly ChildStatus[] = ['SUBMITTED', 'UNCONFIRMED', 'ACKNOWLEDGED'];

/** A replace sent to one slice and, once the venue answered, how: null while waiting. */
export interface SliceReplace {
  quantity: DecimalString;
  limitPrice: DecimalString | null;
  answer: null | { replaced: true } | { replaced: false; reason: string };
}

/** A venue slice of the order (decimals as strings: this is bookkeeping, the totals are the parent's). */
export interface ChildSlice {
  childId: string;
  venueId: string;
  venueOrderId: string | null;
  quantity: DecimalString;
  limitPrice: DecimalString | null;
  cumQty: DecimalString;
  status: ChildStatus;
  /** The slice's part in the parent's pending replace (absent when none is under way). */
  replace?: SliceReplace | null;
  /** A stop sent natively: the price its venue triggers it at (absent for any other slice). */
  stopPrice?: DecimalString;
  /** A native stop its venue refused, handed back to the OMS: not part of the order's routing since. */
  returned?: true;
  /**
   * What filled at earlier venue orders of this slice, when it was sent again after its venue lost it
   * (absent: none): the venue order working now covers `quantity` less this, and every quantity said
   * to or heard from the venue about it (a replace, a restatement, its filled quantity) is net of it.
   */
  filledBefore?: DecimalString;
}

/**
 * A slice's amount as the venue order working it now counts it: less what filled at earlier venue
 * orders of the slice (its quantity by default: what that venue order is for; or what has filled).
 */
export function netOfFilledBefore(child: ChildSlice, sliceQuantity: Decimal = dec(child.quantity)): Decimal {
  return sliceQuantity.minus(dec(child.filledBefore ?? '0'));
}

/**
 * An order that waits for the market to reach its trigger: ACCEPTED until the watcher arms it, ARMED
 * while the OMS watches it, RELEASED once the OMS sent it on to the venues as `releasedAs`; or AT_VENUE
 * when it was sent natively to a venue that holds stops (the venue watches and triggers it).
 */
export interface TriggerState {
  status: 'ACCEPTED' | 'ARMED' | 'RELEASED' | 'AT_VENUE';
  triggerType: TriggerType;
  /** The trigger price as it stands (a trailing stop's moves); null until armed for a trailing one. */
  stopPrice: Decimal | null;
  watermark: Decimal | null;
  releasedAs: VenueOrderType | null;
  triggeredAt: string | null;
}

/** What the order trades as at a venue: its own type, or what a triggered order is released as. */
export function workingTypeOf(order: Order): VenueOrderType {
  return order.trigger?.releasedAs ?? venueOrderTypeOf(order.terms.type);
}

/**
 * The terms an order works under now: a released held order's are those of the MARKET or LIMIT order
 * it became (its limit as released); any other order's are its own.
 */
export function workingTermsOf(order: Order): OrderTerms {
  if (order.trigger?.status !== 'RELEASED' || order.trigger.releasedAs === null) return order.terms;
  const { stopPrice, trailingOffset, trailingOffsetType, limitOffset, triggerType, ...plain } = order.terms;
  void [stopPrice, trailingOffset, trailingOffsetType, limitOffset, triggerType];
  return {
    ...plain,
    type: order.trigger.releasedAs,
    limitPrice: order.limitPrice === null ? null : order.limitPrice.toString(),
  };
}

/** A triggered order not yet released nor sent natively: the OMS holds it; nothing of it is at any venue. */
export function heldByOms(order: Order): boolean {
  return order.trigger !== null && order.trigger.status !== 'RELEASED' && order.trigger.status !== 'AT_VENUE';
}

/** Why an order stopped working, when it did so before being filled. */
export type OrderClosure = 'REJECTED' | 'CANCELED' | 'EXPIRED';

export interface Order {
  exists: true;
  terms: OrderTerms;
  status: OrderStatus;
  orderQty: Decimal;
  limitPrice: Decimal | null;
  /**
   * A MARKET order's worst allowed price (sent to the venue as a marketable limit); a STOP's, the
   * limit of the stop-limit it is sent natively as (released by the OMS, it is priced again); null otherwise.
   */
  protectionPrice: Decimal | null;
  /** When a DAY or GTD order expires (ISO-8601 UTC); null when it does not, or was placed before. */
  expireAt: string | null;
  cumQty: Decimal;
  leavesQty: Decimal;
  /** Σ price × quantity over the executions counted in cumQty: exact, avgPx derives from it. */
  executedNotional: Decimal;
  avgPx: Decimal | null;
  /** Executed quantity beyond orderQty (never in cumQty, always booked). */
  overfilledQty: Decimal;
  /** Quote-currency fees of the live executions (a fee in another currency is on its fill only). */
  fees: Decimal;
  fills: FillRecord[];
  acknowledged: boolean;
  venueOrderIds: Record<string, string>;
  children: Record<string, ChildSlice>;
  closure: OrderClosure | null;
  pendingCancel: boolean;
  pendingReplace: { quantity: Decimal; limitPrice: Decimal | null } | null;
  rejections: Rejection[];
  /** Triggered types (stops, trailing stops, if-touched): held by the OMS until released; null otherwise. */
  trigger: TriggerState | null;
  createdAt: string;
  updatedAt: string;
}

export type OrderState = { exists: false } | Order;

export const initialOrderState = (): OrderState => ({ exists: false });

/** Parent-level key for venue order ids of an order sent as one slice. */
export const PARENT_SLICE = '-';

/**
 * A slice's status once the venue holds it at `quantity` (replaced or restated): filled when what it
 * executed reaches it; working again when a slice that had filled its old size was made larger (the
 * venue works the rest); otherwise as it was.
 */
function statusAtQuantity(child: ChildSlice, quantity: DecimalString): ChildStatus {
  if (dec(child.cumQty).gte(dec(quantity))) return 'FILLED';
  return child.status === 'FILLED' ? 'ACKNOWLEDGED' : child.status;
}

export function deriveStatus(o: Omit<Order, 'status'>): OrderStatus {
  if (o.cumQty.eq(o.orderQty) && o.cumQty.isPositive()) return 'FILLED';
  if (o.closure) return o.closure;
  if (o.pendingCancel) return 'PENDING_CANCEL';
  if (o.pendingReplace) return 'PENDING_REPLACE';
  if (o.cumQty.isPositive()) return 'PARTIALLY_FILLED';
  // A triggered order armed by the OMS is working (NEW), at a venue or not; one sent natively is
  // pending until its venue acknowledges it, as any order sent to a venue.
  const armedByOms = o.trigger !== null && o.trigger.status !== 'ACCEPTED' && o.trigger.status !== 'AT_VENUE';
  return o.acknowledged || armedByOms ? 'NEW' : 'PENDING_NEW';
}

/**
 * Recomputes the cumulative figures from the live executions, in arrival order: each counts up to
 * what the order quantity leaves, the rest is overfill. Used for every fill, bust, correction and
 * replace so there is one rule for all of them.
 */
export function computeTotals(
  fills: readonly FillRecord[],
  orderQty: Decimal,
): { cumQty: Decimal; executedNotional: Decimal; overfilledQty: Decimal; fees: Decimal } {
  let cumQty = Decimal.ZERO;
  let executedNotional = Decimal.ZERO;
  let overfilledQty = Decimal.ZERO;
  let fees = Decimal.ZERO;
  for (const fill of fills) {
    if (fill.busted) continue;
    const room = Decimal.max(orderQty.minus(cumQty), Decimal.ZERO);
    const counted = Decimal.min(fill.quantity, room);
    cumQty = cumQty.plus(counted);
    executedNotional = executedNotional.plus(counted.times(fill.price));
    overfilledQty = overfilledQty.plus(fill.quantity.minus(counted));
    if (fill.feeCurrency === null) fees = fees.plus(fill.fee); // quote-currency fees only: like units
  }
  return { cumQty, executedNotional, overfilledQty, fees };
}

function withTotals(order: Omit<Order, 'status'>, updatedAt: string): Order {
  const next = { ...order, ...figuresAt(order.fills, order.orderQty, order.closure), updatedAt };
  return { ...next, status: deriveStatus(next) };
}

/**
 * Every cumulative figure of an order with these executions, this quantity and this closure: what
 * filled (and what went beyond, and the fees), what is left (nothing once it stopped working,
 * whatever arrives late), and the average price from the exact executed notional.
 */
function figuresAt(fills: readonly FillRecord[], quantity: Decimal, closure: OrderClosure | null) {
  const totals = computeTotals(fills, quantity);
  return {
    ...totals,
    leavesQty: closure ? Decimal.ZERO : Decimal.max(quantity.minus(totals.cumQty), Decimal.ZERO),
    avgPx: totals.cumQty.isZero() ? null : totals.executedNotional.dividedBy(totals.cumQty),
  };
}

/**
 * The one totals function: the cumulative figures an order shows with these executions and this order
 * quantity, as its events carry them. The decider computes an event's totals with it before the
 * event exists, from the executions the event leaves (fillsAfterBust, fillsAfterCorrection, or one
 * more fill), so nothing is evolved twice or with made-up figures.
 */
export function totalsAt(
  fills: readonly FillRecord[],
  quantity: Decimal,
  closure: OrderClosure | null = null,
): OrderTotals {
  return totalsOf(figuresAt(fills, quantity, closure));
}

/** The execution still counted under this id, if any (a busted one is not). */
export function liveFill(fills: readonly FillRecord[], execId: string): FillRecord | undefined {
  return fills.find((f) => f.execId === execId && !f.busted);
}

export function fillsAfterBust(fills: readonly FillRecord[], execId: string): FillRecord[] {
  return fills.map((f) => (f.execId === execId && !f.busted ? { ...f, busted: true } : f));
}

export function fillsAfterCorrection(
  fills: readonly FillRecord[],
  execId: string,
  quantity: Decimal,
  price: Decimal,
): FillRecord[] {
  return fills.map((f) => (f.execId === execId && !f.busted ? { ...f, quantity, price } : f));
}

/** An execution as the order keeps it. */
export function fillRecordOf(e: Execution): FillRecord {
  return {
    execId: e.execId,
    venueId: e.venueId,
    childId: e.childId,
    quantity: dec(e.quantity),
    price: dec(e.price),
    fee: dec(e.fee),
    feeCurrency: e.feeCurrency ?? null,
    liquidity: e.liquidity,
    executedAt: e.executedAt,
    busted: false,
  };
}

/** An existing order after one more of its events (evolving an order never un-makes it). */
export function orderAfter(order: Order, event: OrderEvent): Order {
  const next = evolveOrder(order, event);
  if (!next.exists) throw new Error(`${event.type} left order ${order.terms.orderId} without state`);
  return next;
}

export function totalsOf(order: Pick<Order, 'cumQty' | 'leavesQty' | 'avgPx'>): OrderTotals {
  return {
    cumQty: order.cumQty.toString(),
    leavesQty: order.leavesQty.toString(),
    avgPx: order.avgPx ? order.avgPx.toString() : null,
  };
}

function openOrder(
  terms: OrderTerms,
  at: string,
  closure: OrderClosure | null,
  rejections: Rejection[],
  protectionPrice: DecimalString | null = null,
  expireAt: string | null = null,
): Order {
  return withTotals(
    {
      exists: true,
      terms: { ...terms },
      orderQty: dec(terms.quantity),
      limitPrice: terms.limitPrice === null ? null : dec(terms.limitPrice),
      protectionPrice: protectionPrice === null ? null : dec(protectionPrice),
      expireAt,
      cumQty: Decimal.ZERO,
      leavesQty: Decimal.ZERO,
      executedNotional: Decimal.ZERO,
      avgPx: null,
      overfilledQty: Decimal.ZERO,
      fees: Decimal.ZERO,
      fills: [],
      acknowledged: false,
      venueOrderIds: {},
      children: {},
      closure,
      pendingCancel: false,
      pendingReplace: null,
      rejections,
      trigger: isTriggeredType(terms.type)
        ? {
            status: 'ACCEPTED',
            triggerType: terms.triggerType ?? 'LAST',
            stopPrice: terms.stopPrice ? dec(terms.stopPrice) : null,
            watermark: null,
            releasedAs: null,
            triggeredAt: null,
          }
        : null,
      createdAt: at,
      updatedAt: at,
    },
    at,
  );
}

/** Terms that only some orders have: kept only when set, so orders of the first types read as they always did. */
const OPTIONAL_TERMS = [
  'stopPrice',
  'trailingOffset',
  'trailingOffsetType',
  'limitOffset',
  'triggerType',
  'postOnly',
  'displayQuantity',
  'listId',
] as const satisfies readonly (keyof OrderTerms)[];

function termsOf(data: OrderTerms): OrderTerms {
  const {
    orderId,
    accountId,
    clientOrderId,
    instrumentId,
    side,
    type,
    timeInForce,
    quantity,
    limitPrice,
    venueId,
    expireAt,
  } = data;
  const optional = Object.fromEntries(
    OPTIONAL_TERMS.flatMap((key) => {
      const value = data[key];
      return value === undefined || value === null || value === false ? [] : [[key, value]];
    }),
  ) as Partial<OrderTerms>;
  return {
    ...optional,
    orderId,
    accountId,
    clientOrderId,
    instrumentId,
    side,
    type,
    timeInForce,
    quantity,
    limitPrice,
    venueId,
    // An accepted order's expireAt is when it expires; it is part of the terms for GTD only.
    ...(timeInForce === 'GTD' && expireAt ? { expireAt } : {}),
  };
}

/** The parent's replace ended: no slice is part of one any more. */
function withoutSliceReplaces(children: Record<string, ChildSlice>): Record<string, ChildSlice> {
  if (!Object.values(children).some((c) => c.replace)) return children;
  return Object.fromEntries(Object.entries(children).map(([id, c]) => [id, { ...c, replace: null }]));
}

export function evolveOrder(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === 'OrderAccepted') {
    const { acceptedAt, protectionPrice, expireAt } = event.data;
    return openOrder(termsOf(event.data), acceptedAt, null, [], protectionPrice ?? null, expireAt ?? null);
  }
  if (event.type === 'OrderRejected') {
    return openOrder(termsOf(event.data), event.data.rejectedAt, 'REJECTED', event.data.rejections);
  }
  if (!state.exists) return state;
  const order = state;
  switch (event.type) {
    case 'OrderArmed':
    case 'TrailingStopMoved': {
      if (!order.trigger) return order;
      const d = event.data;
      const at = event.type === 'OrderArmed' ? event.data.armedAt : event.data.movedAt;
      return withTotals(
        {
          ...order,
          trigger: {
            ...order.trigger,
            status: 'ARMED',
            stopPrice: dec(d.stopPrice),
            watermark: d.watermark === null ? null : dec(d.watermark),
          },
        },
        at,
      );
    }
    case 'OrderTriggered':
      if (!order.trigger) return order;
      return withTotals(
        { ...order, trigger: { ...order.trigger, triggeredAt: event.data.triggeredAt } },
        event.data.triggeredAt,
      );
    case 'OrderReleased': {
      if (!order.trigger) return order;
      const d = event.data;
      return withTotals(
        {
          ...order,
          limitPrice: d.limitPrice === null ? null : dec(d.limitPrice),
          protectionPrice: d.protectionPrice === null ? null : dec(d.protectionPrice),
          trigger: { ...order.trigger, status: 'RELEASED', releasedAs: d.type },
        },
        d.releasedAt,
      );
    }
    case 'OrderReleaseRefused':
      return withTotals(
        { ...order, rejections: [...order.rejections, ...event.data.rejections] },
        event.data.refusedAt,
      );
    case 'OrderAcknowledged': {
      const { venueId, childId, venueOrderId, acknowledgedAt } = event.data;
      const key = childId ?? PARENT_SLICE;
      let children = order.children;
      if (childId !== null) {
        const known = order.children[childId];
        children = {
          ...order.children,
          [childId]: known
            ? {
                ...known,
                venueOrderId,
                status:
                  known.status === 'SUBMITTED' || known.status === 'UNCONFIRMED'
                    ? 'ACKNOWLEDGED'
                    : known.status,
              }
            : {
                childId,
                venueId,
                venueOrderId,
                quantity: order.leavesQty.toString(),
                limitPrice: order.limitPrice === null ? null : order.limitPrice.toString(),
                cumQty: '0',
                status: 'ACKNOWLEDGED',
              },
        };
      }
      return withTotals(
        {
          ...order,
          acknowledged: true,
          venueOrderIds: { ...order.venueOrderIds, [key]: venueOrderId },
          children,
        },
        acknowledgedAt,
      );
    }
    case 'OrderRouted': {
      // A held order routed natively: the venue holds its trigger from now on.
      const native = order.trigger !== null && event.data.slices.some((s) => s.stopPrice !== undefined);
      return withTotals(
        native ? { ...order, trigger: { ...order.trigger!, status: 'AT_VENUE' } } : order,
        event.data.routedAt,
      );
    }
    case 'NativeStopReturned': {
      const child = order.children[event.data.childId];
      if (!order.trigger || !child) return order;
      return withTotals(
        {
          ...order,
          trigger: { ...order.trigger, status: 'ACCEPTED' },
          children: { ...order.children, [child.childId]: { ...child, returned: true } },
        },
        event.data.returnedAt,
      );
    }
    case 'VenueOrderTriggered':
      if (!order.trigger) return order;
      return withTotals(
        { ...order, trigger: { ...order.trigger, triggeredAt: event.data.triggeredAt } },
        event.data.triggeredAt,
      );
    case 'VenueOrderSubmitted': {
      const d = event.data;
      const child: ChildSlice = {
        childId: d.childId,
        venueId: d.venueId,
        venueOrderId: null,
        quantity: d.quantity,
        limitPrice: d.limitPrice,
        cumQty: '0',
        status: 'SUBMITTED',
        ...(d.stopPrice !== undefined ? { stopPrice: d.stopPrice } : {}),
      };
      return withTotals({ ...order, children: { ...order.children, [d.childId]: child } }, d.submittedAt);
    }
    case 'VenueOrderResent': {
      const child = order.children[event.data.childId];
      if (!child) return order;
      const { [child.childId]: _lost, ...venueOrderIds } = order.venueOrderIds;
      return withTotals(
        {
          ...order,
          venueOrderIds,
          children: {
            ...order.children,
            [child.childId]: {
              ...child,
              venueOrderId: null,
              status: 'SUBMITTED',
              filledBefore: child.cumQty,
            },
          },
        },
        event.data.at,
      );
    }
    case 'VenueOrderUnconfirmed': {
      const child = order.children[event.data.childId];
      if (!child || child.status !== 'SUBMITTED') return order;
      return withTotals(
        { ...order, children: { ...order.children, [child.childId]: { ...child, status: 'UNCONFIRMED' } } },
        event.data.at,
      );
    }
    case 'VenueReplaceSubmitted': {
      const d = event.data;
      const child = order.children[d.childId];
      if (!child) return order;
      const replace: SliceReplace = { quantity: d.quantity, limitPrice: d.limitPrice, answer: null };
      return withTotals(
        { ...order, children: { ...order.children, [child.childId]: { ...child, replace } } },
        d.submittedAt,
      );
    }
    case 'VenueOrderReplaced': {
      const d = event.data;
      const child = order.children[d.childId];
      if (!child) return order;
      const replaced: ChildSlice = {
        ...child,
        quantity: d.quantity,
        limitPrice: d.limitPrice,
        status: statusAtQuantity(child, d.quantity),
        replace: child.replace && { ...child.replace, answer: { replaced: true } },
      };
      return withTotals(
        { ...order, children: { ...order.children, [child.childId]: replaced } },
        d.replacedAt,
      );
    }
    case 'VenueReplaceRejected': {
      const d = event.data;
      const child = order.children[d.childId];
      if (!child?.replace) return order;
      const refused: ChildSlice = {
        ...child,
        replace: { ...child.replace, answer: { replaced: false, reason: d.reason } },
      };
      return withTotals(
        { ...order, children: { ...order.children, [child.childId]: refused } },
        d.rejectedAt,
      );
    }
    case 'VenueOrderClosed': {
      const child = order.children[event.data.childId];
      if (!child) return order;
      return withTotals(
        {
          ...order,
          children: { ...order.children, [child.childId]: { ...child, status: event.data.outcome } },
        },
        event.data.closedAt,
      );
    }
    case 'OrderFilled': {
      const d = event.data;
      const fill = fillRecordOf(d);
      // A fill proves the venue holds the order, even if its ack was lost or is still in flight.
      let children = order.children;
      const child = d.childId === null ? undefined : order.children[d.childId];
      if (child) {
        const cumQty = dec(child.cumQty).plus(fill.quantity);
        const status: ChildStatus = cumQty.gte(dec(child.quantity))
          ? 'FILLED'
          : child.status === 'SUBMITTED' || child.status === 'UNCONFIRMED'
            ? 'ACKNOWLEDGED'
            : child.status;
        children = { ...children, [child.childId]: { ...child, cumQty: cumQty.toString(), status } };
      }
      return withTotals(
        { ...order, acknowledged: true, fills: [...order.fills, fill], children },
        d.executedAt,
      );
    }
    case 'OrderOverfilled':
      // Informational alert: the overfill quantity is already part of the OrderFilled it follows.
      return order;
    case 'VenueOrderRestated': {
      const child = order.children[event.data.childId];
      if (!child) return order;
      const restated: ChildSlice = {
        ...child,
        quantity: event.data.quantity,
        status: statusAtQuantity(child, event.data.quantity),
      };
      return withTotals(
        { ...order, children: { ...order.children, [child.childId]: restated } },
        event.data.restatedAt,
      );
    }
    case 'OrderRestated':
      return withTotals(
        {
          ...order,
          terms: { ...order.terms, quantity: event.data.quantity },
          orderQty: dec(event.data.quantity),
        },
        event.data.restatedAt,
      );
    case 'OrderRejectedByVenue':
      return withTotals(
        {
          ...order,
          closure: 'REJECTED',
          pendingCancel: false,
          pendingReplace: null,
          // Why, where the order is read: the venue's words, as risk's are for a refusal of its own.
          rejections: [
            ...order.rejections,
            { code: 'VENUE_REJECTED', message: `${event.data.venueId}: ${event.data.reason}` },
          ],
        },
        event.data.rejectedAt,
      );
    case 'OrderCancelRequested':
      return withTotals({ ...order, pendingCancel: true }, event.data.requestedAt);
    case 'OrderCanceled':
      return withTotals(
        { ...order, closure: 'CANCELED', pendingCancel: false, pendingReplace: null },
        event.data.canceledAt,
      );
    case 'OrderCancelRejected':
      return withTotals({ ...order, pendingCancel: false }, event.data.rejectedAt);
    case 'OrderReplaceRequested':
      return withTotals(
        {
          ...order,
          pendingReplace: {
            quantity: dec(event.data.quantity),
            limitPrice: event.data.limitPrice === null ? null : dec(event.data.limitPrice),
          },
        },
        event.data.requestedAt,
      );
    case 'OrderReplaced': {
      const d = event.data;
      const quantity = dec(d.quantity);
      const limitPrice = d.limitPrice === null ? null : dec(d.limitPrice);
      const stop = d.stopPrice;
      return withTotals(
        {
          ...order,
          terms: {
            ...order.terms,
            quantity: d.quantity,
            limitPrice: d.limitPrice,
            ...(stop !== undefined ? { stopPrice: stop } : {}),
          },
          // A held order's trigger moved: it is watched at the new price (a STOP protected from it).
          trigger:
            stop !== undefined && order.trigger ? { ...order.trigger, stopPrice: dec(stop) } : order.trigger,
          protectionPrice:
            d.protectionPrice === undefined
              ? order.protectionPrice
              : d.protectionPrice === null
                ? null
                : dec(d.protectionPrice),
          orderQty: quantity,
          limitPrice,
          pendingReplace: null,
          children: withoutSliceReplaces(order.children),
        },
        event.data.replacedAt,
      );
    }
    case 'OrderReplaceRefused':
      // An audit record: nothing about the order changed.
      return order;
    case 'OrderReplaceRejected':
      return withTotals(
        { ...order, pendingReplace: null, children: withoutSliceReplaces(order.children) },
        event.data.rejectedAt,
      );
    case 'OrderExpired':
      return withTotals(
        { ...order, closure: 'EXPIRED', pendingCancel: false, pendingReplace: null },
        event.data.expiredAt,
      );
    case 'TradeBusted': {
      const fill = liveFill(order.fills, event.data.execId);
      if (!fill) return order;
      return withTotals(
        {
          ...order,
          fills: fillsAfterBust(order.fills, fill.execId),
          children: sliceAfterExecutionChange(order.children, fill, Decimal.ZERO),
        },
        event.data.bustedAt,
      );
    }
    case 'TradeCorrected': {
      const fill = liveFill(order.fills, event.data.execId);
      if (!fill) return order;
      const quantity = dec(event.data.quantity);
      return withTotals(
        {
          ...order,
          fills: fillsAfterCorrection(order.fills, fill.execId, quantity, dec(event.data.price)),
          children: sliceAfterExecutionChange(order.children, fill, quantity),
        },
        event.data.correctedAt,
      );
    }
    default:
      return assertNever(event);
  }
}

/**
 * A slice after one of its executions was busted (to 0) or corrected to another quantity: its cumQty
 * moves by the difference, and quantity the venue no longer holds leaves the slice too, because a venue
 * does not work a busted quantity again (FIX: the order's leaves are not reinstated by a trade cancel).
 * A slice that had ended keeps its status: it is done at its venue either way.
 */
function sliceAfterExecutionChange(
  children: Record<string, ChildSlice>,
  fill: FillRecord,
  newQuantity: Decimal,
): Record<string, ChildSlice> {
  const child = fill.childId === null ? undefined : children[fill.childId];
  if (!child) return children;
  const delta = newQuantity.minus(fill.quantity);
  const removed = delta.isNegative() ? delta.negated() : Decimal.ZERO;
  return {
    ...children,
    [child.childId]: {
      ...child,
      cumQty: Decimal.max(dec(child.cumQty).plus(delta), Decimal.ZERO).toString(),
      quantity: Decimal.max(dec(child.quantity).minus(removed), Decimal.ZERO).toString(),
    },
  };
}

/** Whether this event leaves the order with nothing left to work: filled, canceled, rejected or expired. */
export function endsOrder(event: OrderEvent): boolean {
  switch (event.type) {
    case 'OrderRejected':
    case 'OrderRejectedByVenue':
    case 'OrderCanceled':
    case 'OrderExpired':
      return true;
    case 'OrderFilled':
    case 'OrderRestated':
    case 'OrderReplaced': // reduced to what had filled: done
    case 'TradeCorrected': // corrected up to the whole quantity: done
      return dec(event.data.leavesQty).isZero();
    default:
      return false;
  }
}

export function isWorking(status: OrderStatus): boolean {
  return (
    status === 'PENDING_NEW' ||
    status === 'NEW' ||
    status === 'PARTIALLY_FILLED' ||
    status === 'PENDING_CANCEL' ||
    status === 'PENDING_REPLACE'
  );
}

export function isTerminal(status: OrderStatus): boolean {
  return !isWorking(status);
}
