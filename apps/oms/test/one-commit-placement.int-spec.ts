import { PlaceOrderRequest, accountStream, orderIdFor, orderStream } from '@oms/application';
import { Decimal } from '@oms/domain';
import { PostgresEventStore } from '@oms/event-store';
import { TestDatabase, createTestDatabase } from '@oms/event-store/testing/test-database';
import { TestCommands, startCommands } from './command-bus';
import { waitFor } from '../../../test/wait-for';

jest.setTimeout(60_000);

const ctx = { actor: 'test', correlationId: 'one-commit' };
const order = (clientOrderId: string, quantity = '0.01'): PlaceOrderRequest => ({
  accountId: 'demo',
  clientOrderId,
  instrumentId: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  quantity: Decimal.parse(quantity),
  limitPrice: Decimal.parse('9600'),
  timeInForce: 'GTC',
  venueId: null,
});

/**
 * Placing an order is one durable commit: the account's reservation (or the check that the account
 * is still what risk judged) and the order's first event are appended together, all or nothing. No
 * reservation can exist without its order, so nothing has to sweep orphaned ones.
 */
describe('placing an order: one atomic append', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  const running: TestCommands[] = [];
  const commandSide = async () => {
    const commands = await startCommands(store);
    running.push(commands);
    await commands.seedDemo();
    return commands;
  };
  const accountEvents = async (type: string) =>
    (await store.readStream(accountStream('demo'))).filter((e) => e.type === type);

  beforeEach(async () => {
    database = await createTestDatabase();
    store = new PostgresEventStore({ connectionString: database.connectionString });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    for (const commands of running.splice(0)) await commands.stop();
    await store.close();
    await database.drop();
  });

  it('records the reservation and OrderAccepted in one commit', async () => {
    const commands = await commandSide();
    const placed = await commands.placeOrder(order('one-commit'), ctx);

    expect(placed.accepted).toBe(true);
    const [reserved] = await accountEvents('ExposureReserved');
    const [accepted] = await store.readStream(orderStream(placed.order.terms.orderId));
    expect(accepted.type).toBe('OrderAccepted');
    expect(reserved.position.commit).toBe(accepted.position.commit);
  });

  it('leaves neither a reservation nor an order when writing the order fails', async () => {
    const commands = await commandSide();
    // Whatever would write an order stream fails (the process dies there); the rest goes through.
    const [append, appendAll] = [store.appendToStream.bind(store), store.appendToStreams.bind(store)];
    const failing = () => Promise.reject(new Error('the store went away'));
    jest
      .spyOn(store, 'appendToStream')
      .mockImplementation((stream, events, expected) =>
        stream.startsWith('order-') ? failing() : append(stream, events, expected),
      );
    jest
      .spyOn(store, 'appendToStreams')
      .mockImplementation((appends) =>
        appends.some((a) => a.stream.startsWith('order-')) ? failing() : appendAll(appends),
      );

    await expect(commands.placeOrder(order('lost'), ctx)).rejects.toThrow('the store went away');
    jest.restoreAllMocks();

    expect(await accountEvents('ExposureReserved')).toEqual([]);
    expect(await store.streamRevision(orderStream(orderIdFor('demo', 'lost')))).toBeNull();
    // The account in memory did not keep what was never written: the next order is judged without it.
    const next = await commands.placeOrder(order('next'), ctx);
    expect(next.accepted).toBe(true);
    expect((await commands.side.accounts.get('demo')).state.reservations.size).toBe(1);
  });

  it('the same order from two processes at once: one order, one reservation, the other a repeat', async () => {
    const [first, second] = [await commandSide(), await commandSide()];
    await second.side.accounts.refresh('demo');

    const [a, b] = await Promise.all([
      first.placeOrder(order('twice'), ctx),
      second.placeOrder(order('twice'), ctx),
    ]);

    expect(a.order.terms.orderId).toBe(b.order.terms.orderId);
    expect(await store.readStream(orderStream(a.order.terms.orderId))).toHaveLength(1);
    expect(await accountEvents('ExposureReserved')).toHaveLength(1);
    expect(await accountEvents('ExposureReleased')).toEqual([]);
  });

  it('a refusal by risk is recorded on the order, judged against the account as it is', async () => {
    const commands = await commandSide();
    const refused = await commands.placeOrder(order('too-big', '1000'), ctx);

    expect(refused.accepted).toBe(false);
    const [rejected] = await store.readStream(orderStream(refused.order.terms.orderId));
    expect(rejected.type).toBe('OrderRejected');
    expect(await accountEvents('ExposureReserved')).toEqual([]);
  });

  it('a replace records its reservation and OrderReplaceRequested in one commit', async () => {
    const commands = await commandSide();
    const placed = await commands.placeOrder(order('to-replace'), ctx);
    const orderId = placed.order.terms.orderId;

    await commands.replaceOrder(orderId, Decimal.parse('0.02'), null, ctx);

    const [, replaced] = await accountEvents('ExposureReserved');
    const requested = (await store.readStream(orderStream(orderId))).find(
      (e) => e.type === 'OrderReplaceRequested',
    );
    expect(requested?.position.commit).toBe(replaced.position.commit);
  });

  it('does nothing for a request whose client is gone before its order is decided', async () => {
    const commands = await commandSide();
    // The first order's append is held, so the second waits in its account's queue.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const appendAll = store.appendToStreams.bind(store);
    let first = true;
    jest.spyOn(store, 'appendToStreams').mockImplementation(async (appends) => {
      if (first) {
        first = false;
        await held;
      }
      return appendAll(appends);
    });
    const queued = jest.spyOn(commands.side.accounts, 'decideJoined');
    const gone = new AbortController();
    const ahead = commands.placeOrder(order('ahead'), ctx);
    const abandoned = commands.placeOrder(order('abandoned'), { ...ctx, signal: gone.signal });
    await waitFor(
      () => queued.mock.calls.length,
      (n) => n === 2,
      'both orders queued on the account',
    );

    gone.abort(); // the client leaves while its order waits its turn
    release();

    await expect(abandoned).rejects.toMatchObject({ code: 'CLIENT_GONE' });
    expect((await ahead).accepted).toBe(true);
    expect(await store.streamRevision(orderStream(orderIdFor('demo', 'abandoned')))).toBeNull();
    expect(await accountEvents('ExposureReserved')).toHaveLength(1);
  });
});
