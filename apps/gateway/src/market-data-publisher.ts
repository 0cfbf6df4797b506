import { MARKET_DATA_CHANNEL, REFERENCE_PRICES_CHANNEL } from '@oms/application';
import { BookSnapshot, ReferencePrice } from '@oms/domain';
import { Clock, Logger } from '@oms/platform';
import { MarketDataHandler } from '@oms/venues';
import { DataSource } from 'typeorm';

/** How often a venue's unchanged status is written again: readers judge the gateway alive by it. */
const VENUE_STATUS_REFRESH_MS = 1_000;

/**
 * Shares the active gateway's market data with processes that run without it (docker compose's API
 * processes, a gateway standing by): every `intervalMs`, what changed since the last write, in one
 * transaction that notifies the readers on commit:
 * - each instrument's reference price with the time it was seen (risk judges its age there as it
 *   would here: a gateway that stops writing leaves prices that go stale, and orders fail closed);
 * - each venue's book and last trades that changed;
 * - the venues' status (connection, breaker, ...), rewritten each second even when unchanged, so a
 *   reader can tell a gateway that stopped reporting.
 */
export class MarketDataPublisher {
  /** When the price last written for each instrument was seen. */
  private readonly written = new Map<string, number>();
  private readonly changedBooks = new Set<string>();
  private readonly changedTrades = new Set<string>();
  private readonly unsubscribe: () => void;
  private venuesWritten = '';
  private venuesWrittenAt = -Infinity;
  private timer: unknown = null;
  private writing: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly marketData: MarketDataHandler,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly venues: () => { id: string }[] = () => [],
    private readonly intervalMs = 100,
  ) {
    // Everything the handler already holds is news to the readers.
    for (const instrumentId of marketData.instruments()) {
      for (const book of marketData.books(instrumentId)) {
        this.changedBooks.add(`${book.venueId}|${instrumentId}`);
        this.changedTrades.add(`${book.venueId}|${instrumentId}`);
      }
    }
    this.unsubscribe = marketData.onChange((change) =>
      (change.kind === 'book' ? this.changedBooks : this.changedTrades).add(
        `${change.venueId}|${change.instrumentId}`,
      ),
    );
  }

  start(): void {
    this.schedule();
  }

  /** Writes what changed since the last write; resolves with how many reference prices that was. */
  async publish(): Promise<number> {
    const prices: [string, ReferencePrice][] = [];
    for (const instrumentId of this.marketData.instruments()) {
      const reference = this.marketData.referencePrice(instrumentId);
      if (reference && reference.observedAt !== this.written.get(instrumentId)) {
        prices.push([instrumentId, reference]);
      }
    }
    const books = [...this.changedBooks].flatMap((key) => {
      const [venueId, instrumentId] = key.split('|');
      const book = this.marketData.book(venueId, instrumentId);
      return book ? [book] : [];
    });
    const trades = [...this.changedTrades].map((key) => key.split('|') as [string, string]);
    this.changedBooks.clear();
    this.changedTrades.clear();
    const now = this.clock.now();
    const venues = this.venues();
    const venuesJson = JSON.stringify(venues);
    const writeVenues =
      venues.length > 0 &&
      (venuesJson !== this.venuesWritten || now - this.venuesWrittenAt >= VENUE_STATUS_REFRESH_MS);
    if (prices.length + books.length + trades.length === 0 && !writeVenues) return 0;

    try {
      await this.write(prices, books, trades, writeVenues ? venues : [], now);
    } catch (error) {
      // Written next time instead.
      for (const book of books) this.changedBooks.add(`${book.venueId}|${book.instrumentId}`);
      for (const [venueId, instrumentId] of trades) this.changedTrades.add(`${venueId}|${instrumentId}`);
      throw error;
    }
    for (const [id, reference] of prices) this.written.set(id, reference.observedAt);
    if (writeVenues) {
      this.venuesWritten = venuesJson;
      this.venuesWrittenAt = now;
    }
    return prices.length;
  }

  private async write(
    prices: [string, ReferencePrice][],
    books: BookSnapshot[],
    trades: [string, string][],
    venues: { id: string }[],
    now: number,
  ): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      if (prices.length > 0) {
        await tx.query(
          `INSERT INTO md_reference_prices (instrument_id, price, observed_at)
           SELECT * FROM unnest($1::text[], $2::numeric[], $3::timestamptz[])
           ON CONFLICT (instrument_id) DO UPDATE SET price = EXCLUDED.price, observed_at = EXCLUDED.observed_at`,
          [
            prices.map(([id]) => id),
            prices.map(([, r]) => r.price.toString()),
            prices.map(([, r]) => new Date(r.observedAt).toISOString()),
          ],
        );
        await tx.query(`SELECT pg_notify('${REFERENCE_PRICES_CHANNEL}', '')`);
      }
      if (books.length > 0) {
        await tx.query(
          `INSERT INTO md_books (venue_id, instrument_id, bids, asks, market_time, received_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::timestamptz[], $6::timestamptz[])
           ON CONFLICT (venue_id, instrument_id) DO UPDATE SET bids = EXCLUDED.bids, asks = EXCLUDED.asks,
             market_time = EXCLUDED.market_time, received_at = EXCLUDED.received_at, version = nextval('md_version')`,
          [
            books.map((b) => b.venueId),
            books.map((b) => b.instrumentId),
            books.map((b) => JSON.stringify(b.bids.map((l) => [l.price.toString(), l.quantity.toString()]))),
            books.map((b) => JSON.stringify(b.asks.map((l) => [l.price.toString(), l.quantity.toString()]))),
            books.map((b) => new Date(b.marketTime).toISOString()),
            books.map((b) => new Date(b.receivedAt).toISOString()),
          ],
        );
      }
      if (trades.length > 0) {
        await tx.query(
          `INSERT INTO md_trades (venue_id, instrument_id, trades)
           SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
           ON CONFLICT (venue_id, instrument_id) DO UPDATE SET trades = EXCLUDED.trades, version = nextval('md_version')`,
          [
            trades.map(([venueId]) => venueId),
            trades.map(([, instrumentId]) => instrumentId),
            trades.map(([venueId, instrumentId]) =>
              JSON.stringify(
                this.marketData.trades(instrumentId, venueId, Number.MAX_SAFE_INTEGER).map((t) => ({
                  id: t.tradeId,
                  p: t.price.toString(),
                  q: t.quantity.toString(),
                  a: t.aggressor,
                  t: t.marketTime,
                })),
              ),
            ),
          ],
        );
      }
      if (venues.length > 0) {
        await tx.query(
          `INSERT INTO md_venues (venue_id, status, reported_at)
           SELECT * FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[])
           ON CONFLICT (venue_id) DO UPDATE SET status = EXCLUDED.status, reported_at = EXCLUDED.reported_at`,
          [
            venues.map((v) => v.id),
            venues.map((v) => JSON.stringify(v)),
            venues.map(() => new Date(now).toISOString()),
          ],
        );
      }
      if (books.length + trades.length + venues.length > 0) {
        await tx.query(`SELECT pg_notify('${MARKET_DATA_CHANNEL}', '')`);
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    await this.writing;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.writing = this.publish()
        .catch((error: unknown) => this.log.error({ err: error }, 'publishing market data'))
        .finally(() => this.schedule());
    }, this.intervalMs);
  }
}
