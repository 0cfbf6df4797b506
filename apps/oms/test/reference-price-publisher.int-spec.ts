import { PublishedReferencePrices } from '@oms/application';
import { Decimal } from '@oms/domain';
import { createEventStore, EventStore } from '@oms/event-store';
import { createTestDatabase, TestDatabase } from '@oms/event-store/testing/test-database';
import { ReferencePricePublisher } from '@oms/gateway';
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

describe('reference prices shared by the gateway with API processes that run without it', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let store: EventStore;
  const started = Date.parse('2026-12-01T10:00:00Z');
  const clock = new VirtualClock(started);
  const marketData = new MarketDataHandler(clock);
  let publisher: ReferencePricePublisher;
  let follower: PublishedReferencePrices;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await testDataSource(database.connectionString);
    store = await createEventStore({ EVENT_STORE: 'postgres' }, database.connectionString);
    publisher = new ReferencePricePublisher(marketData, dataSource, clock, silentLogger);
  });

  afterAll(async () => {
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
    clock.advance(100);
    marketData.onMarketData('SIM-A', 'BTCUSDT', quote('9720.00', '9721.00'));
    clock.advance(300); // the 250 ms timer falls due
    const reference = await waitFor(
      () => follower.referencePrice('BTCUSDT'),
      (r) => r?.observedAt === started + 500,
      'the price the publisher wrote on its own timer',
      10_000,
    );
    expect(reference?.observedAt).toBe(started + 500);
    // The freshest book across venues: SIM-A's, seen last.
    expect(reference?.price.toString()).toBe('9720.5');
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
