import { Decimal, ReferencePrice } from '@oms/domain';
import { Clock } from '@oms/platform';
import { L2Book } from './l2-book';
import { MarketEvent } from './market-data';

/**
 * Books per venue and instrument, fed by every venue's market data, and reference prices for
 * pre-trade risk: the mid of the freshest book across venues, stamped with when it was seen (risk
 * rejects a reference older than the account's staleness limit).
 */
export class MarketDataHandler {
  private readonly books = new Map<string, L2Book>();
  private readonly seenAt = new Map<string, number>();
  private readonly instrumentIds = new Set<string>();
  /** The reference price per instrument until its market data changes (one object, shared). */
  private readonly references = new Map<string, ReferencePrice | null>();

  constructor(private readonly clock: Clock) {}

  onMarketData(venueId: string, instrumentId: string, event: MarketEvent): void {
    const key = `${venueId}|${instrumentId}`;
    let book = this.books.get(key);
    if (!book) {
      this.books.set(key, (book = new L2Book()));
      this.instrumentIds.add(instrumentId);
    }
    book.apply(event);
    if (event.kind !== 'trade') this.seenAt.set(key, this.clock.now());
    this.references.delete(instrumentId);
  }

  /** Every instrument some venue has sent market data for. */
  instruments(): Iterable<string> {
    return this.instrumentIds;
  }

  book(venueId: string, instrumentId: string): L2Book | null {
    return this.books.get(`${venueId}|${instrumentId}`) ?? null;
  }

  referencePrice(instrumentId: string): ReferencePrice | null {
    const cached = this.references.get(instrumentId);
    if (cached !== undefined) return cached;
    let best: ReferencePrice | null = null;
    for (const [key, book] of this.books) {
      if (!key.endsWith(`|${instrumentId}`)) continue;
      const mid = book.mid;
      const observedAt = this.seenAt.get(key) ?? 0;
      if (mid && (!best || observedAt > best.observedAt)) best = { price: mid, observedAt };
    }
    this.references.set(instrumentId, best);
    return best;
  }

  markPrice(instrumentId: string): Decimal | null {
    return this.referencePrice(instrumentId)?.price ?? null;
  }
}
