import {
  BookLevel,
  BookSnapshot,
  Decimal,
  MarketDataChange,
  MarketDataView,
  TradePrint,
  lastTrades,
} from '@oms/domain';
import { Client } from 'pg';
import { NotifiedReader } from './notified-reader';
import { SAFETY_READ_MS } from './reference-prices';

/** Notified (on commit) whenever the active gateway writes books, trades or venue statuses. */
export const MARKET_DATA_CHANNEL = 'oms_market_data';

/** A venue's status as the active gateway last wrote it, and when. */
export interface PublishedVenueStatus {
  status: { id: string } & Record<string, unknown>;
  reportedAt: number;
}

interface PublishedTrade {
  id: string;
  p: string;
  q: string;
  a: 'BUY' | 'SELL' | null;
  t: number;
}

/**
 * The market data the active execution gateway publishes (`md_books`, `md_trades`, `md_venues`),
 * held in memory for an API process without it: read at start, again on every notice (only the rows
 * changed since the last read), and every second in case one was missed. Trades are numbered here as
 * they are first seen, so a gateway that takes over (and numbers its own afresh) repeats none.
 */
export class PublishedMarketData implements MarketDataView {
  private readonly bookMap = new Map<string, BookSnapshot>();
  private readonly tradeMap = new Map<string, TradePrint[]>();
  private readonly byInstrument = new Map<string, Set<string>>();
  private readonly venueMap = new Map<string, PublishedVenueStatus>();
  private readonly listeners = new Set<(change: MarketDataChange) => void>();
  private readonly reader: NotifiedReader;
  /** The last version read of each table (one writer, so a table's versions commit in order). */
  private bookVersion = '0';
  private tradeVersion = '0';
  /** Trades seen per instrument. */
  private readonly tradeCounts = new Map<string, number>();

  private constructor(connectionString: string, safetyReadMs: number) {
    this.reader = new NotifiedReader(
      connectionString,
      MARKET_DATA_CHANNEL,
      (client) => this.readOnce(client),
      safetyReadMs,
    );
  }

  static async start(connectionString: string, safetyReadMs = SAFETY_READ_MS): Promise<PublishedMarketData> {
    const marketData = new PublishedMarketData(connectionString, safetyReadMs);
    await marketData.reader.start();
    return marketData;
  }

  books(instrumentId: string): BookSnapshot[] {
    return [...(this.byInstrument.get(instrumentId) ?? [])].flatMap((key) => this.bookMap.get(key) ?? []);
  }

  book(venueId: string, instrumentId: string): BookSnapshot | null {
    return this.bookMap.get(`${venueId}|${instrumentId}`) ?? null;
  }

  trades(instrumentId: string, venueId: string | null, last: number): TradePrint[] {
    const keys = [...(this.byInstrument.get(instrumentId) ?? [])].filter(
      (key) => venueId === null || key === `${venueId}|${instrumentId}`,
    );
    return lastTrades(
      keys.map((key) => this.tradeMap.get(key) ?? []),
      last,
    );
  }

  onChange(listener: (change: MarketDataChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every venue the active gateway reported, as it last did. */
  venues(): PublishedVenueStatus[] {
    return [...this.venueMap.values()];
  }

  stop(): Promise<void> {
    return this.reader.stop();
  }

  private async readOnce(client: Client): Promise<void> {
    const changes: MarketDataChange[] = [];
    const books = await client.query<{
      venue_id: string;
      instrument_id: string;
      bids: [string, string][];
      asks: [string, string][];
      market_ms: string;
      received_ms: string;
      version: string;
    }>(
      `SELECT venue_id, instrument_id, bids, asks, version::text AS version,
              floor(extract(epoch FROM market_time) * 1000)::bigint AS market_ms,
              floor(extract(epoch FROM received_at) * 1000)::bigint AS received_ms
         FROM md_books WHERE version > $1::bigint`,
      [this.bookVersion],
    );
    const trades = await client.query<{
      venue_id: string;
      instrument_id: string;
      trades: PublishedTrade[];
      version: string;
    }>(
      `SELECT venue_id, instrument_id, trades, version::text AS version FROM md_trades WHERE version > $1::bigint`,
      [this.tradeVersion],
    );
    const venues = await client.query<{ status: PublishedVenueStatus['status']; reported_ms: string }>(
      `SELECT status, floor(extract(epoch FROM reported_at) * 1000)::bigint AS reported_ms FROM md_venues`,
    );
    let bookVersion = BigInt(this.bookVersion);
    let tradeVersion = BigInt(this.tradeVersion);
    for (const row of books.rows) {
      const key = this.known(row.venue_id, row.instrument_id);
      this.bookMap.set(key, {
        venueId: row.venue_id,
        instrumentId: row.instrument_id,
        bids: row.bids.map(levelOf),
        asks: row.asks.map(levelOf),
        marketTime: Number(row.market_ms),
        receivedAt: Number(row.received_ms),
      });
      changes.push({ kind: 'book', venueId: row.venue_id, instrumentId: row.instrument_id });
      if (BigInt(row.version) > bookVersion) bookVersion = BigInt(row.version);
    }
    for (const row of trades.rows) {
      const key = this.known(row.venue_id, row.instrument_id);
      const held = this.tradeMap.get(key) ?? [];
      const seen = new Set(held.map((t) => `${t.tradeId}|${t.marketTime}`));
      const fresh = row.trades.filter((t) => !seen.has(`${t.id}|${t.t}`));
      if (fresh.length > 0) {
        const next = [
          ...held,
          ...fresh.map((t) => ({
            venueId: row.venue_id,
            instrumentId: row.instrument_id,
            tradeId: t.id,
            price: Decimal.parse(t.p),
            quantity: Decimal.parse(t.q),
            aggressor: t.a,
            marketTime: t.t,
            sequence: this.countTrade(row.instrument_id),
          })),
        ];
        this.tradeMap.set(key, next.slice(Math.max(0, next.length - row.trades.length)));
        changes.push({ kind: 'trade', venueId: row.venue_id, instrumentId: row.instrument_id });
      }
      if (BigInt(row.version) > tradeVersion) tradeVersion = BigInt(row.version);
    }
    for (const row of venues.rows) {
      this.venueMap.set(row.status.id, { status: row.status, reportedAt: Number(row.reported_ms) });
    }
    this.bookVersion = bookVersion.toString();
    this.tradeVersion = tradeVersion.toString();
    for (const change of changes) for (const listener of this.listeners) listener(change);
  }

  private countTrade(instrumentId: string): number {
    const count = (this.tradeCounts.get(instrumentId) ?? 0) + 1;
    this.tradeCounts.set(instrumentId, count);
    return count;
  }

  private known(venueId: string, instrumentId: string): string {
    const key = `${venueId}|${instrumentId}`;
    let keys = this.byInstrument.get(instrumentId);
    if (!keys) this.byInstrument.set(instrumentId, (keys = new Set()));
    keys.add(key);
    return key;
  }
}

function levelOf([price, quantity]: [string, string]): BookLevel {
  return { price: Decimal.parse(price), quantity: Decimal.parse(quantity) };
}
