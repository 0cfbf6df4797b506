import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { RunningOms, eventually, startOms } from './harness';

jest.setTimeout(60_000);

interface Level {
  price: string;
  quantity: string;
}

const codeOf = (answer: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  answer.errors?.map((e) => e.extensions?.code);

/** Subscribes over graphql-ws as the demo trader; what arrives is collected until `stop`. */
function subscribe<T>(oms: RunningOms, query: string, key = oms.keys.trader) {
  const received: T[] = [];
  const errors: unknown[] = [];
  const client = createClient({
    url: `${oms.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
  });
  client.subscribe<T>(
    { query },
    {
      next: (message) => (message.data ? received.push(message.data as T) : errors.push(message.errors)),
      error: (error) => errors.push(error),
      complete: () => undefined,
    },
  );
  return { received, errors, stop: () => client.dispose() };
}

/** The demo's moving market (the synthetic feed on two simulated venues), served through the API. */
describe('market data through the API', () => {
  let oms: Awaited<ReturnType<typeof startOms>>;

  beforeAll(async () => {
    oms = await startOms(undefined, ['api', 'projector', 'ledger', 'gateway']);
    await eventually(
      async () =>
        (await oms.gql<{ book: unknown }>('{ book(venueId: "SIM-A", instrumentId: "BTCUSDT") { venueId } }'))
          .data?.book,
      (book) => book !== null && book !== undefined,
      'the first book from SIM-A',
    );
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  it('a venue’s book: levels best first, as deep as asked, with the market’s time', async () => {
    const { data, errors } = await oms.gql<{
      book: { venueId: string; bids: Level[]; asks: Level[]; marketTime: string; receivedAt: string };
    }>(
      '{ book(venueId: "SIM-A", instrumentId: "BTCUSDT", depth: 3) { venueId bids { price quantity } asks { price quantity } marketTime receivedAt } }',
    );
    expect(errors).toBeUndefined();
    const book = data!.book;
    expect(book.bids.length).toBeLessThanOrEqual(3);
    expect(book.bids.length).toBeGreaterThan(0);
    const bids = book.bids.map((l) => Number(l.price));
    const asks = book.asks.map((l) => Number(l.price));
    expect(bids).toEqual([...bids].sort((a, b) => b - a));
    expect(asks).toEqual([...asks].sort((a, b) => a - b));
    expect(bids[0]).toBeLessThan(asks[0]);
    // Prices and quantities are exact decimal strings.
    expect(book.bids[0].price).toMatch(/^\d+(\.\d+)?$/);
    expect(Date.parse(book.marketTime)).toBeGreaterThan(0);
  });

  it('the consolidated book sums each price over the venues that make it up; the quote names the best venues', async () => {
    const { data, errors } = await oms.gql<{
      consolidatedBook: { bids: (Level & { venues: { venueId: string; quantity: string }[] })[] };
      quote: {
        venues: { venueId: string; bid: Level | null }[];
        bid: { price: string; venues: { venueId: string }[] } | null;
        mid: string | null;
      };
    }>(`{ consolidatedBook(instrumentId: "BTCUSDT", depth: 5) { bids { price quantity venues { venueId quantity } } }
          quote(instrumentId: "BTCUSDT") { venues { venueId bid { price quantity } } bid { price venues { venueId } } mid } }`);
    expect(errors).toBeUndefined();
    for (const level of data!.consolidatedBook.bids) {
      const sum = level.venues.reduce((total, v) => total + Number(v.quantity), 0);
      expect(Number(level.quantity)).toBeCloseTo(sum, 9);
    }
    const quote = data!.quote;
    expect(quote.venues.map((v) => v.venueId).sort()).toEqual(['SIM-A', 'SIM-B']);
    const best = Math.max(...quote.venues.flatMap((v) => (v.bid ? [Number(v.bid.price)] : [])));
    expect(Number(quote.bid!.price)).toBe(best);
    expect(quote.mid).not.toBeNull();
  });

  it('the reference price says its age, and whether risk would find it stale for an account', async () => {
    const { data, errors } = await oms.gql<{
      referencePrice: { price: string; ageMs: number; staleAfterMs: number | null; stale: boolean | null };
      bare: { stale: boolean | null };
    }>(`{ referencePrice(instrumentId: "BTCUSDT", accountId: "demo") { price ageMs staleAfterMs stale }
          bare: referencePrice(instrumentId: "BTCUSDT") { stale } }`);
    expect(errors).toBeUndefined();
    expect(data!.referencePrice.staleAfterMs).toBe(10_000);
    expect(data!.referencePrice.stale).toBe(false);
    expect(data!.referencePrice.ageMs).toBeGreaterThanOrEqual(0);
    expect(data!.bare.stale).toBeNull();
  });

  it('trades printed on the venues, oldest first, one venue’s or all', async () => {
    const trades = await eventually(
      async () =>
        (
          await oms.gql<{ trades: { venueId: string; price: string; marketTime: string }[] }>(
            '{ trades(instrumentId: "BTCUSDT", last: 5) { venueId tradeId price quantity aggressor marketTime } }',
          )
        ).data?.trades ?? [],
      (t) => t.length > 0,
      'a trade printed',
    );
    const times = trades.map((t) => Date.parse(t.marketTime));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const one = await oms.gql<{ trades: { venueId: string }[] }>(
      '{ trades(instrumentId: "BTCUSDT", venueId: "SIM-B", last: 200) { venueId } }',
    );
    expect(new Set(one.data!.trades.map((t) => t.venueId))).toEqual(
      new Set(one.data!.trades.length ? ['SIM-B'] : []),
    );
  });

  it('bad requests get a code and a sentence, and nothing is appended', async () => {
    const before = await oms.eventCount();
    const cases: [string, string][] = [
      ['{ book(venueId: "SIM-A", instrumentId: "BTCUSDT", depth: 0) { venueId } }', 'INVALID_DEPTH'],
      ['{ book(venueId: "SIM-A", instrumentId: "BTCUSDT", depth: 51) { venueId } }', 'INVALID_DEPTH'],
      ['{ book(venueId: "NOPE", instrumentId: "BTCUSDT") { venueId } }', 'VENUE_NOT_FOUND'],
      ['{ quote(instrumentId: "DOGEUSDT") { mid } }', 'INSTRUMENT_NOT_FOUND'],
      ['{ trades(instrumentId: "BTCUSDT", last: 201) { price } }', 'INVALID_PAGE_SIZE'],
      ['{ referencePrice(instrumentId: "BTCUSDT", accountId: "someone-else") { price } }', 'FORBIDDEN'],
    ];
    for (const [query, code] of cases) {
      const answer = await oms.gql(query);
      expect([query, codeOf(answer)]).toEqual([query, [code]]);
      expect(answer.errors![0].message).toMatch(/^\S.*\.$/);
      expect(JSON.stringify(answer)).not.toMatch(/\bat .*\.(ts|js):\d+/);
    }
    expect(await oms.eventCount()).toBe(before);
  });

  it('market data is a role permission: an admin is refused, an auditor and a risk officer may read it', async () => {
    const query = '{ quote(instrumentId: "BTCUSDT") { mid } venues { id reportedAt } }';
    expect(codeOf(await oms.gql(query, undefined, oms.as('admin')))).toEqual(['FORBIDDEN']);
    for (const role of ['auditor', 'riskOfficer'] as const) {
      expect((await oms.gql(query, undefined, oms.as(role))).errors).toBeUndefined();
    }
  });

  it('subscriptions over graphql-ws receive quote, book and trade updates (the rate itself: conflated-feed.spec.ts)', async () => {
    const quotes = subscribe<{ quoteUpdated: { mid: string; venues: { venueId: string }[] } }>(
      oms,
      'subscription { quoteUpdated(instrumentId: "BTCUSDT", maxPerSecond: 5) { mid marketTime venues { venueId } } }',
    );
    const books = subscribe<{ bookUpdated: { venueId: string; bids: Level[] } }>(
      oms,
      'subscription { bookUpdated(venueId: "SIM-B", instrumentId: "BTCUSDT", depth: 2) { venueId bids { price quantity } marketTime } }',
    );
    const trades = subscribe<{ tradeExecuted: { trades: { price: string }[]; skipped: number } }>(
      oms,
      'subscription { tradeExecuted(instrumentId: "BTCUSDT") { trades { price venueId } skipped } }',
    );
    try {
      await eventually(
        async () => [quotes.received.length, books.received.length, trades.received.length],
        ([q, b, t]) => q >= 3 && b >= 3 && t >= 1,
        'three quote and three book updates, and trades',
        20_000,
      );
      expect(quotes.errors).toEqual([]);
      expect(
        books.received.every((m) => m.bookUpdated.venueId === 'SIM-B' && m.bookUpdated.bids.length <= 2),
      ).toBe(true);
      expect(quotes.received[0].quoteUpdated.venues.length).toBeGreaterThan(0);
      expect(trades.received[0].tradeExecuted.trades.length).toBeGreaterThan(0);
    } finally {
      await Promise.all([quotes.stop(), books.stop(), trades.stop()]);
    }
  });

  it('a subscription asking more than the server’s rate is refused with a code', async () => {
    const quotes = subscribe<unknown>(
      oms,
      'subscription { quoteUpdated(instrumentId: "BTCUSDT", maxPerSecond: 1000) { mid } }',
    );
    try {
      const errors = await eventually(
        async () => quotes.errors,
        (e) => e.length > 0,
        'the refusal',
      );
      expect(JSON.stringify(errors)).toContain('INVALID_RATE');
    } finally {
      await quotes.stop();
    }
  });
});
