import { Decimal, DecimalString } from '../decimal/decimal';
import { isoTimestamp } from '../shared/time';
import { Halt, Instrument } from '../instruments/instrument';
import { OrderTerms } from '../orders/order';
import { takesLimitPrice } from '../orders/order.triggers';
import { Rejection } from '../shared/decision';
import {
  AccountState,
  RiskLimits,
  firstTimeAfter,
  openQuantityOf,
  positionLimitFor,
  positionQuantityOf,
} from './account';

export const RISK_REJECTION_CODES = [
  'TRADING_HALTED_GLOBAL',
  'TRADING_HALTED_ACCOUNT',
  'TRADING_HALTED_INSTRUMENT',
  'TRADING_REDUCING_GLOBAL',
  'TRADING_REDUCING_ACCOUNT',
  'TRADING_REDUCING_INSTRUMENT',
  'RISK_LIMITS_NOT_SET',
  'INSTRUMENT_UNKNOWN',
  'INSTRUMENT_NOT_TRADABLE',
  'INSTRUMENT_NOT_ALLOWED',
  'QUANTITY_NOT_POSITIVE',
  'QUANTITY_NOT_LOT_MULTIPLE',
  'QUANTITY_BELOW_MINIMUM',
  'QUANTITY_ABOVE_MAXIMUM',
  'LIMIT_PRICE_REQUIRED',
  'LIMIT_PRICE_NOT_ALLOWED',
  'PRICE_NOT_POSITIVE',
  'PRICE_NOT_TICK_MULTIPLE',
  'MAX_ORDER_QUANTITY_EXCEEDED',
  'MAX_ORDER_NOTIONAL_EXCEEDED',
  'REFERENCE_PRICE_MISSING',
  'REFERENCE_PRICE_STALE',
  'REFERENCE_PRICE_INVALID',
  'PRICE_COLLAR_BREACHED',
  'POSITION_LIMIT_EXCEEDED',
  'OPEN_NOTIONAL_LIMIT_EXCEEDED',
  'ORDER_RATE_LIMIT_EXCEEDED',
  'REPLACE_RATE_LIMIT_EXCEEDED',
  'DUPLICATE_CLIENT_ORDER_ID',
  'REDUCE_ONLY_VIOLATION',
  'EXPIRY_REQUIRED',
  'EXPIRY_INVALID',
  'EXPIRY_NOT_ALLOWED',
] as const;
export type RiskRejectionCode = (typeof RISK_REJECTION_CODES)[number];
export type RiskRejection = Rejection<RiskRejectionCode>;

export interface ReferencePrice {
  price: Decimal;
  /** When the price was observed, epoch milliseconds. */
  observedAt: number;
}

/** The reference price a risk decision judged, as recorded on its events for auditors. */
export interface RiskReference {
  referencePrice: DecimalString | null;
  referenceObservedAt: string | null;
}

const NO_REFERENCE: RiskReference = { referencePrice: null, referenceObservedAt: null };
/** One reference price is judged by every decision until the market moves: format it once. */
const formatted = new WeakMap<ReferencePrice, RiskReference>();

export function riskReferenceOf(reference: ReferencePrice | null): RiskReference {
  if (!reference) return NO_REFERENCE;
  let recorded = formatted.get(reference);
  if (!recorded) {
    recorded = {
      referencePrice: reference.price.toString(),
      referenceObservedAt: isoTimestamp(new Date(reference.observedAt)),
    };
    formatted.set(reference, recorded);
  }
  return recorded;
}

/** Everything a pre-trade decision looks at besides the account's own state. */
export interface PreTradeRequest {
  order: OrderTerms;
  instrument: Instrument | null;
  instrumentHalt: Halt | null;
  globalHalt: Halt | null;
  referencePrice: ReferencePrice | null;
  /**
   * What the order has executed already (a replace of a partly filled order): size limits judge the
   * order's total quantity, exposure is held for what is left to fill.
   */
  filledQuantity?: DecimalString | null;
}

/**
 * The request with its numbers parsed once. A value that does not parse is null, and every check that
 * needs it stays silent, because the check that owns that value has already refused the order.
 */
export interface RiskContext {
  request: PreTradeRequest;
  account: AccountState;
  limits: RiskLimits | null;
  /** The order's total quantity: what size limits judge. */
  orderQuantity: Decimal | null;
  /** What is left to fill (the total, for a new order): what exposure is held for. */
  quantity: Decimal | null;
  /**
   * A new order, new terms for a working one (a replace: its own throttle), or a held order released
   * when it triggered (no throttle: the trader placed it long ago).
   */
  kind: RiskKind;
  limitPrice: Decimal | null;
  /** The worst price the order can trade at: its limit, or for a market order the collar edge. */
  reservationPrice: Decimal | null;
  notional: Decimal | null;
  nowMs: number;
}

export type RiskCheck = (ctx: RiskContext) => RiskRejection | null;

function parseOrNull(value: string | null): Decimal | null {
  if (value === null) return null;
  try {
    return Decimal.parse(value);
  } catch {
    return null;
  }
}

/**
 * How far ahead of the deciding clock a reference price's time may be (clocks of the publishing and
 * the deciding process differ by a little); beyond it, the price's time is not believed.
 */
export const REFERENCE_CLOCK_SKEW_MS = 1_000;

/**
 * The worst price a MARKET order may trade at: the collar's edge on its side of the reference price
 * (a buy at most reference × (1 + collar), a sell at least reference × (1 − collar)), on a tick inside
 * the band. The order goes to a venue as a marketable limit at this price, so it never trades beyond.
 */
export function marketProtectionPrice(
  side: 'BUY' | 'SELL',
  reference: Decimal,
  collarFraction: Decimal,
  tickSize: Decimal,
): Decimal {
  const band = reference.times(collarFraction);
  return side === 'BUY'
    ? reference.plus(band).floorToMultiple(tickSize)
    : reference.minus(band).ceilToMultiple(tickSize);
}

/** A reference price risk can use: a positive price observed at a real time, not in the future. */
export function referenceUsable(reference: ReferencePrice, nowMs: number): boolean {
  return (
    reference.price.isPositive() &&
    Number.isFinite(reference.observedAt) &&
    reference.observedAt <= nowMs + REFERENCE_CLOCK_SKEW_MS
  );
}

export type RiskKind = 'new' | 'replace' | 'release';

export function buildRiskContext(
  account: AccountState,
  request: PreTradeRequest,
  nowMs: number,
  kind: RiskKind = 'new',
): RiskContext {
  const orderQuantity = parseOrNull(request.order.quantity);
  const filled = request.filledQuantity ? parseOrNull(request.filledQuantity) : Decimal.ZERO;
  const quantity = orderQuantity && filled ? orderQuantity.minus(filled) : null;
  const limitPrice = parseOrNull(request.order.limitPrice);
  const limits = account.limits;
  const reservationPrice = worstPrice(request, limitPrice, limits, nowMs);
  const notional =
    quantity !== null && quantity.isPositive() && reservationPrice !== null
      ? quantity.times(reservationPrice)
      : null;
  return {
    request,
    account,
    limits,
    orderQuantity,
    quantity,
    kind,
    limitPrice,
    reservationPrice,
    notional,
    nowMs,
  };
}

const rejection = (code: RiskRejectionCode, message: string): RiskRejection => ({ code, message });

/**
 * The worst price the order can trade at, which its exposure is held at: a limit price; a MARKET
 * order's collar edge above the reference; a stop or if-touched order released as MARKET, the collar
 * edge above its trigger; a trailing stop, above the reference plus its offset (it may trigger there);
 * a trailing stop-limit, the reference plus its offset and its limit offset.
 */
function worstPrice(
  request: PreTradeRequest,
  limitPrice: Decimal | null,
  limits: RiskLimits | null,
  nowMs: number,
): Decimal | null {
  const { order } = request;
  if (takesLimitPrice(order.type)) return limitPrice !== null && limitPrice.isPositive() ? limitPrice : null;
  const collarEdge = (price: Decimal) =>
    limits ? price.plus(price.times(limits.priceCollarFraction)) : null;
  if (order.type === 'STOP' || order.type === 'MARKET_IF_TOUCHED') {
    const stop = parseOrNull(order.stopPrice ?? null);
    return stop !== null && stop.isPositive() ? collarEdge(stop) : null;
  }
  if (!request.referencePrice || !referenceUsable(request.referencePrice, nowMs)) return null;
  const reference = request.referencePrice.price;
  if (order.type === 'MARKET') return collarEdge(reference);
  const offset = parseOrNull(order.trailingOffset ?? null);
  if (offset === null || !offset.isPositive()) return null;
  const distance =
    order.trailingOffsetType === 'BASIS_POINTS'
      ? reference.times(offset).dividedBy(Decimal.of(10_000), 12)
      : offset;
  if (order.type === 'TRAILING_STOP') return collarEdge(reference.plus(distance));
  // TRAILING_STOP_LIMIT
  return reference.plus(distance).plus(parseOrNull(order.limitOffset ?? null) ?? Decimal.ZERO);
}

/**
 * A halt at one scope: HALTED refuses every order; REDUCING refuses one that, with the open orders on
 * its side, would not only shrink the account's position in the instrument.
 */
function haltCheck(
  ctx: RiskContext,
  halt: Halt | null,
  scope: 'GLOBAL' | 'ACCOUNT' | 'INSTRUMENT',
  what: string,
): RiskRejection | null {
  if (!halt) return null;
  if ((halt.state ?? 'HALTED') === 'HALTED') {
    return rejection(`TRADING_HALTED_${scope}`, `Trading is halted ${what}: ${halt.reason}.`);
  }
  const growth = growthBeyondReduction(ctx);
  return growth === null
    ? null
    : rejection(`TRADING_REDUCING_${scope}`, `Trading is reduce-only ${what} (${halt.reason}): ${growth}.`);
}

/**
 * Null when the order, with the open orders on its side, only shrinks the position; otherwise why not.
 */
function growthBeyondReduction({ account, quantity, request: { order } }: RiskContext): string | null {
  const wanted = quantity ?? Decimal.ZERO;
  const position = positionQuantityOf(account, order.instrumentId);
  const open = openQuantityOf(account, order.instrumentId);
  const reducible = order.side === 'BUY' ? position.negated() : position; // how much this side can close
  const total = (order.side === 'BUY' ? open.buy : open.sell).plus(wanted);
  if (total.lte(Decimal.max(reducible, Decimal.ZERO))) return null;
  return `${order.side} ${wanted} (with ${total.minus(wanted)} open) would not only reduce the position ${position}`;
}

export const globalKillSwitch: RiskCheck = (ctx) =>
  haltCheck(ctx, ctx.request.globalHalt, 'GLOBAL', 'for all accounts');

export const accountKillSwitch: RiskCheck = (ctx) =>
  haltCheck(ctx, ctx.account.halt, 'ACCOUNT', 'for this account');

export const instrumentKillSwitch: RiskCheck = (ctx) =>
  haltCheck(ctx, ctx.request.instrumentHalt, 'INSTRUMENT', `in ${ctx.request.order.instrumentId}`);

export const limitsPresent: RiskCheck = ({ limits, request }) =>
  limits
    ? null
    : rejection(
        'RISK_LIMITS_NOT_SET',
        `Account ${request.order.accountId} has no risk limits; it cannot trade.`,
      );

export const instrumentEligible: RiskCheck = ({ request, limits }) => {
  const { instrument, order } = request;
  if (!instrument) return rejection('INSTRUMENT_UNKNOWN', `Instrument ${order.instrumentId} is not defined.`);
  if (!instrument.tradable)
    return rejection('INSTRUMENT_NOT_TRADABLE', `Instrument ${order.instrumentId} is not tradable.`);
  if (limits?.allowedInstruments && !limits.allowedInstruments.has(order.instrumentId)) {
    return rejection(
      'INSTRUMENT_NOT_ALLOWED',
      `Account ${order.accountId} may not trade ${order.instrumentId}.`,
    );
  }
  return null;
};

export const quantityPositive: RiskCheck = ({ quantity, request }) =>
  quantity !== null && quantity.isPositive()
    ? null
    : rejection('QUANTITY_NOT_POSITIVE', `Quantity ${request.order.quantity} must be a positive decimal.`);

export const quantityLotMultiple: RiskCheck = ({ orderQuantity: quantity, request: { instrument } }) =>
  quantity?.isPositive() && instrument && !quantity.isMultipleOf(instrument.lotSize)
    ? rejection(
        'QUANTITY_NOT_LOT_MULTIPLE',
        `Quantity ${quantity} is not a multiple of the lot size ${instrument.lotSize}.`,
      )
    : null;

export const quantityWithinInstrumentBounds: RiskCheck = ({
  orderQuantity: quantity,
  request: { instrument },
}) => {
  if (!quantity?.isPositive() || !instrument) return null;
  if (quantity.lt(instrument.minQuantity)) {
    return rejection(
      'QUANTITY_BELOW_MINIMUM',
      `Quantity ${quantity} is below the minimum ${instrument.minQuantity}.`,
    );
  }
  if (quantity.gt(instrument.maxQuantity)) {
    return rejection(
      'QUANTITY_ABOVE_MAXIMUM',
      `Quantity ${quantity} is above the instrument maximum ${instrument.maxQuantity}.`,
    );
  }
  return null;
};

export const limitPriceShape: RiskCheck = ({ request: { order }, limitPrice }) => {
  if (!takesLimitPrice(order.type)) {
    return order.limitPrice === null
      ? null
      : rejection(
          'LIMIT_PRICE_NOT_ALLOWED',
          order.type === 'MARKET'
            ? 'A MARKET order takes no limit price; send a LIMIT order instead.'
            : `A ${order.type} order takes no limit price.`,
        );
  }
  if (order.limitPrice === null)
    return rejection('LIMIT_PRICE_REQUIRED', `A ${order.type} order needs a limit price.`);
  if (limitPrice === null || !limitPrice.isPositive()) {
    return rejection('PRICE_NOT_POSITIVE', `Limit price ${order.limitPrice} must be a positive decimal.`);
  }
  return null;
};

/** Furthest a GTD order may be placed into the future. */
export const MAX_GTD_HORIZON_MS = 366 * 86_400_000;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** GTD needs a future expiry within a year, as an ISO-8601 UTC time; no other time in force takes one. */
export const expiryShape: RiskCheck = ({ request: { order }, nowMs }) => {
  const expireAt = order.expireAt ?? null;
  if (order.timeInForce !== 'GTD') {
    return expireAt === null
      ? null
      : rejection('EXPIRY_NOT_ALLOWED', `expireAt is for GTD orders only; this one is ${order.timeInForce}.`);
  }
  if (expireAt === null) return rejection('EXPIRY_REQUIRED', 'A GTD order needs an expireAt time.');
  const at = ISO_UTC.test(expireAt) ? Date.parse(expireAt) : NaN;
  if (!Number.isFinite(at) || at <= nowMs || at > nowMs + MAX_GTD_HORIZON_MS) {
    return rejection(
      'EXPIRY_INVALID',
      `expireAt ${JSON.stringify(expireAt.slice(0, 40))} must be an ISO-8601 UTC time (e.g. 2026-12-31T21:00:00Z) after now and within 366 days.`,
    );
  }
  return null;
};

export const priceTickMultiple: RiskCheck = ({ limitPrice, request: { instrument, order } }) => {
  if (!instrument) return null;
  const prices: [string, Decimal | null][] = [
    ['Limit price', takesLimitPrice(order.type) ? limitPrice : null],
    ['Stop price', parseOrNull(order.stopPrice ?? null)],
    ['Limit offset', parseOrNull(order.limitOffset ?? null)],
    [
      'Trailing offset',
      order.trailingOffsetType === 'PRICE' ? parseOrNull(order.trailingOffset ?? null) : null,
    ],
  ];
  for (const [what, price] of prices) {
    if (price?.isPositive() && !price.isMultipleOf(instrument.tickSize)) {
      return rejection(
        'PRICE_NOT_TICK_MULTIPLE',
        `${what} ${price} is not a multiple of the tick size ${instrument.tickSize}.`,
      );
    }
  }
  return null;
};

export const maxOrderQuantity: RiskCheck = ({ orderQuantity: quantity, limits }) =>
  limits && quantity?.isPositive() && quantity.gt(limits.maxOrderQuantity)
    ? rejection(
        'MAX_ORDER_QUANTITY_EXCEEDED',
        `Quantity ${quantity} exceeds the account's maximum order quantity ${limits.maxOrderQuantity}.`,
      )
    : null;

/** The whole order's notional (its total quantity at the worst price it can trade at). */
export const maxOrderNotional: RiskCheck = ({ orderQuantity, reservationPrice, limits }) => {
  if (!limits || !orderQuantity?.isPositive() || !reservationPrice) return null;
  const notional = orderQuantity.times(reservationPrice);
  return notional.gt(limits.maxOrderNotional)
    ? rejection(
        'MAX_ORDER_NOTIONAL_EXCEEDED',
        `Order notional ${notional} exceeds the account's maximum order notional ${limits.maxOrderNotional}.`,
      )
    : null;
};

/** Both order types need a fresh reference price: limits for the collar, markets to price the order at all. */
export const referencePriceFresh: RiskCheck = ({ request, limits, nowMs }) => {
  const reference = request.referencePrice;
  if (!reference) {
    return rejection(
      'REFERENCE_PRICE_MISSING',
      `No reference price for ${request.order.instrumentId}; orders are refused until one arrives.`,
    );
  }
  if (!referenceUsable(reference, nowMs)) {
    return rejection(
      'REFERENCE_PRICE_INVALID',
      `The reference price for ${request.order.instrumentId} (${reference.price}, observed at ${reference.observedAt} ms) is not positive, or not observed at a real time up to now; orders are refused until a valid one arrives.`,
    );
  }
  if (limits && nowMs - reference.observedAt > limits.staleReferenceAfterMs) {
    return rejection(
      'REFERENCE_PRICE_STALE',
      `The reference price for ${request.order.instrumentId} is ${nowMs - reference.observedAt} ms old (limit ${limits.staleReferenceAfterMs} ms).`,
    );
  }
  return null;
};

export const priceCollar: RiskCheck = ({ request, limits, limitPrice, nowMs }) => {
  const reference = request.referencePrice;
  if (request.order.type !== 'LIMIT' || !limits || !reference || !limitPrice?.isPositive()) return null;
  if (!referenceUsable(reference, nowMs)) return null; // refused by referencePriceFresh
  const band = reference.price.times(limits.priceCollarFraction);
  const low = reference.price.minus(band);
  const high = reference.price.plus(band);
  if (limitPrice.lt(low) || limitPrice.gt(high)) {
    return rejection(
      'PRICE_COLLAR_BREACHED',
      `Limit price ${limitPrice} is outside ±${limits.priceCollarPercent}% of the reference price ${reference.price} (${low} to ${high}).`,
    );
  }
  return null;
};

/**
 * Position after every open order on this side fills, plus this one: open exposure counts, not only
 * fills. Beyond the limit it may only end on the same side as now and smaller (reducing); a flip
 * through zero is judged on where it ends.
 */
export const positionLimit: RiskCheck = ({ request: { order }, account, limits, quantity }) => {
  if (!limits || !quantity?.isPositive()) return null;
  const limit = positionLimitFor(limits, order.instrumentId);
  const position = positionQuantityOf(account, order.instrumentId);
  const open = openQuantityOf(account, order.instrumentId);
  const worstCase =
    order.side === 'BUY' ? position.plus(open.buy).plus(quantity) : position.minus(open.sell).minus(quantity);
  const sameSide = worstCase.isZero() || worstCase.isNegative() === position.isNegative();
  const reducing = sameSide && worstCase.abs().lte(position.abs());
  if (worstCase.abs().gt(limit) && !reducing) {
    return rejection(
      'POSITION_LIMIT_EXCEEDED',
      `Position in ${order.instrumentId} could reach ${worstCase} (now ${position}, open ${order.side === 'BUY' ? open.buy : open.sell} on this side), beyond the limit ±${limit}.`,
    );
  }
  return null;
};

export const openNotionalLimit: RiskCheck = ({ account, limits, notional }) => {
  if (!limits || !notional) return null;
  const total = account.openNotional.plus(notional);
  return total.gt(limits.maxOpenNotional)
    ? rejection(
        'OPEN_NOTIONAL_LIMIT_EXCEEDED',
        `Open order notional would reach ${total} (now ${account.openNotional}), beyond the credit limit ${limits.maxOpenNotional}.`,
      )
    : null;
};

/** One sliding window per kind of request: what it counts, its limit, and its code. */
const THROTTLES = {
  new: {
    times: 'recentOrderTimes',
    limit: 'maxOrdersPerWindow',
    code: 'ORDER_RATE_LIMIT_EXCEEDED',
    what: 'orders',
  },
  replace: {
    times: 'recentReplaceTimes',
    limit: 'maxReplacesPerWindow',
    code: 'REPLACE_RATE_LIMIT_EXCEEDED',
    what: 'replaces',
  },
} as const;

/**
 * Sliding windows over acceptance times: at most maxOrdersPerWindow new orders, and apart from them
 * maxReplacesPerWindow replaces, in any orderRateWindowMs.
 */
export const orderRateThrottle: RiskCheck = ({ account, limits, nowMs, kind }) => {
  if (!limits || kind === 'release') return null;
  const throttle = THROTTLES[kind];
  const times = account[throttle.times];
  const inWindow = times.length - firstTimeAfter(times, nowMs - limits.orderRateWindowMs);
  const limit = limits[throttle.limit];
  return inWindow >= limit
    ? rejection(
        throttle.code,
        `${inWindow} ${throttle.what} in the last ${limits.orderRateWindowMs} ms; the account allows ${limit}.`,
      )
    : null;
};

export const duplicateClientOrderId: RiskCheck = ({ account, request: { order } }) =>
  account.reservations.has(order.orderId)
    ? rejection(
        'DUPLICATE_CLIENT_ORDER_ID',
        `Client order id ${order.clientOrderId} is already in use on this account.`,
      )
    : null;

/** In reduce-only mode an order, with the open orders on its side, may only shrink the position. */
export const reduceOnly: RiskCheck = (ctx) => {
  if (!ctx.limits?.reduceOnly || !ctx.quantity?.isPositive()) return null;
  const growth = growthBeyondReduction(ctx);
  return growth === null ? null : rejection('REDUCE_ONLY_VIOLATION', `Account is reduce-only: ${growth}.`);
};

/** Every check, in the order rejections are reported. */
export const PRE_TRADE_CHECKS: readonly RiskCheck[] = [
  globalKillSwitch,
  accountKillSwitch,
  instrumentKillSwitch,
  limitsPresent,
  instrumentEligible,
  quantityPositive,
  quantityLotMultiple,
  quantityWithinInstrumentBounds,
  limitPriceShape,
  expiryShape,
  priceTickMultiple,
  maxOrderQuantity,
  referencePriceFresh,
  priceCollar,
  maxOrderNotional,
  positionLimit,
  openNotionalLimit,
  orderRateThrottle,
  duplicateClientOrderId,
  reduceOnly,
];

/** Runs every check and reports all that fail; an empty list means the order may go. */
export function runPreTradeChecks(ctx: RiskContext): RiskRejection[] {
  const rejections: RiskRejection[] = [];
  for (const check of PRE_TRADE_CHECKS) {
    const r = check(ctx);
    if (r) rejections.push(r);
  }
  return rejections;
}
