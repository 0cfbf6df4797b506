import {
  BookSnapshot,
  MAX_BOOK_DEPTH,
  MAX_RECENT_TRADES,
  TradePrint,
  consolidateBooks,
  midOf,
} from '@oms/domain';
import { CommandSide, Refusal } from '@oms/application';
import { VENUE_ID } from '@oms/venues';
import { Inject } from '@nestjs/common';
import { Args, Context, ID, Int, Query, Resolver, Subscription } from '@nestjs/graphql';
import { COMMAND_SIDE } from '../commands/command-side.token';
import { API_DEPS, ApiDeps } from './api-deps';
import { ConflatedFeed } from './conflated-feed';
import { Identity, RequestContext } from './identity';
import {
  Book,
  ConsolidatedBook,
  MarketTrade,
  Quote,
  ReferencePriceView,
  TradesUpdate,
} from './market-data.types';
import { INSTRUMENT_ID } from './types';
import { OmsQueries } from './views';

/** Updates per second one subscription receives at most, unless configured (OMS_MARKET_DATA_RATE). */
export const DEFAULT_MARKET_DATA_RATE = 10;

/**
 * Market data for strategies and front-ends: books, the consolidated book, quotes, reference prices
 * and trades, queried or subscribed (each subscription conflated to its rate: the latest state, never
 * a queue). Read access is the `market-data` permission.
 */
@Resolver()
export class MarketDataResolver {
  /** Each instrument's quote until its books change: made once for every subscriber and query. */
  private readonly quotes = new Map<string, Quote>();

  constructor(
    @Inject(API_DEPS) private readonly deps: ApiDeps,
    @Inject(COMMAND_SIDE) private readonly side: CommandSide,
    private readonly queries: OmsQueries,
    private readonly identity: Identity,
  ) {
    deps.marketData.onChange((change) => change.kind === 'book' && this.quotes.delete(change.instrumentId));
  }

  @Query(() => Book, { nullable: true, description: 'One venue’s book; null before it has shown one.' })
  book(
    @Args('venueId', { type: () => ID }) venueId: string,
    @Args('instrumentId', { type: () => ID }) instrumentId: string,
    @Args('depth', { type: () => Int, defaultValue: 10, description: `Levels a side, 1–${MAX_BOOK_DEPTH}.` })
    depth: number,
    @Context() context: RequestContext,
  ): Book | null {
    this.identity.require(context, 'market-data');
    this.checkVenue(venueId);
    this.checkInstrument(instrumentId);
    this.checkDepth(depth);
    const book = this.deps.marketData.book(venueId, instrumentId);
    return book && bookView(book, depth);
  }

  @Query(() => ConsolidatedBook, { description: 'Every venue’s book merged by price.' })
  consolidatedBook(
    @Args('instrumentId', { type: () => ID }) instrumentId: string,
    @Args('depth', { type: () => Int, defaultValue: 10, description: `Levels a side, 1–${MAX_BOOK_DEPTH}.` })
    depth: number,
    @Context() context: RequestContext,
  ): ConsolidatedBook {
    this.identity.require(context, 'market-data');
    this.checkInstrument(instrumentId);
    this.checkDepth(depth);
    return this.consolidated(instrumentId, depth);
  }

  @Query(() => Quote, { description: 'Best bid and offer per venue and across venues.' })
  quote(
    @Args('instrumentId', { type: () => ID }) instrumentId: string,
    @Context() context: RequestContext,
  ): Quote {
    this.identity.require(context, 'market-data');
    this.checkInstrument(instrumentId);
    return this.quoteOf(instrumentId);
  }

  @Query(() => ReferencePriceView, {
    nullable: true,
    description:
      'The price pre-trade risk judges orders against, its age, and (with an account) whether risk considers it stale; null: none, so orders are refused.',
  })
  async referencePrice(
    @Args('instrumentId', { type: () => ID }) instrumentId: string,
    @Args('accountId', { type: () => ID, nullable: true }) accountId: string | null,
    @Context() context: RequestContext,
  ): Promise<ReferencePriceView | null> {
    this.identity.require(context, 'market-data');
    this.checkInstrument(instrumentId);
    if (accountId) this.identity.require(context, 'read', accountId);
    const now = this.side.clock.now();
    const reference = this.deps.prices.referencePrice(instrumentId, new Date(now));
    if (!reference) return null;
    const limits = accountId ? await this.queries.riskLimits(accountId) : null;
    const ageMs = Math.max(0, now - reference.observedAt);
    const staleAfterMs = limits?.staleReferenceAfterMs ?? null;
    return {
      instrumentId,
      price: reference.price,
      observedAt: new Date(reference.observedAt),
      ageMs,
      staleAfterMs,
      stale: staleAfterMs === null ? null : ageMs > staleAfterMs,
    };
  }

  @Query(() => [MarketTrade], { description: 'The last trades printed, oldest first.' })
  trades(
    @Args('instrumentId', { type: () => ID }) instrumentId: string,
    @Args('venueId', {
      type: () => ID,
      nullable: true,
      description: 'One venue’s; every venue’s when absent.',
    })
    venueId: string | null,
    @Args('last', { type: () => Int, defaultValue: 50, description: `1–${MAX_RECENT_TRADES}.` }) last: number,
    @Context() context: RequestContext,
  ): MarketTrade[] {
    this.identity.require(context, 'market-data');
    if (venueId) this.checkVenue(venueId);
    this.checkInstrument(instrumentId);
    if (!Number.isInteger(last) || last < 1 || last > MAX_RECENT_TRADES) {
      throw new Refusal(
        'INVALID_PAGE_SIZE',
        `The number of trades (last) must be 1 to ${MAX_RECENT_TRADES}.`,
      );
    }
    return this.deps.marketData.trades(instrumentId, venueId ?? null, last).map(tradeView);
  }

  @Subscription(() => Quote, {
    description:
      'The quote each time it changes, at most maxPerSecond times a second (the latest each time).',
    resolve: (quote: Quote) => quote,
  })
  quoteUpdated(
    @Args('instrumentId', { type: () => ID }) instrumentId: string,
    @Args('maxPerSecond', { type: () => Int, nullable: true }) maxPerSecond: number | null,
    @Context() context: RequestContext,
  ): AsyncIterableIterator<Quote> {
    this.identity.require(context, 'market-data');
    this.checkInstrument(instrumentId);
    return this.feed(
      context,
      maxPerSecond,
      (change) => change.kind === 'book' && change.instrumentId === instrumentId,
      () => this.quoteOf(instrumentId),
    );
  }

  @Subscription(() => Book, {
    description: 'One venue’s book each time it changes, at most maxPerSecond times a second.',
    resolve: (book: Book) => book,
  })
  bookUpdated(
    @Args('venueId', { type: () => ID }) venueId: string,
    @Args('instrumentId', { type: () => ID }) instrumentId: string,
    @Args('depth', { type: () => Int, defaultValue: 10 }) depth: number,
    @Args('maxPerSecond', { type: () => Int, nullable: true }) maxPerSecond: number | null,
    @Context() context: RequestContext,
  ): AsyncIterableIterator<Book> {
    this.identity.require(context, 'market-data');
    this.checkVenue(venueId);
    this.checkInstrument(instrumentId);
    this.checkDepth(depth);
    return this.feed(
      context,
      maxPerSecond,
      (change) =>
        change.kind === 'book' && change.venueId === venueId && change.instrumentId === instrumentId,
      () => {
        const book = this.deps.marketData.book(venueId, instrumentId);
        return book && bookView(book, depth);
      },
    );
  }

  @Subscription(() => TradesUpdate, {
    description:
      'Trades as venues print them: each update holds those since the last (at most 200; skipped counts the rest), at most maxPerSecond updates a second.',
    resolve: (update: TradesUpdate) => update,
  })
  tradeExecuted(
    @Args('instrumentId', { type: () => ID }) instrumentId: string,
    @Args('maxPerSecond', { type: () => Int, nullable: true }) maxPerSecond: number | null,
    @Context() context: RequestContext,
  ): AsyncIterableIterator<TradesUpdate> {
    this.identity.require(context, 'market-data');
    this.checkInstrument(instrumentId);
    // From the subscription on: the trades already printed are the trades query's.
    let seen = Math.max(0, ...this.deps.marketData.trades(instrumentId, null, 1).map((t) => t.sequence));
    return this.feed(
      context,
      maxPerSecond,
      (change) => change.kind === 'trade' && change.instrumentId === instrumentId,
      () => {
        const recent = this.deps.marketData.trades(instrumentId, null, MAX_RECENT_TRADES);
        const fresh = recent.filter((t) => t.sequence > seen);
        if (fresh.length === 0) return null;
        // An instrument's trades are numbered one by one: the newest number says how many were printed.
        const newest = Math.max(...fresh.map((t) => t.sequence));
        const skipped = newest - seen - fresh.length;
        seen = newest;
        return { instrumentId, trades: fresh.map(tradeView), skipped };
      },
    );
  }

  private feed<T>(
    context: RequestContext,
    maxPerSecond: number | null,
    relevant: (change: { kind: string; venueId: string; instrumentId: string }) => boolean,
    render: () => T | null,
  ): AsyncIterableIterator<T> {
    const limit = this.deps.marketDataRate ?? DEFAULT_MARKET_DATA_RATE;
    const rate = maxPerSecond ?? limit;
    if (!Number.isInteger(rate) || rate < 1 || rate > limit) {
      throw new Refusal(
        'INVALID_RATE',
        `A subscription's maxPerSecond must be 1 to ${limit} on this server.`,
      );
    }
    return new ConflatedFeed<T>(
      (changed) => this.deps.marketData.onChange((change) => relevant(change) && changed()),
      render,
      1000 / rate,
      this.side.clock,
      () => this.identity.stillPermits(context, 'market-data'),
    );
  }

  private consolidated(instrumentId: string, depth: number): ConsolidatedBook {
    const merged = consolidateBooks(this.deps.marketData.books(instrumentId), depth);
    return {
      instrumentId,
      bids: merged.bids,
      asks: merged.asks,
      marketTime: merged.marketTime === null ? null : new Date(merged.marketTime),
    };
  }

  private quoteOf(instrumentId: string): Quote {
    const cached = this.quotes.get(instrumentId);
    if (cached) return cached;
    const quote = this.makeQuote(instrumentId);
    this.quotes.set(instrumentId, quote);
    return quote;
  }

  private makeQuote(instrumentId: string): Quote {
    const books = this.deps.marketData.books(instrumentId);
    const top = consolidateBooks(books, 1);
    const bid = top.bids[0] ?? null;
    const ask = top.asks[0] ?? null;
    return {
      instrumentId,
      venues: books.map((b) => ({
        venueId: b.venueId,
        bid: b.bids[0] ?? null,
        ask: b.asks[0] ?? null,
        marketTime: new Date(b.marketTime),
        receivedAt: new Date(b.receivedAt),
      })),
      bid,
      ask,
      mid: midOf(bid?.price ?? null, ask?.price ?? null),
      marketTime: top.marketTime === null ? null : new Date(top.marketTime),
    };
  }

  private checkInstrument(instrumentId: string): void {
    if (!INSTRUMENT_ID.test(instrumentId) || !this.side.reference.instrument(instrumentId).instrument) {
      throw new Refusal('INSTRUMENT_NOT_FOUND', `Instrument ${instrumentId.slice(0, 32)} is not defined.`);
    }
  }

  private checkVenue(venueId: string): void {
    if (!VENUE_ID.test(venueId) || !this.deps.venues().some((v) => v.id === venueId)) {
      throw new Refusal('VENUE_NOT_FOUND', `Venue ${venueId.slice(0, 32)} is not known to the OMS.`);
    }
  }

  private checkDepth(depth: number): void {
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_BOOK_DEPTH) {
      throw new Refusal('INVALID_DEPTH', `A book's depth must be 1 to ${MAX_BOOK_DEPTH} levels.`);
    }
  }
}

function bookView(book: BookSnapshot, depth: number): Book {
  return {
    venueId: book.venueId,
    instrumentId: book.instrumentId,
    bids: book.bids.slice(0, depth),
    asks: book.asks.slice(0, depth),
    marketTime: new Date(book.marketTime),
    receivedAt: new Date(book.receivedAt),
  };
}

function tradeView(trade: TradePrint): MarketTrade {
  return { ...trade, marketTime: new Date(trade.marketTime) };
}
