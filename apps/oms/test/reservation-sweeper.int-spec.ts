import { PlaceOrderRequest, accountStream, orderStream } from '@oms/application';
import { Decimal } from '@oms/domain';
import { PostgresEventStore } from '@oms/event-store';
import { TestDatabase, createTestDatabase } from '@oms/event-store/testing/test-database';
import { Clock, systemClock } from '@oms/platform';
import { TestCommands, startCommands } from './command-bus';

jest.setTimeout(60_000);

const ctx = { actor: 'test', correlationId: 'sweeper-test' };
const order = (clientOrderId: string): PlaceOrderRequest => ({
  accountId: 'demo',
  clientOrderId,
  instrumentId: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  quantity: Decimal.parse('0.01'),
  limitPrice: Decimal.parse('9600'),
  timeInForce: 'GTC',
  venueId: null,
});

describe('the reservation sweeper', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let now: number;
  // The test moves time by hand; timers (retries) run on the wall clock.
  const clock: Clock = { ...systemClock, now: () => now };
  const running: TestCommands[] = [];
  const commandSide = async () => {
    const commands = await startCommands(store, { clock });
    running.push(commands);
    await commands.seedDemo();
    return {
      ...commands,
      sweepOrphanedReservations: (olderThanMs: number, c: typeof ctx) =>
        commands.side.placeOrders.sweepOrphanedReservations(olderThanMs, c),
      accountExists: async (accountId: string) =>
        (await commands.side.accounts.refresh(accountId)).revision !== null,
    };
  };

  beforeEach(async () => {
    database = await createTestDatabase();
    store = new PostgresEventStore({ connectionString: database.connectionString });
    now = Date.now();
  });

  afterEach(async () => {
    for (const commands of running.splice(0)) await commands.stop();
    await store.close();
    await database.drop();
  });

  it('releases a reservation whose order was never recorded, once it is old enough, and no other', async () => {
    const commands = await commandSide();
    const kept = await commands.placeOrder(order('kept'), ctx);
    // The process dies between reserving and recording the order: the order append never happens.
    const append = store.appendToStream.bind(store);
    jest
      .spyOn(store, 'appendToStream')
      .mockImplementation((stream, events, expected) =>
        stream.startsWith('order-') ? Promise.reject(new Error('crash')) : append(stream, events, expected),
      );
    await expect(commands.placeOrder(order('orphan'), ctx)).rejects.toThrow('crash');
    jest.restoreAllMocks();

    expect(await commands.sweepOrphanedReservations(30_000, ctx)).toBe(0); // too young to judge
    now += 31_000;
    expect(await commands.sweepOrphanedReservations(30_000, ctx)).toBe(1);

    const released = (await store.readStream(accountStream('demo'))).filter(
      (e) => e.type === 'ExposureReleased',
    );
    expect(released.map((e) => (e.data as { reason: string }).reason)).toEqual([
      'orphaned reservation: no order was recorded',
    ]);
    // The order that was recorded keeps its reservation.
    expect(released.map((e) => (e.data as { orderId: string }).orderId)).not.toContain(
      kept.order.terms.orderId,
    );
    expect(await store.streamRevision(orderStream(kept.order.terms.orderId))).toBe(0n);
  });

  it('looks each open order up at most once, however long it rests', async () => {
    const first = await commandSide();
    for (let i = 0; i < 5; i++) await first.placeOrder(order(`resting-${i}`), ctx);
    // This process recorded them itself: never looked up.
    const lookups = jest.spyOn(store, 'streamRevision');
    now += 60_000;
    await first.sweepOrphanedReservations(30_000, ctx);
    await first.sweepOrphanedReservations(30_000, ctx);
    expect(lookups).not.toHaveBeenCalled();

    // Another instance holding the same account learns of them by looking once each.
    const second = await commandSide();
    expect(await second.accountExists('demo')).toBe(true);
    await second.sweepOrphanedReservations(30_000, ctx);
    await second.sweepOrphanedReservations(30_000, ctx);
    expect(lookups).toHaveBeenCalledTimes(5);
  });
});
