import { Decimal } from '@oms/domain';
import { createEventStore, EventStore } from '@oms/event-store';
import { MarketEvent, VirtualClock } from '@oms/venues';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../../../libs/event-store/src/testing/test-database';
import { OrderCommands } from '../../api/src/commands/order-commands';
import { PublishedReferencePrices } from '../../api/src/commands/reference-prices';
import { seedDemo } from '../../api/src/runtime/demo-seed';
import { MarketDataHandler } from './market-data-handler';
import { ReferencePricePublisher } from './reference-price-publisher';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const quote = (bid: string, ask: string): MarketEvent => ({
  kind: 'quote',
  exchange: 'sim',
  symbol: 'BTCUSDT',
  timestamp: 0,
  localTimestamp: 0,
  bid: { price: Decimal.parse(bid), quantity: Decimal.parse('1') },
  ask: { price: Decimal.parse(ask), quantity: Decimal.parse('1') },
});

async function until<T>(read: () => T, ok: (value: T) => boolean, withinMs: number): Promise<T> {
  const started = performance.now();
  let value = read();
  while (!ok(value) && performance.now() - started < withinMs) {
    await sleep(5);
    value = read();
  }
  return value;
}

describe('reference prices shared by the gateway with API processes that run without it', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let store: EventStore;
  const started = Date.parse('2026-12-01T10:00:00Z');
  const clock = new VirtualClock(started);
  const marketData = new MarketDataHandler(() => clock.now());
  let publisher: ReferencePricePublisher;
  let follower: PublishedReferencePrices;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource({ type: 'postgres', url: database.connectionString }).initialize();
    store = await createEventStore({ EVENT_STORE: 'postgres' }, database.connectionString);
    publisher = new ReferencePricePublisher(marketData, dataSource, clock, () => undefined);
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

    follower = await PublishedReferencePrices.start(database.connectionString);
    const reference = follower.referencePrice('BTCUSDT');
    expect(reference?.price.toString()).toBe('9650.5');
    expect(reference?.observedAt).toBe(started);
    expect(follower.markPrice('BTCUSDT')?.toString()).toBe('9650.5');
    expect(follower.referencePrice('ETHUSDT')).toBeNull();
  });

  it('the follower hears of a new price at once, not at its one-second safety read', async () => {
    clock.advance(400);
    marketData.onMarketData('SIM-B', 'BTCUSDT', quote('9700.00', '9700.10'));
    const writtenAt = performance.now();
    expect(await publisher.publish()).toBe(1);
    const reference = await until(
      () => follower.referencePrice('BTCUSDT'),
      (r) => r?.price.toString() === '9700.05',
      2_000,
    );
    expect(reference?.price.toString()).toBe('9700.05');
    expect(reference?.observedAt).toBe(started + 400);
    expect(performance.now() - writtenAt).toBeLessThan(500);
  });

  it('publishes on its own timer, on the clock it is given', async () => {
    publisher.start();
    clock.advance(100);
    marketData.onMarketData('SIM-A', 'BTCUSDT', quote('9720.00', '9721.00'));
    clock.advance(300); // the 250 ms timer falls due
    const reference = await until(
      () => follower.referencePrice('BTCUSDT'),
      (r) => r?.observedAt === started + 500,
      2_000,
    );
    expect(reference?.observedAt).toBe(started + 500);
    // The freshest book across venues: SIM-A's, seen last.
    expect(reference?.price.toString()).toBe('9720.5');
  });

  it('risk in a process that follows them fails closed once the gateway stops publishing', async () => {
    await publisher.stop();
    const commands = new OrderCommands(store, follower, () => new Date(clock.now()));
    await commands.start();
    await seedDemo(commands); // staleReferenceAfterMs: 10 s
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
