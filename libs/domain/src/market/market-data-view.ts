import { Decimal } from '../decimal/decimal';

/**
 * Market data as the OMS reads it (the API, triggers of emulated orders): each venue's book, its
 * recent trades, and a notice whenever either changes. The execution gateway's market-data handler
 * serves it in its process; elsewhere, what the active gateway publishes. Types only: no I/O here.
 */
export interface BookLevel {
  price: Decimal;
  quantity: Decimal;
}

/** One venue's book for one instrument, best level first on each side. */
export interface BookSnapshot {
  venueId: string;
  instrumentId: string;
  bids: readonly BookLevel[];
  asks: readonly BookLevel[];
  /** When the market showed this book (exchange time), ms since the epoch. */
  marketTime: number;
  /** When the OMS received it, ms since the epoch. */
  receivedAt: number;
}

/** A trade the venue printed (anyone's, not only the OMS's). */
export interface TradePrint {
  venueId: string;
  instrumentId: string;
  tradeId: string;
  price: Decimal;
  quantity: Decimal;
  /** The side that took liquidity, when the feed says. */
  aggressor: 'BUY' | 'SELL' | null;
  /** Exchange time, ms since the epoch. */
  marketTime: number;
  /**
   * Its place among the instrument's trades this source has seen (every venue's), numbered 1, 2, 3...
   * as they arrive: what is new since a given one, and how many there were.
   */
  sequence: number;
}

export interface MarketDataChange {
  kind: 'book' | 'trade';
  venueId: string;
  instrumentId: string;
}

/** Levels a book keeps for the API and publishes for other processes; deeper queries are refused. */
export const MAX_BOOK_DEPTH = 50;
/** Trades kept per venue and instrument; deeper queries are refused. */
export const MAX_RECENT_TRADES = 200;

export interface MarketDataView {
  /** Venues with a book for the instrument, each with its book. */
  books(instrumentId: string): BookSnapshot[];
  book(venueId: string, instrumentId: string): BookSnapshot | null;
  /** The last `last` trades (one venue's, or every venue's), oldest first. */
  trades(instrumentId: string, venueId: string | null, last: number): TradePrint[];
  /** Told of every change, synchronously and cheaply (a subscriber marks itself due, no more). */
  onChange(listener: (change: MarketDataChange) => void): () => void;
}

/** Several venues' trades, merged oldest first by market time, the last `last` kept. */
export function lastTrades(lists: readonly (readonly TradePrint[])[], last: number): TradePrint[] {
  const all = lists
    .flatMap((trades) => trades.slice(Math.max(0, trades.length - last)))
    .sort((a, b) => a.marketTime - b.marketTime || a.sequence - b.sequence);
  return all.slice(Math.max(0, all.length - last));
}
