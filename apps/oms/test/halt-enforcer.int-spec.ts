import {
  ActiveInstanceLock,
  AggregateStore,
  CONTROLS_STREAM,
  HaltEnforcer,
  PostgresCheckpoints,
  PostgresWorkingOrders,
  orderStream,
} from '@oms/application';
import { Decimal, Order, OrderCommand, controlsDecider, orderDecider } from '@oms/domain';
import { PostgresEventStore } from '@oms/event-store';
import { silentLogger, systemClock } from '@oms/platform';
import { DataSource } from 'typeorm';
import { waitUntil } from '../../../test/wait-for';
import { TestCommands } from './command-bus';
import { TestWorld, openTestWorld } from './world';

jest.setTimeout(60_000);

const ctx = { actor: 'user:risk', correlationId: 'halt-test' };

describe('the halt enforcer', () => {
  let world: TestWorld;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  let commands: TestCommands;
  let enforcer: HaltEnforcer;

  beforeEach(async () => {
    world = await openTestWorld();
    ({ store, dataSource, commands } = world);
    await commands.side.reference.ready();
    enforcer = new HaltEnforcer(
      commands.side.aggregates,
      commands.side.reference,
      new PostgresWorkingOrders(dataSource),
      {
        store,
        clock: systemClock,
        checkpoints: new PostgresCheckpoints(dataSource),
        lock: new ActiveInstanceLock(dataSource, 'oms-halt-enforcer'),
        logger: silentLogger,
      },
    );
  });

  afterEach(async () => {
    await enforcer.processor.stop();
    await world.close();
  });

  const place = async (clientOrderId: string) =>
    (
      await commands.placeOrder(
        {
          accountId: 'demo',
          clientOrderId,
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          type: 'LIMIT',
          quantity: Decimal.parse('0.01'),
          limitPrice: Decimal.parse('9600'),
          timeInForce: 'GTC',
          venueId: 'SIM-A',
        },
        ctx,
      )
    ).order.terms.orderId;
  const load = async (orderId: string) =>
    (await new AggregateStore(store).load(orderDecider, orderStream(orderId))).state as Order;

  it('a global halt with cancel asks every working order to cancel, the halt as cause; one accepted late is canceled too', async () => {
    const before = [await place('g1'), await place('g2')];
    await enforcer.processor.start();
    await enforcer.processor.whenReady();
    const halt = await new AggregateStore(store).execute(
      controlsDecider,
      CONTROLS_STREAM,
      { type: 'HaltGlobalTrading', data: { reason: 'exchange outage' }, metadata: { now: new Date() } },
      { ...ctx, causationId: null },
    );
    expect(halt.accepted).toBe(true);
    for (const id of before)
      await waitUntil(async () => (await load(id)).pendingCancel, `${id} asked to cancel`);
    const requested = (await store.readStream(orderStream(before[0]))).at(-1)!;
    expect(requested.type).toBe('OrderCancelRequested');
    expect(requested.metadata.actor).toBe('system:halt-enforcer');
    expect(requested.data).toMatchObject({ reason: 'trading halted: exchange outage' });

    // Another instance that had not yet seen the halt accepts an order: it is canceled as soon as it is seen.
    const late = 'late-order';
    await new AggregateStore(store).execute(
      orderDecider,
      orderStream(late),
      {
        type: 'PlaceOrder',
        data: {
          terms: {
            orderId: late,
            accountId: 'demo',
            clientOrderId: 'late',
            instrumentId: 'BTCUSDT',
            side: 'BUY',
            type: 'LIMIT',
            timeInForce: 'GTC',
            quantity: '0.01',
            limitPrice: '9600',
            venueId: 'SIM-A',
          },
          rejections: [],
        },
        metadata: { now: new Date() },
      } as OrderCommand,
      { ...ctx, causationId: null },
    );
    await waitUntil(async () => (await load(late)).pendingCancel, 'the late order asked to cancel');
  });

  it('an order whose acceptance lands just after its account was halted is canceled when it is seen', async () => {
    await enforcer.processor.start();
    await enforcer.processor.whenReady();
    // The account is halted (the loss limit, say) between the order's reservation and its acceptance.
    const halted = await commands.side.accounts.decide(
      'demo',
      () => ({
        type: 'HaltTrading',
        data: { accountId: 'demo', reason: 'loss limit' },
        metadata: { now: new Date() },
      }),
      { ...ctx, causationId: null },
      true,
    );
    expect(halted.rejections).toEqual([]);
    const late = 'late-after-account-halt';
    await new AggregateStore(store).execute(
      orderDecider,
      orderStream(late),
      {
        type: 'PlaceOrder',
        data: {
          terms: {
            orderId: late,
            accountId: 'demo',
            clientOrderId: 'late-acct',
            instrumentId: 'BTCUSDT',
            side: 'BUY',
            type: 'LIMIT',
            timeInForce: 'GTC',
            quantity: '0.01',
            limitPrice: '9600',
            venueId: 'SIM-A',
          },
          rejections: [],
        },
        metadata: { now: new Date() },
      } as OrderCommand,
      { ...ctx, causationId: null },
    );
    await waitUntil(
      async () => (await load(late)).pendingCancel,
      'the order accepted after the halt asked to cancel',
    );
  });
});
