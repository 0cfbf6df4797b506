import {
  BookSnapshot,
  Decimal,
  MAX_BOOK_DEPTH,
  MAX_RECENT_TRADES,
  MarketDataChange,
  MarketDataView,
  ReferencePrice,
  TradePrint,
  lastTrades,
} from '@oms/domain';
import { Clock } from '@oms/platform';
import { L2Book } from './l2-book';
import { MarketEvent } from './market-data';

interface VenueInstrument {
  venueId: string;
  instrumentId: string;
  book: L2Book;
  /** When the book last changed, local clock (ms). */
  seenAt: number;
  /** The last MAX_RECENT_TRADES trades, oldest first. */
  trades: TradePrint[];
  /** The readers' copy of the book, made on first read after a change. */
  snapshot: BookSnapshot | null;
}

/**
 * Books and recent trades per venue and instrument, fed by every venue's market data: the router's
 * books, the market data the API serves and emulated orders trigger on, and reference prices for
 * pre-trade risk: the mid of the freshest book across venues, stamped with when it was seen (risk
 * rejects a reference older than the account's staleness limit).
 */
export class MarketDataHandler implements MarketDataView {
  private readonly entries = new Map<string, VenueInstrument>();
  private readonly byInstrument = new Map<string, VenueInstrument[]>();
  /** The reference price per instrument until its market data changes (one object, shared). */
  private readonly references = new Map<string, ReferencePrice | null>();
  private readonly listeners = new Set<(change: MarketDataChange) => void>();
  /** Trades seen per instrument. */
  private readonly tradeCounts = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  onMarketData(venueId: string, instrumentId: string, event: MarketEvent): void {
    const key = `${venueId}|${instrumentId}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { venueId, instrumentId, book: new L2Book(), seenAt: 0, trades: [], snapshot: null };
      this.entries.set(key, entry);
      const venues = this.byInstrument.get(instrumentId) ?? [];
      venues.push(entry);
      this.byInstrument.set(instrumentId, venues);
    }
    if (event.kind === 'trade') {
      entry.trades.push({
        venueId,
        instrumentId,
        tradeId: event.tradeId,
        price: event.price,
        quantity: event.quantity,
        aggressor: event.aggressor,
        marketTime: Math.floor(event.timestamp / 1000),
        sequence: this.countTrade(instrumentId),
      });
      if (entry.trades.length > MAX_RECENT_TRADES * 2) entry.trades = entry.trades.slice(-MAX_RECENT_TRADES);
    } else {
      entry.book.apply(event);
      entry.seenAt = this.clock.now();
      entry.snapshot = null;
      this.references.delete(instrumentId);
    }
    if (this.listeners.size > 0) {
      const change: MarketDataChange = {
        kind: event.kind === 'trade' ? 'trade' : 'book',
        venueId,
        instrumentId,
      };
      for (const listener of this.listeners) listener(change);
    }
  }

  /** Every instrument some venue has sent market data for. */
  instruments(): Iterable<string> {
    return this.byInstrument.keys();
  }

  /** The router's book of one venue (live: it changes as the feed does). */
  orderBook(venueId: string, instrumentId: string): L2Book | null {
    return this.entries.get(`${venueId}|${instrumentId}`)?.book ?? null;
  }

  books(instrumentId: string): BookSnapshot[] {
    return (this.byInstrument.get(instrumentId) ?? []).map((entry) => this.snapshotOf(entry));
  }

  book(venueId: string, instrumentId: string): BookSnapshot | null {
    const entry = this.entries.get(`${venueId}|${instrumentId}`);
    return entry ? this.snapshotOf(entry) : null;
  }

  /** The last `last` trades of one venue or of all, oldest first. */
  trades(instrumentId: string, venueId: string | null, last: number): TradePrint[] {
    const entries = (this.byInstrument.get(instrumentId) ?? []).filter(
      (entry) => venueId === null || entry.venueId === venueId,
    );
    return lastTrades(
      entries.map((entry) => entry.trades),
      last,
    );
  }

  onChange(listener: (change: MarketDataChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  referencePrice(instrumentId: string): ReferencePrice | null {
    const cached = this.references.get(instrumentId);
    if (cached !== undefined) return cached;
    let best: ReferencePrice | null = null;
    for (const entry of this.byInstrument.get(instrumentId) ?? []) {
      const mid = entry.book.mid;
      if (mid && (!best || entry.seenAt > best.observedAt)) best = { price: mid, observedAt: entry.seenAt };
    }
    this.references.set(instrumentId, best);
    return best;
  }

  markPrice(instrumentId: string): Decimal | null {
    return this.referencePrice(instrumentId)?.price ?? null;
  }

  private countTrade(instrumentId: string): number {
    const count = (this.tradeCounts.get(instrumentId) ?? 0) + 1;
    this.tradeCounts.set(instrumentId, count);
    return count;
  }

  private snapshotOf(entry: VenueInstrument): BookSnapshot {
    entry.snapshot ??= {
      venueId: entry.venueId,
      instrumentId: entry.instrumentId,
      bids: entry.book.bids.slice(0, MAX_BOOK_DEPTH),
      asks: entry.book.asks.slice(0, MAX_BOOK_DEPTH),
      marketTime: Math.floor(entry.book.updatedAt / 1000),
      receivedAt: entry.seenAt,
    };
    return entry.snapshot;
  }
}
