import { Decimal, RouteSlice, Side, TimeInForce } from '@oms/domain';
import { L2Book } from '../market-data/l2-book';
import { BreakerState } from '../resilience/circuit-breaker';
import { VenueCapabilities } from '../venue';

export interface RoutableVenue {
  capabilities: VenueCapabilities;
  connected: boolean;
  breaker: BreakerState;
  book: L2Book | null;
}

export interface RouteRequest {
  orderId: string;
  instrumentId: string;
  side: Side;
  limitPrice: Decimal | null;
  /** What is open and to be sent. */
  quantity: Decimal;
  /** Direct routing. */
  venueId: string | null;
  timeInForce: TimeInForce;
  /** What the venue must work natively: only venues declaring it are considered. */
  postOnly?: boolean;
  iceberg?: boolean;
  /**
   * A stop to send natively as a stop-limit (at `limitPrice` once triggered): only to a venue that
   * declares STOP_LIMIT, and whole to one venue (its trigger is that venue's).
   */
  stopPrice?: Decimal | null;
  /** The number of the first slice (`<orderId>.<n>`): after the slices of an earlier routing. */
  firstSlice?: number;
}

export type RouteDecision = { slices: RouteSlice[]; rationale: string } | { refused: string };

interface Take {
  venueId: string;
  price: Decimal;
  effective: Decimal;
  quantity: Decimal;
}

/**
 * Smart order routing. Direct when the order names a venue. Otherwise: every connected venue that
 * trades the instrument and whose breaker is not open offers its visible book; levels are ranked by
 * effective price (price with the taker fee, best first) within the limit, and the order is split over
 * them by depth. What the visible books cannot take goes to the venue with the best effective price at
 * the touch (it rests there, or walks deeper). Child ids are `<orderId>.<n>`.
 */
export function routeOrder(request: RouteRequest, venues: RoutableVenue[]): RouteDecision {
  if (request.stopPrice) return routeNativeStop(request, request.stopPrice, venues);
  const needs = [
    request.postOnly ? 'post-only orders' : null,
    request.iceberg ? 'iceberg orders' : null,
  ].filter((need): need is string => need !== null);
  const trades = venues.filter(
    (v) =>
      request.instrumentId in v.capabilities.instruments &&
      (!request.postOnly || v.capabilities.postOnly === true) &&
      (!request.iceberg || v.capabilities.iceberg === true),
  );
  if (trades.length === 0 && needs.length > 0) {
    return { refused: `no venue trading ${request.instrumentId} takes ${needs.join(' and ')}` };
  }
  if (request.venueId !== null) {
    const venue = trades.find((v) => v.capabilities.venueId === request.venueId);
    if (!venue) {
      return {
        refused: `venue ${request.venueId} does not trade ${request.instrumentId}${needs.length ? ` as ${needs.join(' and ')}` : ''}`,
      };
    }
    return {
      slices: [slice(request, 1, request.venueId, request.quantity)],
      rationale: `direct to ${request.venueId} as the order asked`,
    };
  }
  const skipped = trades
    .filter((v) => !v.connected || v.breaker === 'OPEN')
    .map((v) => `${v.capabilities.venueId} (${v.connected ? 'breaker OPEN' : 'disconnected'})`);
  const usable = trades.filter((v) => v.connected && v.breaker !== 'OPEN');
  if (usable.length === 0) {
    return {
      refused: `no venue can take ${request.instrumentId} now${skipped.length ? `: ${skipped.join(', ')}` : ''}`,
    };
  }

  const buy = request.side === 'BUY';
  const takes: Take[] = [];
  for (const venue of usable) {
    const fee = venue.capabilities.fees.taker;
    for (const level of (buy ? venue.book?.asks : venue.book?.bids) ?? []) {
      if (
        request.limitPrice &&
        (buy ? level.price.gt(request.limitPrice) : level.price.lt(request.limitPrice))
      )
        break;
      const effective = buy
        ? level.price.times(Decimal.ONE.plus(fee))
        : level.price.times(Decimal.ONE.minus(fee));
      takes.push({
        venueId: venue.capabilities.venueId,
        price: level.price,
        effective,
        quantity: level.quantity,
      });
    }
  }
  takes.sort((a, b) => (buy ? a.effective.cmp(b.effective) : b.effective.cmp(a.effective)));

  const best = takes[0]?.venueId ?? usable[0].capabilities.venueId;
  if (request.timeInForce === 'FOK') {
    // All or nothing cannot be split: two venues could each fill part.
    return {
      slices: [slice(request, 1, best, request.quantity)],
      rationale:
        `FOK ${request.side} ${request.quantity} ${request.instrumentId} whole to ${best}, the best effective price` +
        (skipped.length ? `; skipped ${skipped.join(', ')}` : ''),
    };
  }
  const allocated = new Map<string, { quantity: Decimal; notional: Decimal }>();
  let left = request.quantity;
  for (const take of takes) {
    if (!left.isPositive()) break;
    const quantity = Decimal.min(left, take.quantity);
    const so = allocated.get(take.venueId) ?? { quantity: Decimal.ZERO, notional: Decimal.ZERO };
    allocated.set(take.venueId, {
      quantity: so.quantity.plus(quantity),
      notional: so.notional.plus(quantity.times(take.effective)),
    });
    left = left.minus(quantity);
  }
  if (left.isPositive()) {
    const so = allocated.get(best) ?? { quantity: Decimal.ZERO, notional: Decimal.ZERO };
    allocated.set(best, { ...so, quantity: so.quantity.plus(left) });
  }

  const order = [...allocated.keys()].sort((a, b) => (a === best ? -1 : b === best ? 1 : a < b ? -1 : 1));
  const slices = order.map((venueId, i) => slice(request, i + 1, venueId, allocated.get(venueId)!.quantity));
  const parts = order.map((venueId) => {
    const a = allocated.get(venueId)!;
    const visible = a.notional.isZero()
      ? null
      : a.notional.dividedBy(a.quantity.minus(venueId === best ? left : Decimal.ZERO), 2);
    return `${venueId} ${a.quantity}${visible ? ` (effective ${visible} incl. taker fee)` : ' (nothing visible: rests or walks there)'}`;
  });
  const rationale =
    `smart route ${request.side} ${request.quantity} ${request.instrumentId} by effective price and depth: ${parts.join(', ')}` +
    (left.isPositive() ? `; ${left} beyond the visible depth to ${best}` : '') +
    (skipped.length ? `; skipped ${skipped.join(', ')}` : '');
  return { slices, rationale };
}

/**
 * A stop held by a venue: the venue named, or among the connected venues that trade the instrument,
 * declare STOP_LIMIT and whose breaker is not open, the one with the lowest taker fee (a triggered
 * stop takes liquidity); refused when there is none, and the OMS holds the stop itself.
 */
function routeNativeStop(request: RouteRequest, stopPrice: Decimal, venues: RoutableVenue[]): RouteDecision {
  const candidates = venues.filter(
    (v) =>
      request.instrumentId in v.capabilities.instruments &&
      v.capabilities.orderTypes.includes('STOP_LIMIT') &&
      (request.venueId === null || v.capabilities.venueId === request.venueId),
  );
  const usable = candidates
    .filter((v) => v.connected && v.breaker !== 'OPEN')
    .sort(
      (a, b) =>
        a.capabilities.fees.taker.cmp(b.capabilities.fees.taker) ||
        (a.capabilities.venueId < b.capabilities.venueId ? -1 : 1),
    );
  const venue = usable[0];
  if (!venue) {
    const where = request.venueId ?? `any venue trading ${request.instrumentId}`;
    return {
      refused:
        candidates.length === 0
          ? `${where} does not hold stops (STOP_LIMIT)`
          : `no venue that holds stops can take ${request.instrumentId} now`,
    };
  }
  const venueId = venue.capabilities.venueId;
  const why = request.venueId
    ? 'direct as the order asked'
    : 'the lowest taker fee of the venues holding stops';
  return {
    slices: [{ ...slice(request, 1, venueId, request.quantity), stopPrice: stopPrice.toString() }],
    rationale:
      `native stop ${request.side} ${request.quantity} ${request.instrumentId} stop ${stopPrice}` +
      ` limit ${request.limitPrice ?? 'none'} whole to ${venueId} (${why}): the venue triggers it`,
  };
}

function slice(request: RouteRequest, n: number, venueId: string, quantity: Decimal): RouteSlice {
  return {
    childId: `${request.orderId}.${n + (request.firstSlice ?? 1) - 1}`,
    venueId,
    quantity: quantity.toString(),
    limitPrice: request.limitPrice?.toString() ?? null,
  };
}
