import { Decimal } from '../decimal/decimal';
import { BookLevel, BookSnapshot } from './market-data-view';

export interface VenueQuantity {
  venueId: string;
  quantity: Decimal;
}

export interface ConsolidatedLevel {
  price: Decimal;
  quantity: Decimal;
  /** Largest first; venues showing the same quantity by id. */
  venues: VenueQuantity[];
}

export interface ConsolidatedBook {
  bids: ConsolidatedLevel[];
  asks: ConsolidatedLevel[];
  /** The latest market time among the books; null without any. */
  marketTime: number | null;
}

/** Every venue's book merged by price, the best `depth` levels a side. */
export function consolidateBooks(books: readonly BookSnapshot[], depth: number): ConsolidatedBook {
  return {
    bids: mergeSide(books, (b) => b.bids, -1, depth),
    asks: mergeSide(books, (b) => b.asks, 1, depth),
    marketTime: books.length === 0 ? null : Math.max(...books.map((b) => b.marketTime)),
  };
}

/** Halfway between a bid and an offer, exact (one more decimal place than the finer of the two). */
export function midOf(bid: Decimal | null, ask: Decimal | null): Decimal | null {
  if (!bid || !ask) return null;
  return bid.plus(ask).dividedBy(Decimal.of(2), Math.max(bid.decimalPlaces(), ask.decimalPlaces()) + 1);
}

/** direction -1: bids, best (highest) first; 1: asks, best (lowest) first. */
function mergeSide(
  books: readonly BookSnapshot[],
  side: (book: BookSnapshot) => readonly BookLevel[],
  direction: 1 | -1,
  depth: number,
): ConsolidatedLevel[] {
  const byPrice = new Map<string, ConsolidatedLevel>();
  for (const book of books) {
    // Each book is sorted: its best `depth` levels are all that can make the merged best `depth`.
    for (const level of side(book).slice(0, depth)) {
      const key = level.price.toString();
      const merged = byPrice.get(key);
      const venue = { venueId: book.venueId, quantity: level.quantity };
      if (merged) {
        merged.quantity = merged.quantity.plus(level.quantity);
        merged.venues.push(venue);
      } else {
        byPrice.set(key, { price: level.price, quantity: level.quantity, venues: [venue] });
      }
    }
  }
  const levels = [...byPrice.values()].sort((a, b) => a.price.cmp(b.price) * direction).slice(0, depth);
  for (const level of levels) {
    level.venues.sort((a, b) => b.quantity.cmp(a.quantity) || a.venueId.localeCompare(b.venueId));
  }
  return levels;
}
