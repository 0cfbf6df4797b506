import { Decimal } from '@oms/domain';

/**
 * One model for every feed (recorded tardis files, the synthetic demo feed, venues' own data):
 * trades, top-of-book quotes, and order-book updates (a full snapshot, or levels that changed).
 * Timestamps are microseconds since the Unix epoch, as tardis records them.
 */
export interface PriceLevel {
  price: Decimal;
  /** Zero in a book update removes the level. */
  quantity: Decimal;
}

interface MarketEventBase {
  exchange: string;
  symbol: string;
  /** Exchange time, µs. */
  timestamp: number;
  /** When it was received, µs. */
  localTimestamp: number;
}

export interface TradeTick extends MarketEventBase {
  kind: 'trade';
  tradeId: string;
  /** The side that took liquidity; null when the feed does not say. */
  aggressor: 'BUY' | 'SELL' | null;
  price: Decimal;
  quantity: Decimal;
}

export interface QuoteTick extends MarketEventBase {
  kind: 'quote';
  bid: PriceLevel | null;
  ask: PriceLevel | null;
}

export interface BookUpdate extends MarketEventBase {
  kind: 'book';
  /** A snapshot replaces the whole book; otherwise only the levels listed change. */
  snapshot: boolean;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

export type MarketEvent = TradeTick | QuoteTick | BookUpdate;
