import {
  AccountLedger,
  ActiveInstanceLock,
  AggregateStore,
  PostgresCheckpoints,
  accountStream,
  orderStream,
} from '@oms/application';
import { AccountEvent, Decimal, OrderCommand, OrderIntent, accountDecider, orderDecider } from '@oms/domain';
import { PostgresEventStore } from '@oms/event-store';
import { silentLogger, systemClock } from '@oms/platform';
import { DataSource } from 'typeorm';
import { TestCommands } from './command-bus';
import { TestWorld, openTestWorld } from './world';

jest.setTimeout(60_000);

const ctx = { actor: 'test', correlationId: 'ledger-test' };
const venueCtx = { correlationId: 'venue', causationId: null, actor: 'venue:SIM-A' };

describe('the account ledger after a replace', () => {
  let world: TestWorld;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  let commands: TestCommands;
  let ledger: AccountLedger;

  beforeEach(async () => {
    world = await openTestWorld();
    ({ store, dataSource, commands } = world);
    await commands.side.reference.ready();
    ledger = new AccountLedger(
      store,
      commands.side.aggregates,
      commands.side.accounts,
      commands.side.reference,
      commands.side.prices,
      systemClock,
      {
        checkpoints: new PostgresCheckpoints(dataSource),
        lock: new ActiveInstanceLock(dataSource, 'oms-account-ledger'),
        logger: silentLogger,
      },
    );
  });

  afterEach(async () => {
    await ledger.processor.stop();
    await world.close();
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
    const run = (command: OrderIntent) =>
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
    // Downsize to 1 at 9590: while the venue still works 2 at 9600, the account holds the larger.
    await commands.replaceOrder(orderId, Decimal.parse('1'), Decimal.parse('9590'), ctx);
    expect(await reservation(orderId)).toEqual({ quantity: '2', price: '9600' });
    // The venue refuses: 2 at 9600 still work there.
    await run({
      type: 'RouteReplace',
      data: { orderId, slices: [{ childId, quantity: '1', limitPrice: '9590' }], rationale: 't' },
    });
    await run({
      type: 'RecordSliceReplace',
      data: { orderId, childId, outcome: 'REJECTED', reason: 'too late' },
    });

    await ledger.processor.start();
    await ledger.processor.whenReady();
    expect(await reservation(orderId)).toEqual({ quantity: '2', price: '9600' });
  });

  it('a busted execution comes out of the position, fees and P&L; a corrected one goes in as restated', async () => {
    const fillOrder = async (clientOrderId: string, side: 'BUY' | 'SELL', price: string, execId: string) => {
      const placed = await commands.placeOrder(
        {
          accountId: 'demo',
          clientOrderId,
          instrumentId: 'BTCUSDT',
          side,
          type: 'LIMIT',
          quantity: Decimal.parse('1'),
          limitPrice: Decimal.parse(price),
          timeInForce: 'GTC',
          venueId: 'SIM-A',
        },
        ctx,
      );
      const orderId = placed.order.terms.orderId;
      const childId = `${orderId}.1`;
      const run = (command: OrderIntent) =>
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
          slices: [{ childId, venueId: 'SIM-A', quantity: '1', limitPrice: price }],
          rationale: 't',
        },
      });
      await run({
        type: 'RecordFill',
        data: {
          orderId,
          execId,
          venueId: 'SIM-A',
          childId,
          quantity: '1',
          price,
          fee: '1',
          liquidity: 'MAKER',
          executedAt: new Date().toISOString(),
        },
      });
      return { run, orderId };
    };
    await fillOrder('ledger-bust-1', 'BUY', '9600', 'E1');
    const second = await fillOrder('ledger-bust-2', 'BUY', '9620', 'E2');
    const third = await fillOrder('ledger-bust-3', 'SELL', '9630', 'E3');
    await second.run({
      type: 'BustTrade',
      data: { orderId: second.orderId, execId: 'E2', reason: 'clearly erroneous' },
    });
    await third.run({
      type: 'CorrectTrade',
      data: { orderId: third.orderId, execId: 'E3', quantity: '1', price: '9640', reason: 'price corrected' },
    });

    await ledger.processor.start();
    await ledger.processor.whenReady();
    const events = await store.readStream(accountStream('demo'));
    const state = events.reduce(
      (s, e) => accountDecider.evolve(s, { type: e.type, data: e.data } as AccountEvent),
      accountDecider.initialState(),
    );
    // As if only buy 1@9600 and sell 1@9640 had happened: flat, realised 40, fees 2.
    const p = state.positions.get('BTCUSDT')!;
    expect([p.quantity, p.costBasis, p.realizedPnl, p.fees].map(String)).toEqual(['0', '0', '40', '2']);
    expect(
      events.filter((e) => e.type === 'FillRestated').map((e) => (e.data as { execId: string }).execId),
    ).toEqual(['E2', 'E3']);
  });

  it('a fee in the quote currency is in the fees P&L counts; one in another currency is kept apart', async () => {
    const fill = async (clientOrderId: string, execId: string, fee: string, feeCurrency: string) => {
      const placed = await commands.placeOrder(
        {
          accountId: 'demo',
          clientOrderId,
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          type: 'LIMIT',
          quantity: Decimal.parse('1'),
          limitPrice: Decimal.parse('9600'),
          timeInForce: 'GTC',
          venueId: 'SIM-A',
        },
        ctx,
      );
      const orderId = placed.order.terms.orderId;
      await new AggregateStore(store).execute(
        orderDecider,
        orderStream(orderId),
        {
          type: 'RecordFill',
          data: {
            orderId,
            execId,
            venueId: 'SIM-A',
            quantity: '1',
            price: '9600',
            fee,
            feeCurrency,
            liquidity: 'MAKER',
            executedAt: new Date().toISOString(),
          },
          metadata: { now: new Date() },
        },
        venueCtx,
      );
    };
    await fill('fee-quote', 'F1', '1.5', 'USDT');
    await fill('fee-token', 'F2', '0.01', 'BNB');

    await ledger.processor.start();
    await ledger.processor.whenReady();
    const events = await store.readStream(accountStream('demo'));
    const state = events.reduce(
      (s, e) => accountDecider.evolve(s, { type: e.type, data: e.data } as AccountEvent),
      accountDecider.initialState(),
    );
    const p = state.positions.get('BTCUSDT')!;
    expect([p.quantity, p.fees].map(String)).toEqual(['2', '1.5']);
    expect(Object.fromEntries(Object.entries(p.otherFees).map(([c, v]) => [c, String(v)]))).toEqual({
      BNB: '0.01',
    });
  });

  it('a market moving against a held position puts the account in REDUCING without a fill', async () => {
    let mark = Decimal.parse('9600');
    const prices = { referencePrice: () => null, markPrice: () => mark };
    const watching = new AccountLedger(
      store,
      commands.side.aggregates,
      commands.side.accounts,
      commands.side.reference,
      prices,
      systemClock,
      {
        checkpoints: new PostgresCheckpoints(dataSource),
        lock: new ActiveInstanceLock(dataSource, 'oms-account-ledger-2'),
        logger: silentLogger,
      },
      0, // judged here by hand rather than on a timer
    );
    const placed = await commands.placeOrder(
      {
        accountId: 'demo',
        clientOrderId: 'loss-watch',
        instrumentId: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        quantity: Decimal.parse('5'),
        limitPrice: Decimal.parse('9600'),
        timeInForce: 'GTC',
        venueId: 'SIM-A',
      },
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    await new AggregateStore(store).execute(
      orderDecider,
      orderStream(orderId),
      {
        type: 'RecordFill',
        data: {
          orderId,
          execId: 'L1',
          venueId: 'SIM-A',
          quantity: '5',
          price: '9600',
          fee: '0',
          liquidity: 'MAKER',
          executedAt: new Date().toISOString(),
        },
        metadata: { now: new Date() },
      },
      venueCtx,
    );
    await watching.processor.start();
    await watching.processor.whenReady();
    const state = async () =>
      (await store.readStream(accountStream('demo'))).reduce(
        (s, e) => accountDecider.evolve(s, { type: e.type, data: e.data } as AccountEvent),
        accountDecider.initialState(),
      );
    await watching.checkLossLimits();
    expect((await state()).halt).toBeNull(); // long 5 at 9,600, marked at 9,600
    mark = Decimal.parse('8500'); // −5,500 on paper against a limit of 5,000
    await watching.checkLossLimits();
    expect((await state()).halt).toMatchObject({ state: 'REDUCING' });
    await watching.processor.stop();
  });
});
