import { Decimal, midOf } from '@oms/domain';
import { MarketEvent, PriceLevel } from './market-data';

/**
 * The market's book for one instrument as a feed describes it: price levels, best first on each side.
 * Quotes set the top of book; book snapshots replace it; book deltas change single levels. Trades do
 * not change it (the feed's next book update does).
 */
export class L2Book {
  /** Best (highest) first. */
  bids: PriceLevel[] = [];
  /** Best (lowest) first. */
  asks: PriceLevel[] = [];
  /** Exchange time of the last update, µs; 0 before any. */
  updatedAt = 0;

  apply(event: MarketEvent): void {
    if (event.kind === 'trade') return;
    this.updatedAt = event.timestamp;
    if (event.kind === 'quote') {
      this.bids = event.bid && event.bid.quantity.isPositive() ? [event.bid] : [];
      this.asks = event.ask && event.ask.quantity.isPositive() ? [event.ask] : [];
      return;
    }
    if (event.snapshot) {
      this.bids = sorted(
        event.bids.filter((l) => l.quantity.isPositive()),
        -1,
      );
      this.asks = sorted(
        event.asks.filter((l) => l.quantity.isPositive()),
        1,
      );
      return;
    }
    for (const l of event.bids) upsert(this.bids, l, -1);
    for (const l of event.asks) upsert(this.asks, l, 1);
  }

  get bestBid(): PriceLevel | null {
    return this.bids[0] ?? null;
  }

  get bestAsk(): PriceLevel | null {
    return this.asks[0] ?? null;
  }

  /** Mid price, or the one side there is, or null for an empty book. */
  get mid(): Decimal | null {
    const bid = this.bestBid?.price ?? null;
    const ask = this.bestAsk?.price ?? null;
    return midOf(bid, ask) ?? bid ?? ask;
  }
}

/** direction 1: ascending prices (asks); -1: descending (bids). */
function sorted(levels: PriceLevel[], direction: 1 | -1): PriceLevel[] {
  return [...levels].sort((a, b) => a.price.cmp(b.price) * direction);
}

function upsert(levels: PriceLevel[], level: PriceLevel, direction: 1 | -1): void {
  // Binary search for the level's place in its side.
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (levels[mid].price.cmp(level.price) * direction < 0) lo = mid + 1;
    else hi = mid;
  }
  const same = lo < levels.length && levels[lo].price.eq(level.price);
  if (level.quantity.isZero() || level.quantity.isNegative()) {
    if (same) levels.splice(lo, 1);
  } else if (same) {
    levels[lo] = level;
  } else {
    levels.splice(lo, 0, level);
  }
}
