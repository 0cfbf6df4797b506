import { Decimal } from '../decimal/decimal';
import { Side, sideSign } from '../shared/trading';

/**
 * One position in one instrument, average-cost method. `quantity` is signed (long > 0, short < 0).
 * Realised P&L is gross of fees; fees are kept beside it so net = realised + unrealised − fees.
 * This is the only implementation of position maths: the account aggregate and the projector both use it.
 */
export interface Position {
  instrumentId: string;
  quantity: Decimal;
  averagePrice: Decimal;
  realizedPnl: Decimal;
  fees: Decimal;
}

export interface PositionFill {
  side: Side;
  quantity: Decimal;
  price: Decimal;
  fee: Decimal;
}

export function flatPosition(instrumentId: string): Position {
  return {
    instrumentId,
    quantity: Decimal.ZERO,
    averagePrice: Decimal.ZERO,
    realizedPnl: Decimal.ZERO,
    fees: Decimal.ZERO,
  };
}

/**
 * Applies one execution. Adding to a position moves the average price; reducing it realises
 * (price − average) × closed quantity in the position's direction; crossing through zero closes the
 * whole position and opens the remainder at the fill price.
 */
export function applyFill(position: Position, fill: PositionFill): Position {
  const signed = fill.side === 'BUY' ? fill.quantity : fill.quantity.negated();
  const fees = position.fees.plus(fill.fee);
  const current = position.quantity;

  if (current.isZero() || current.sign() === signed.sign()) {
    const newQty = current.plus(signed);
    const averagePrice = current
      .abs()
      .times(position.averagePrice)
      .plus(fill.quantity.times(fill.price))
      .dividedBy(newQty.abs());
    return { ...position, quantity: newQty, averagePrice, fees };
  }

  const closing = Decimal.min(fill.quantity, current.abs());
  const direction = current.isPositive() ? Decimal.ONE : Decimal.ONE.negated();
  const realizedPnl = position.realizedPnl.plus(
    fill.price.minus(position.averagePrice).times(closing).times(direction),
  );
  const newQty = current.plus(signed);
  let averagePrice: Decimal;
  if (newQty.isZero()) averagePrice = Decimal.ZERO;
  else if (newQty.sign() === current.sign()) averagePrice = position.averagePrice;
  else averagePrice = fill.price; // flipped through zero: the remainder opens at this price
  return { ...position, quantity: newQty, averagePrice, realizedPnl, fees };
}

/** Mark-to-market P&L of the open quantity. */
export function unrealizedPnl(position: Position, markPrice: Decimal): Decimal {
  if (position.quantity.isZero()) return Decimal.ZERO;
  return markPrice.minus(position.averagePrice).times(position.quantity);
}

export interface PnlSummary {
  realized: Decimal;
  unrealized: Decimal;
  fees: Decimal;
  net: Decimal;
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
  const unmarked: string[] = [];
  for (const p of positions) {
    realized = realized.plus(p.realizedPnl);
    fees = fees.plus(p.fees);
    const mark = marks.get(p.instrumentId);
    if (mark) unrealized = unrealized.plus(unrealizedPnl(p, mark));
    else if (!p.quantity.isZero()) unmarked.push(p.instrumentId);
  }
  return { realized, unrealized, fees, net: realized.plus(unrealized).minus(fees), unmarked };
}

/** Quantity a fill adds to a signed position. */
export function signedQuantity(side: Side, quantity: Decimal): Decimal {
  return sideSign(side) === 1 ? quantity : quantity.negated();
}
