import { PublishedMarketData, PublishedReferencePrices } from '@oms/application';
import { Decimal } from '@oms/domain';
import { createEventStore, EventStore } from '@oms/event-store';
import { createTestDatabase, TestDatabase } from '@oms/event-store/testing/test-database';
import { MarketDataPublisher } from '@oms/gateway';
import { VirtualClock, silentLogger } from '@oms/platform';
import { MarketDataHandler, MarketEvent } from '@oms/venues';
import { DataSource } from 'typeorm';
import { waitFor } from '../../../test/wait-for';
import { startCommands } from './command-bus';
import { testDataSource } from './data-source';

const quote = (bid: string, ask: string): MarketEvent => ({
  kind: 'quote',
  exchange: 'sim',
  symbol: 'BTCUSDT',
  timestamp: 0,
  localTimestamp: 0,
  bid: { price: Decimal.parse(bid), quantity: Decimal.parse('1') },
  ask: { price: Decimal.parse(ask), quantity: Decimal.parse('1') },
});

describe('market data shared by the gateway with processes that run without it', () => {
  let venues = [{ id: 'SIM-A', connected: true }];
  let database: TestDatabase;
  let dataSource: DataSource;
  let store: EventStore;
  const started = Date.parse('2026-12-01T10:00:00Z');
  const clock = new VirtualClock(started);
  const marketData = new MarketDataHandler(clock);
  let publisher: MarketDataPublisher;
  let follower: PublishedReferencePrices;
  let reader: PublishedMarketData;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await testDataSource(database.connectionString);
    store = await createEventStore({ EVENT_STORE: 'postgres' }, database.connectionString);
    publisher = new MarketDataPublisher(marketData, dataSource, clock, silentLogger, () => venues);
  });

  afterAll(async () => {
    await reader?.stop();
    await follower?.stop();
    await publisher.stop();
    await store.close();
    await dataSource.destroy();
    await database.drop();
  });

  it('writes what the market showed and when, once per change, and a follower reads it back', async () => {
    marketData.onMarketData('SIM-A', 'BTCUSDT', quote('9650.00', '9651.00'));
    expect(await publisher.publish()).toBe(1);
    expect(await publisher.publish()).toBe(0); // nothing seen since

    // Its safety read is an hour away: whatever it learns later, it learns from a notice.
    follower = await PublishedReferencePrices.start(database.connectionString, 3_600_000);
    const reference = follower.referencePrice('BTCUSDT');
    expect(reference?.price.toString()).toBe('9650.5');
    expect(reference?.observedAt).toBe(started);
    expect(follower.markPrice('BTCUSDT')?.toString()).toBe('9650.5');
    expect(follower.referencePrice('ETHUSDT')).toBeNull();
  });

  it('the follower hears of a new price from the notice, not from its safety read', async () => {
    clock.advance(400);
    marketData.onMarketData('SIM-B', 'BTCUSDT', quote('9700.00', '9700.10'));
    expect(await publisher.publish()).toBe(1);
    const reference = await waitFor(
      () => follower.referencePrice('BTCUSDT'),
      (r) => r?.price.toString() === '9700.05',
      'the follower to read the new price after its notice',
      10_000,
    );
    expect(reference?.price.toString()).toBe('9700.05');
    expect(reference?.observedAt).toBe(started + 400);
  });

  it('publishes on its own timer, on the clock it is given', async () => {
    publisher.start();
    clock.advance(50);
    marketData.onMarketData('SIM-A', 'BTCUSDT', quote('9720.00', '9721.00'));
    clock.advance(50); // the 100 ms timer falls due
    const reference = await waitFor(
      () => follower.referencePrice('BTCUSDT'),
      (r) => r?.observedAt === started + 450,
      'the price the publisher wrote on its own timer',
      10_000,
    );
    expect(reference?.observedAt).toBe(started + 450);
    // The freshest book across venues: SIM-A's, seen last.
    expect(reference?.price.toString()).toBe('9720.5');
  });

  it('books, trades and venue statuses: a reader in another process serves them, told of each change', async () => {
    reader = await PublishedMarketData.start(database.connectionString, 3_600_000);
    // What was published before the reader started is there at once.
    expect(reader.book('SIM-B', 'BTCUSDT')?.bids.map((l) => l.price.toString())).toEqual(['9700']);
    expect(reader.venues().map((v) => v.status)).toEqual([{ id: 'SIM-A', connected: true }]);

    const changes: string[] = [];
    const stop = reader.onChange((c) => changes.push(`${c.kind} ${c.venueId} ${c.instrumentId}`));
    marketData.onMarketData('SIM-A', 'BTCUSDT', {
      kind: 'book',
      exchange: 'sim',
      symbol: 'BTCUSDT',
      timestamp: 1_764_583_200_123_456,
      localTimestamp: 0,
      snapshot: true,
      bids: [1, 2, 3].map((i) => ({
        price: Decimal.parse(`${9700 - i}`),
        quantity: Decimal.parse(`0.${i}`),
      })),
      asks: [1, 2].map((i) => ({ price: Decimal.parse(`${9700 + i}`), quantity: Decimal.parse(`1.${i}`) })),
    });
    for (const [id, price] of [
      ['t1', '9701'],
      ['t2', '9699.5'],
    ]) {
      marketData.onMarketData('SIM-A', 'BTCUSDT', {
        kind: 'trade',
        exchange: 'sim',
        symbol: 'BTCUSDT',
        timestamp: 1_764_583_200_200_000,
        localTimestamp: 0,
        tradeId: id,
        aggressor: 'BUY',
        price: Decimal.parse(price),
        quantity: Decimal.parse('0.5'),
      });
    }
    venues = [{ id: 'SIM-A', connected: false }];
    await publisher.publish();
    await waitFor(
      () => changes,
      (c) => c.includes('book SIM-A BTCUSDT') && c.includes('trade SIM-A BTCUSDT'),
      'the reader to be told of the new book and trades',
      10_000,
    );
    stop();
    const book = reader.book('SIM-A', 'BTCUSDT');
    expect(book?.bids.map((l) => `${l.price}@${l.quantity}`)).toEqual(['9699@0.1', '9698@0.2', '9697@0.3']);
    expect(book?.asks.map((l) => `${l.price}@${l.quantity}`)).toEqual(['9701@1.1', '9702@1.2']);
    expect(book?.marketTime).toBe(1_764_583_200_123);
    expect(
      reader
        .books('BTCUSDT')
        .map((b) => b.venueId)
        .sort(),
    ).toEqual(['SIM-A', 'SIM-B']);
    expect(reader.trades('BTCUSDT', 'SIM-A', 10).map((t) => `${t.tradeId} ${t.price}`)).toEqual([
      't1 9701',
      't2 9699.5',
    ]);
    expect(reader.trades('BTCUSDT', null, 1).map((t) => t.tradeId)).toEqual(['t2']);
    expect(reader.venues().map((v) => v.status)).toEqual([{ id: 'SIM-A', connected: false }]);

    // Unchanged books are not written again; a trade is read once, however often its list is.
    const seq = reader.trades('BTCUSDT', null, 10).map((t) => t.sequence);
    marketData.onMarketData('SIM-A', 'BTCUSDT', {
      kind: 'trade',
      exchange: 'sim',
      symbol: 'BTCUSDT',
      timestamp: 1_764_583_200_300_000,
      localTimestamp: 0,
      tradeId: 't3',
      aggressor: null,
      price: Decimal.parse('9700'),
      quantity: Decimal.parse('0.1'),
    });
    await publisher.publish();
    const after = await waitFor(
      () => reader.trades('BTCUSDT', null, 10),
      (t) => t.length === 3,
      'the third trade',
      10_000,
    );
    expect(after.map((t) => t.sequence).slice(0, 2)).toEqual(seq);
    expect(after[2].aggressor).toBeNull();
  });

  it('risk in a process that follows them fails closed once the gateway stops publishing', async () => {
    await publisher.stop();
    const commands = await startCommands(store, { prices: follower, clock });
    await commands.seedDemo(); // staleReferenceAfterMs: 10 s
    const ctx = { actor: 'test', correlationId: 'stale' };
    const order = (clientOrderId: string) =>
      commands.placeOrder(
        {
          accountId: 'demo',
          clientOrderId,
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          type: 'LIMIT',
          quantity: Decimal.parse('0.01'),
          limitPrice: Decimal.parse('9700'),
          timeInForce: 'DAY',
          venueId: null,
        },
        ctx,
      );
    const fresh = await order('while-fresh');
    expect(fresh.rejections).toEqual([]);

    clock.advance(11_000);
    const stale = await order('after-gateway-stopped');
    expect(stale.accepted).toBe(false);
    expect(stale.rejections.map((r) => r.code)).toEqual(['REFERENCE_PRICE_STALE']);
    await commands.stop();
  });
});
