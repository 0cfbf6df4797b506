import { AccountEvent, Decimal, OrderCommand, accountDecider, orderDecider } from '@oms/domain';
import { PostgresEventStore } from '@oms/event-store';
import { DataSource } from 'typeorm';
import { TestDatabase, createTestDatabase } from '../../../../libs/event-store/src/testing/test-database';
import { seedDemo } from '../runtime/demo-seed';
import { AggregateStore } from './aggregate-store';
import { LedgerReactor } from './ledger-reactor';
import { OrderCommands } from './order-commands';
import { fixedPrices } from '../../test/fixed-prices';
import { accountStream, orderStream } from './streams';

jest.setTimeout(60_000);

const ctx = { actor: 'test', correlationId: 'ledger-test' };
const venueCtx = { correlationId: 'venue', causationId: null, actor: 'venue:SIM-A' };

describe('the account ledger after a replace', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  let commands: OrderCommands;
  let ledger: LedgerReactor;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = new PostgresEventStore({ connectionString: database.connectionString });
    dataSource = await new DataSource({ type: 'postgres', url: database.connectionString }).initialize();
    const prices = fixedPrices();
    commands = new OrderCommands(store, prices);
    await seedDemo(commands);
    ledger = new LedgerReactor(store, dataSource, commands);
  });

  afterEach(async () => {
    await ledger.stop();
    await commands.stop();
    await dataSource.destroy();
    await store.close();
    await database.drop();
  });

  const reservation = async (orderId: string) => {
    const events = await store.readStream(accountStream('demo'));
    const state = events.reduce(
      (s, e) => accountDecider.evolve(s, { type: e.type, data: e.data } as AccountEvent),
      accountDecider.initialState(),
    );
    const held = state.reservations.get(orderId);
    return held && { quantity: held.quantity.toString(), price: held.price.toString() };
  };

  it('a replace the venue refused puts the reservation back to the terms that still work', async () => {
    const placed = await commands.placeOrder(
      {
        accountId: 'demo',
        clientOrderId: 'ledger-replace',
        instrumentId: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        quantity: Decimal.parse('2'),
        limitPrice: Decimal.parse('9600'),
        timeInForce: 'GTC',
        venueId: 'SIM-A',
      },
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    const childId = `${orderId}.1`;
    const run = (command: Omit<OrderCommand, 'metadata'>) =>
      new AggregateStore(store).execute(
        orderDecider,
        orderStream(orderId),
        { ...command, metadata: { now: new Date() } } as OrderCommand,
        venueCtx,
      );
    await run({
      type: 'RouteOrder',
      data: {
        orderId,
        slices: [{ childId, venueId: 'SIM-A', quantity: '2', limitPrice: '9600' }],
        rationale: 't',
      },
    });
    await run({ type: 'AcknowledgeOrder', data: { orderId, venueId: 'SIM-A', childId, venueOrderId: 'v1' } });
    // Downsize to 1 at 9590: risk reserves for that at once.
    await commands.replaceOrder(orderId, Decimal.parse('1'), Decimal.parse('9590'), ctx);
    expect(await reservation(orderId)).toEqual({ quantity: '1', price: '9590' });
    // The venue refuses: 2 at 9600 still work there.
    await run({
      type: 'RouteReplace',
      data: { orderId, slices: [{ childId, quantity: '1', limitPrice: '9590' }], rationale: 't' },
    });
    await run({
      type: 'RecordSliceReplace',
      data: { orderId, childId, outcome: 'REJECTED', reason: 'too late' },
    });

    await ledger.start();
    await ledger.whenCaughtUpOrStandby();
    expect(await reservation(orderId)).toEqual({ quantity: '2', price: '9600' });
  });
});
