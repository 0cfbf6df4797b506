import { DECIMAL_MAX_SCALE, Decimal } from '../decimal/decimal';
import { Side, sideSign } from '../shared/trading';

/**
 * One position in one instrument, average-cost method. `quantity` is signed (long > 0, short < 0).
 * `costBasis` is what the open quantity cost, signed like it (quantity × average price), kept exact:
 * the average price is derived from it for display and never used in arithmetic.
 * Realised P&L is gross of fees; fees are kept beside it so net = realised + unrealised − fees. `fees`
 * are in the quote currency (what P&L is in); a fee charged in another currency (the base, a venue
 * token) is kept apart in `otherFees`, by currency, and never added to unlike units.
 * This is the only implementation of position maths: the account aggregate and the projector both use it.
 */
export interface Position {
  instrumentId: string;
  quantity: Decimal;
  costBasis: Decimal;
  /** costBasis / |quantity| at DIVISION_SCALE places: for people, not for sums. */
  averagePrice: Decimal;
  realizedPnl: Decimal;
  fees: Decimal;
  otherFees: Readonly<Record<string, Decimal>>;
}

export interface PositionFill {
  side: Side;
  quantity: Decimal;
  price: Decimal;
  fee: Decimal;
  /** The fee's currency when it is not the quote currency; absent or null: the quote currency. */
  feeCurrency?: string | null;
}

export function flatPosition(instrumentId: string): Position {
  return {
    instrumentId,
    quantity: Decimal.ZERO,
    costBasis: Decimal.ZERO,
    averagePrice: Decimal.ZERO,
    realizedPnl: Decimal.ZERO,
    fees: Decimal.ZERO,
    otherFees: {},
  };
}

/**
 * Applies one execution. Adding to a position adds the fill's cost to the cost basis; reducing it
 * realises the proceeds minus the share of the cost basis the closed quantity carried; crossing through
 * zero closes the whole position and opens the remainder at the fill price.
 *
 * Every sum here is exact. The one division — the share of the cost a partial close removes,
 * costBasis × closed / held — is rounded half-even at the finest place a decimal holds (10^-30), and
 * the rounding stays in the cost basis of what is still held: realised P&L minus the open cost basis is
 * always exactly the cash that moved, and a position that goes flat has realised exactly its round trip.
 */
export function applyFill(before: Position, fill: PositionFill): Position {
  const signed = fill.side === 'BUY' ? fill.quantity : fill.quantity.negated();
  const position = withFee(before, fill);
  const fees = position.fees;
  const current = position.quantity;

  if (current.isZero() || current.sign() === signed.sign()) {
    return withCost(position, current.plus(signed), position.costBasis.plus(cost(signed, fill.price)), fees);
  }

  const held = current.abs();
  const closing = Decimal.min(fill.quantity, held);
  const closedCost = closing.eq(held)
    ? position.costBasis
    : position.costBasis.times(closing).dividedBy(held, DECIMAL_MAX_SCALE);
  const closedValue = cost(current.isPositive() ? closing : closing.negated(), fill.price);
  const realizedPnl = position.realizedPnl.plus(closedValue).minus(closedCost);
  const remainder = fill.quantity.minus(closing);
  const next = remainder.isZero()
    ? withCost(position, current.plus(signed), position.costBasis.minus(closedCost), fees)
    : // flipped through zero: the remainder opens at this price
      withCost(
        position,
        signedQuantity(fill.side, remainder),
        cost(signedQuantity(fill.side, remainder), fill.price),
        fees,
      );
  return { ...next, realizedPnl };
}

function withFee(position: Position, fill: PositionFill): Position {
  const currency = fill.feeCurrency ?? null;
  if (currency === null) return { ...position, fees: position.fees.plus(fill.fee) };
  const other = position.otherFees[currency] ?? Decimal.ZERO;
  return { ...position, otherFees: { ...position.otherFees, [currency]: other.plus(fill.fee) } };
}

/**
 * What a signed quantity at a price costs: exact whenever it fits in a decimal (quantity and price
 * within tick and lot sizes always do); a venue price finer than that is rounded at the 30th place.
 */
function cost(signedQuantity: Decimal, price: Decimal): Decimal {
  return signedQuantity.times(price).round(DECIMAL_MAX_SCALE);
}

function withCost(position: Position, quantity: Decimal, costBasis: Decimal, fees: Decimal): Position {
  const averagePrice = quantity.isZero() ? Decimal.ZERO : costBasis.dividedBy(quantity);
  return { ...position, quantity, costBasis, averagePrice, fees };
}

/** Mark-to-market P&L of the open quantity. */
export function unrealizedPnl(position: Position, markPrice: Decimal): Decimal {
  if (position.quantity.isZero()) return Decimal.ZERO;
  return cost(position.quantity, markPrice).minus(position.costBasis);
}

export interface PnlSummary {
  realized: Decimal;
  unrealized: Decimal;
  /** In the quote currency: part of net. */
  fees: Decimal;
  net: Decimal;
  /** Fees in other currencies, by currency: reported beside net, not in it. */
  otherFees: Record<string, Decimal>;
}

/**
 * Sums P&L over positions. A position without a mark contributes no unrealised P&L (and is listed in
 * `unmarked` so a caller can say so rather than show a confident zero).
 */
export function summarizePnl(
  positions: Iterable<Position>,
  marks: ReadonlyMap<string, Decimal>,
): PnlSummary & { unmarked: string[] } {
  let realized = Decimal.ZERO;
  let unrealized = Decimal.ZERO;
  let fees = Decimal.ZERO;
  const otherFees: Record<string, Decimal> = {};
  const unmarked: string[] = [];
  for (const p of positions) {
    realized = realized.plus(p.realizedPnl);
    fees = fees.plus(p.fees);
    for (const [currency, fee] of Object.entries(p.otherFees)) {
      otherFees[currency] = (otherFees[currency] ?? Decimal.ZERO).plus(fee);
    }
    const mark = marks.get(p.instrumentId);
    if (mark) unrealized = unrealized.plus(unrealizedPnl(p, mark));
    else if (!p.quantity.isZero()) unmarked.push(p.instrumentId);
  }
  return { realized, unrealized, fees, net: realized.plus(unrealized).minus(fees), otherFees, unmarked };
}

/** Quantity a fill adds to a signed position. */
export function signedQuantity(side: Side, quantity: Decimal): Decimal {
  return sideSign(side) === 1 ? quantity : quantity.negated();
}
