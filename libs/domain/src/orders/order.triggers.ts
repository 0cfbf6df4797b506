/**
 * Orders the OMS holds until the market reaches a price, then releases to the venues (emulated stops,
 * trailing stops and if-touched orders): which price each watches, when it triggers, how a trailing
 * stop follows the market, and what it is released as. Pure: the market comes in as data.
 */
import { Decimal, DecimalString, dec } from '../decimal/decimal';
import { Rejection } from '../shared/decision';
import {
  OffsetType,
  OrderType,
  Side,
  TriggerType,
  VENUE_ORDER_TYPES,
  VenueOrderType,
} from '../shared/trading';

/** The types the OMS holds until their trigger: every type a venue does not work. */
export type TriggeredOrderType = Exclude<OrderType, VenueOrderType>;

export function isTriggeredType(type: OrderType): type is TriggeredOrderType {
  return !(VENUE_ORDER_TYPES as readonly OrderType[]).includes(type);
}

export function isTrailingType(type: OrderType): boolean {
  return type === 'TRAILING_STOP' || type === 'TRAILING_STOP_LIMIT';
}

/** What an order trades as at the venue: a triggered one as a MARKET or LIMIT order once released. */
export function venueOrderTypeOf(type: OrderType): VenueOrderType {
  switch (type) {
    case 'MARKET':
    case 'STOP':
    case 'TRAILING_STOP':
    case 'MARKET_IF_TOUCHED':
      return 'MARKET';
    case 'LIMIT':
    case 'STOP_LIMIT':
    case 'TRAILING_STOP_LIMIT':
    case 'LIMIT_IF_TOUCHED':
      return 'LIMIT';
  }
}

/**
 * Whether a venue that holds stops itself could work the order instead of the OMS: a STOP or
 * STOP_LIMIT that watches the last trade (venues trigger stops on their own trades; an order watching
 * the touch or the mark stays with the OMS), and is no leg of a list (its list reconciles it before it
 * is released; a venue's trigger would not wait for the list).
 */
export function nativeStopCandidate(terms: {
  type: OrderType;
  triggerType?: TriggerType;
  listId?: string;
}): boolean {
  return (
    (terms.type === 'STOP' || terms.type === 'STOP_LIMIT') &&
    (terms.triggerType ?? 'LAST') === 'LAST' &&
    terms.listId === undefined
  );
}

/** A limit price is part of the terms (a trailing stop-limit's comes from its stop when it triggers). */
export function takesLimitPrice(type: OrderType): boolean {
  return type === 'LIMIT' || type === 'STOP_LIMIT' || type === 'LIMIT_IF_TOUCHED';
}

/** The market as the trigger watcher saw it (exact decimals as strings; null: not shown). */
export interface MarketObservation {
  last: DecimalString | null;
  bid: DecimalString | null;
  ask: DecimalString | null;
  mark: DecimalString | null;
  /** Exchange time of the newest of them (ISO-8601); null when unknown. */
  marketTime: string | null;
}

/**
 * The price an order watches: the last trade, the mark, or the touch it would trade against (a buy
 * the ask, a sell the bid).
 */
export function watchedPrice(
  side: Side,
  triggerType: TriggerType,
  market: MarketObservation,
): Decimal | null {
  const text =
    triggerType === 'LAST'
      ? market.last
      : triggerType === 'MARK'
        ? market.mark
        : side === 'BUY'
          ? market.ask
          : market.bid;
  return text === null ? null : dec(text);
}

/**
 * Whether a price reaches the trigger: stops (and trailing stops) trigger when the market moves
 * against the position they protect (a buy stop at or above its price, a sell stop at or below);
 * if-touched orders when it moves in their favour (a buy at or below, a sell at or above).
 */
export function reachesTrigger(type: OrderType, side: Side, stopPrice: Decimal, price: Decimal): boolean {
  const ifTouched = type === 'MARKET_IF_TOUCHED' || type === 'LIMIT_IF_TOUCHED';
  const rising = (side === 'BUY') !== ifTouched;
  return rising ? price.gte(stopPrice) : price.lte(stopPrice);
}

export interface TrailingTerms {
  side: Side;
  offset: Decimal;
  offsetType: OffsetType;
  tickSize: Decimal;
}

/**
 * A trailing stop after the market showed `price`: the best price since it was armed (the highest for
 * a sell, the lowest for a buy) and the stop at the offset behind it, on a tick no closer to the market
 * (a sell stop rounded down, a buy stop up). It never moves back.
 */
export function trail(
  terms: TrailingTerms,
  watermark: Decimal | null,
  price: Decimal,
): { watermark: Decimal; stopPrice: Decimal } {
  const best =
    watermark === null
      ? price
      : terms.side === 'SELL'
        ? Decimal.max(watermark, price)
        : Decimal.min(watermark, price);
  const distance =
    terms.offsetType === 'PRICE' ? terms.offset : best.times(terms.offset).dividedBy(Decimal.of(10_000), 12);
  return terms.side === 'SELL'
    ? { watermark: best, stopPrice: best.minus(distance).floorToMultiple(terms.tickSize) }
    : { watermark: best, stopPrice: best.plus(distance).ceilToMultiple(terms.tickSize) };
}

/** Whether `next` is a stop price in the order's favour compared with `current` (a sell's higher). */
export function stopImproves(side: Side, current: Decimal | null, next: Decimal): boolean {
  if (current === null) return true;
  return side === 'SELL' ? next.gt(current) : next.lt(current);
}

/**
 * A trailing stop-limit's limit once it triggers: `limitOffset` beyond the stop (a sell below it, a
 * buy above), none meaning at the stop itself.
 */
export function trailingLimitPrice(side: Side, stopPrice: Decimal, limitOffset: Decimal | null): Decimal {
  const offset = limitOffset ?? Decimal.ZERO;
  return side === 'SELL' ? stopPrice.minus(offset) : stopPrice.plus(offset);
}

/** The fields of an order request that depend on its type. */
export interface TypedOrderFields {
  type: OrderType;
  limitPrice: Decimal | null;
  stopPrice: Decimal | null;
  trailingOffset: Decimal | null;
  trailingOffsetType: OffsetType | null;
  limitOffset: Decimal | null;
  triggerType: TriggerType | null;
  postOnly: boolean;
  displayQuantity: Decimal | null;
}

const FIELD_USE: Record<
  OrderType,
  { required: (keyof TypedOrderFields)[]; allowed: (keyof TypedOrderFields)[] }
> = {
  MARKET: { required: [], allowed: [] },
  LIMIT: { required: ['limitPrice'], allowed: ['postOnly', 'displayQuantity'] },
  STOP: { required: ['stopPrice'], allowed: ['triggerType'] },
  STOP_LIMIT: { required: ['stopPrice', 'limitPrice'], allowed: ['triggerType'] },
  TRAILING_STOP: { required: ['trailingOffset'], allowed: ['trailingOffsetType', 'triggerType'] },
  TRAILING_STOP_LIMIT: {
    required: ['trailingOffset'],
    allowed: ['trailingOffsetType', 'triggerType', 'limitOffset'],
  },
  MARKET_IF_TOUCHED: { required: ['stopPrice'], allowed: ['triggerType'] },
  LIMIT_IF_TOUCHED: { required: ['stopPrice', 'limitPrice'], allowed: ['triggerType'] },
};

const isSet = (fields: TypedOrderFields, key: keyof TypedOrderFields) =>
  key === 'postOnly' ? fields.postOnly : fields[key] !== null && fields[key] !== undefined;

/**
 * The first field an order type cannot use or lacks, as a coded refusal: every type takes only the
 * fields it needs (a MARKET order no limit price, a STOP order no trailing offset...).
 */
export function orderFieldProblem(fields: TypedOrderFields): Rejection | null {
  const use = FIELD_USE[fields.type];
  for (const key of use.required) {
    if (!isSet(fields, key)) {
      return {
        code: `${snake(key)}_REQUIRED`,
        message: `A ${fields.type} order needs ${key === 'limitPrice' ? 'a limitPrice' : `a ${key}`}.`,
      };
    }
  }
  for (const key of Object.keys(fields) as (keyof TypedOrderFields)[]) {
    if (key === 'type') continue;
    if (isSet(fields, key) && !use.required.includes(key) && !use.allowed.includes(key)) {
      return {
        code: 'FIELD_NOT_ALLOWED',
        message: `A ${fields.type} order takes no ${key}${hint(fields.type, key)}.`,
      };
    }
  }
  for (const key of ['limitPrice', 'stopPrice', 'trailingOffset', 'displayQuantity'] as const) {
    const value = fields[key];
    if (value !== null && !value.isPositive()) {
      return { code: 'INVALID_PRICE', message: `${key} must be greater than zero (got ${value}).` };
    }
  }
  if (fields.limitOffset !== null && fields.limitOffset.isNegative()) {
    return {
      code: 'INVALID_PRICE',
      message: `limitOffset must not be negative (got ${fields.limitOffset}).`,
    };
  }
  if (fields.trailingOffsetType === 'BASIS_POINTS' && fields.trailingOffset?.gte(Decimal.of(10_000))) {
    return {
      code: 'INVALID_PRICE',
      message: `A trailing offset of ${fields.trailingOffset} basis points is 100% or more of the price.`,
    };
  }
  return null;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

function hint(type: OrderType, key: keyof TypedOrderFields): string {
  if (type === 'MARKET' && key === 'limitPrice') return '; send a LIMIT order instead';
  if (key === 'stopPrice' && isTrailingType(type))
    return ': a trailing stop follows the market from where it is armed';
  if (key === 'limitPrice' && type === 'TRAILING_STOP_LIMIT')
    return '; its limit is limitOffset from the stop when it triggers';
  if (key === 'postOnly' || key === 'displayQuantity') return ' (LIMIT orders only)';
  return '';
}
