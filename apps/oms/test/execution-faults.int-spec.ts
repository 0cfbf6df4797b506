import {
  ActiveInstanceLock,
  AggregateStore,
  PlaceOrderRequest,
  PostgresCheckpoints,
  orderStream,
} from '@oms/application';
import { Decimal, Order, OrderState, RouteSlice, orderDecider } from '@oms/domain';
import { PostgresEventStore, START } from '@oms/event-store';
import { ExecutionGateway, GatewayOptions, PostgresWorkingSlices } from '@oms/gateway';
import { VirtualClock, silentLogger } from '@oms/platform';
import {
  MarketDataHandler,
  MarketEvent,
  SimulatedVenue,
  SimulatedVenueOptions,
  VenueCapabilities,
  VenueUnavailable,
} from '@oms/venues';
import { DataSource } from 'typeorm';
import { waitUntil } from '../../../test/wait-for';
import { TestCommands } from './command-bus';
import { TestWorld, openTestWorld } from './world';

jest.setTimeout(60_000);

const d = (v: string) => Decimal.parse(v);
const ctx = { actor: 'test', correlationId: 'fault-test' };

const capabilities = (venueId: string, perSecond = 1_000, burst = 1_000): VenueCapabilities => ({
  venueId,
  orderTypes: ['MARKET', 'LIMIT'],
  timesInForce: ['DAY', 'GTC', 'IOC', 'FOK'],
  instruments: { BTCUSDT: { symbol: 'BTCUSDT', tickSize: d('0.01'), lotSize: d('0.001') } },
  rateLimit: { perSecond, burst },
  fees: { maker: d('0.0001'), taker: d('0.0004') },
});

/** A market that stands still: one book, deep enough for every test. */
const BOOK: MarketEvent = {
  kind: 'book',
  exchange: 'test',
  symbol: 'BTCUSDT',
  timestamp: 1,
  localTimestamp: 1,
  snapshot: true,
  bids: [{ price: d('9679'), quantity: d('50') }],
  asks: [
    { price: d('9681'), quantity: d('0.4') },
    { price: d('9682'), quantity: d('50') },
  ],
};

const order = (clientOrderId: string, over: Partial<PlaceOrderRequest> = {}): PlaceOrderRequest => ({
  accountId: 'demo',
  clientOrderId,
  instrumentId: 'BTCUSDT',
  side: 'BUY',
  type: 'MARKET',
  quantity: d('1'),
  limitPrice: null,
  timeInForce: 'IOC',
  venueId: 'SIM-A',
  ...over,
});

/**
 * The gateway with simulated venues on a virtual clock, over a real PostgreSQL event store. Faults are
 * injected by the venues (dropped acks, duplicates, reordering, disconnects) or by leaving the log as a
 * crash would have left it.
 */
describe('execution gateway under faults', () => {
  let world: TestWorld;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  let commands: TestCommands;
  let clock: VirtualClock;
  const running: { gateway: ExecutionGateway; venues: SimulatedVenue[] }[] = [];

  beforeEach(async () => {
    world = await openTestWorld();
    ({ store, dataSource, commands } = world);
    clock = new VirtualClock(Date.now());
  });

  afterEach(async () => {
    for (const { gateway, venues } of running.splice(0)) {
      await gateway.stop();
      venues.forEach((v) => v.stop());
    }
    await world.close();
  });

  function venue(venueId: string, options: Partial<SimulatedVenueOptions> = {}): SimulatedVenue {
    return new SimulatedVenue({
      capabilities: capabilities(venueId),
      clock,
      seed: venueId.length,
      latency: { fixedMs: 5, jitterMs: 0 },
      feeds: { BTCUSDT: [BOOK] },
      ...options,
    });
  }

  /** A gateway over the test's store and venues, on the virtual clock. */
  function newGateway(
    venues: SimulatedVenue[],
    options: GatewayOptions = {},
    onLost?: (reason: string) => void,
  ): ExecutionGateway {
    const gateway = new ExecutionGateway(
      {
        store,
        checkpoints: new PostgresCheckpoints(dataSource),
        lock: new ActiveInstanceLock(dataSource, 'oms-execution-gateway'),
        workingSlices: new PostgresWorkingSlices(dataSource),
        venues,
        marketData: new MarketDataHandler(clock),
        clock,
        logger: silentLogger,
        onLost,
      },
      options,
    );
    running.push({ gateway, venues });
    return gateway;
  }

  async function startGateway(venues: SimulatedVenue[], ackTimeoutMs = 200): Promise<ExecutionGateway> {
    const gateway = newGateway(venues, { ackTimeoutMs });
    let done = false;
    const started = gateway.start().finally(() => (done = true));
    await drive(() => done, 2_000); // start-up may wait on the clock (rate limits, acks)
    await started;
    return gateway;
  }

  const load = async (orderId: string): Promise<Order> => {
    const { state } = await new AggregateStore(store).load(orderDecider, orderStream(orderId));
    return state as Order;
  };

  /** Moves virtual time in small steps, letting real I/O run in between, until `done` holds. */
  async function drive(done: () => boolean | Promise<boolean>, maxSteps = 400): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      clock.advance(10);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (await done()) return;
    }
  }

  /** What a gateway that died right after its write-ahead append left in the log. */
  async function writeAhead(orderId: string, slices: RouteSlice[]): Promise<void> {
    await new AggregateStore(store).execute(
      orderDecider,
      orderStream(orderId),
      {
        type: 'RouteOrder',
        data: { orderId, slices, rationale: 'test' },
        metadata: { now: new Date(clock.now()) },
      },
      { correlationId: 'crash', causationId: null, actor: 'system:execution-gateway' },
    );
  }

  const settled = (orderId: string, status: string) => async () => (await load(orderId)).status === status;

  it('a dropped ack: the slice is flagged unconfirmed, the venue is asked, one venue order, right state', async () => {
    const sim = venue('SIM-A', { faults: { dropAckProbability: 1 } });
    const submit = jest.spyOn(sim, 'submit');
    await startGateway([sim]);
    const placed = await commands.placeOrder(
      order('drop-ack', { type: 'LIMIT', limitPrice: d('9300'), timeInForce: 'GTC' }),
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'NEW'));

    const after = await load(orderId);
    expect(after.status).toBe('NEW');
    const history = (await store.readStream(orderStream(orderId))).map((e) => e.type);
    expect(history).toEqual([
      'OrderAccepted',
      'OrderRouted',
      'VenueOrderSubmitted',
      'VenueOrderUnconfirmed',
      'OrderAcknowledged',
    ]);
    expect(submit).toHaveBeenCalledTimes(1);
    expect(await sim.openOrders()).toHaveLength(1);
  });

  it('duplicate and out-of-order reports: no double fill', async () => {
    const sim = venue('SIM-A', {
      faults: { duplicateProbability: 1 },
      latency: { fixedMs: 1, jitterMs: 30 },
    });
    await startGateway([sim]);
    const placed = await commands.placeOrder(order('dupes', { quantity: d('1') }), ctx);
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'FILLED'));

    const after = await load(orderId);
    expect([after.status, after.cumQty.toString()]).toEqual(['FILLED', '1']);
    // Reports may arrive in any order; each execution counts once.
    expect(after.fills.map((f) => `${f.quantity}@${f.price}`).sort()).toEqual(['0.4@9681', '0.6@9682']);
    expect(after.overfilledQty.isZero()).toBe(true);
  });

  it('killed after VenueOrderSubmitted, before sending: after restart exactly one venue order and the right state', async () => {
    const placed = await commands.placeOrder(order('crash-before-send'), ctx);
    const orderId = placed.order.terms.orderId;
    // What the gateway had written when it died: the decision and the slice, nothing sent.
    await writeAhead(orderId, [
      { childId: `${orderId}.1`, venueId: 'SIM-A', quantity: '1', limitPrice: null },
    ]);
    const sim = venue('SIM-A');
    const submit = jest.spyOn(sim, 'submit');
    await startGateway([sim]);
    await drive(settled(orderId, 'FILLED'));

    expect(submit).toHaveBeenCalledTimes(1);
    expect((await load(orderId)).cumQty.toString()).toBe('1');
    expect(await sim.fillsSince(0)).toHaveLength(2);
  });

  it('killed after checkpointing past the order, before handling its write-ahead: after restart the slice is sent once', async () => {
    const placed = await commands.placeOrder(
      order('lost-on-the-wire', {
        type: 'LIMIT',
        limitPrice: d('9300'),
        timeInForce: 'GTC',
        quantity: d('0.5'),
      }),
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    const childId = `${orderId}.1`;
    // The old gateway wrote the slice ahead, sent it (the wire lost it), checkpointed past the order
    // and died before it read its own write-ahead back: its record of working slices never heard of it.
    await writeAhead(orderId, [{ childId, venueId: 'SIM-A', quantity: '0.5', limitPrice: '9300' }]);
    const accepted = (await store.readStream(orderStream(orderId))).find((e) => e.type === 'OrderAccepted')!;
    await new PostgresCheckpoints(dataSource).commit('execution-gateway', START, accepted.position);
    const sim = venue('SIM-A');
    const submit = jest.spyOn(sim, 'submit');
    await startGateway([sim]);
    await drive(settled(orderId, 'NEW'));

    expect((await load(orderId)).status).toBe('NEW');
    expect(submit).toHaveBeenCalledTimes(1);
  });

  it('a gateway that loses its lock while a slice waits for a token sends nothing more', async () => {
    const sent: string[] = [];
    const sim = venue('SIM-A', { capabilities: capabilities('SIM-A', 1, 1) });
    const submit = sim.submit.bind(sim);
    jest.spyOn(sim, 'submit').mockImplementation(async (request) => {
      sent.push(request.clientOrderId);
      return submit(request);
    });
    const lost: string[] = [];
    const gateway = newGateway([sim], { maxRateWaitMs: 60_000 }, (reason) => lost.push(reason));
    clock.advance(1_000); // one token
    await gateway.start();
    const ids: string[] = [];
    for (const id of ['one', 'two']) {
      const placed = await commands.placeOrder(
        order(id, { type: 'LIMIT', limitPrice: d('9300'), timeInForce: 'GTC' }),
        ctx,
      );
      ids.push(placed.order.terms.orderId);
    }
    // Either may take the one token at hand (no time needs to pass); the other waits a second for its own.
    await waitUntil(() => sent.length >= 1, 'the first slice sent');
    const sentOrder = ids.find((id) => sent[0].startsWith(id)) as string;
    const waiting = ids.find((id) => id !== sentOrder) as string;
    clock.advance(10); // the venue's ack is 10 ms away (5 each way)
    await waitUntil(settled(sentOrder, 'NEW'), 'the sent slice acknowledged');
    await waitUntil(
      async () => Object.keys((await load(waiting)).children).length === 1,
      'the other slice written ahead',
    );
    expect(sent).toHaveLength(1);

    // The lock's session ends: another gateway may hold it now.
    await dataSource.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()`,
    );
    await waitUntil(() => lost.length === 1, 'the gateway told of its lost lock');
    await drive(() => false, 300); // three seconds of tokens

    expect(sent).toHaveLength(1);
    expect((await load(sentOrder)).status).toBe('NEW');
  });

  it('killed after sending, before the ack: after restart the venue is asked, nothing is sent twice', async () => {
    const sim = venue('SIM-A');
    const placed = await commands.placeOrder(
      order('crash-after-send', { type: 'LIMIT', limitPrice: d('9681'), quantity: d('0.3') }),
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    const childId = `${orderId}.1`;
    await writeAhead(orderId, [{ childId, venueId: 'SIM-A', quantity: '0.3', limitPrice: '9681' }]);
    // The old gateway sent it; its reports died with it.
    await sim.connect();
    clock.advance(1);
    await sim.submit({
      clientOrderId: childId,
      instrumentId: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'IOC',
      quantity: d('0.3'),
      limitPrice: d('9681'),
    });
    clock.advance(20);
    const submit = jest.spyOn(sim, 'submit');
    await startGateway([sim]);
    await drive(settled(orderId, 'FILLED'));

    expect(submit).not.toHaveBeenCalled();
    const after = await load(orderId);
    expect([after.status, after.cumQty.toString(), after.fills.length]).toEqual(['FILLED', '0.3', 1]);
  });

  it('a venue that lost its book: the slice is sent again for what is left, and its new acknowledgement taken', async () => {
    const before = venue('SIM-A');
    const first = await startGateway([before]);
    const placed = await commands.placeOrder(
      order('lost-by-venue', { type: 'LIMIT', limitPrice: d('9681'), timeInForce: 'GTC', quantity: d('1') }),
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    const childId = `${orderId}.1`;
    // 0.4 of 1 fills against the book; the rest rests at the venue.
    await drive(async () => (await load(orderId)).cumQty.eq(d('0.4')));
    const acknowledged = (await load(orderId)).children[childId].venueOrderId;
    expect(acknowledged).not.toBeNull();

    // The venue restarts without its book (and the gateway with it): it does not know the slice.
    await first.stop();
    before.stop();
    const after = venue('SIM-A', { seed: 99 });
    const submit = jest.spyOn(after, 'submit');
    await startGateway([after]);
    await drive(async () => {
      const child = (await load(orderId)).children[childId];
      return child.venueOrderId !== null && child.venueOrderId !== acknowledged;
    });

    // Sent again under the same id for the 0.6 left, never the whole 1 again.
    expect(submit.mock.calls.map(([r]) => [r.clientOrderId, r.quantity.toString()])).toEqual([
      [childId, '0.6'],
    ]);
    const history = (await store.readStream(orderStream(orderId))).map((e) => e.type);
    expect(history).toContain('VenueOrderResent');
    const now = await load(orderId);
    expect(now.children[childId].status).not.toBe('REJECTED');
    expect(now.cumQty.lte(d('1'))).toBe(true);

    // A replace afterwards tells the venue its own order's total: 0.9 less the 0.4 that filled before
    // the re-send (0.9 itself would let 1.3 fill against an order of 0.9).
    const replace = jest.spyOn(after, 'replace');
    await commands.replaceOrder(orderId, d('0.9'), null, ctx);
    await drive(
      async () => replace.mock.calls.length > 0 && (await load(orderId)).status !== 'PENDING_REPLACE',
    );
    expect(replace.mock.calls.map(([id, quantity]) => [id, quantity.toString()])).toEqual([[childId, '0.5']]);
    const replaced = await load(orderId);
    expect(replaced.orderQty.toString()).toBe('0.9');
    expect(replaced.cumQty.lte(d('0.9'))).toBe(true);
  });

  it('a burst of re-sends after a venue lost its book waits for the venue rate limit: none refused, none over it', async () => {
    const slow = (seed: number) => venue('SIM-A', { seed, capabilities: capabilities('SIM-A', 10, 10) });
    const before = slow(1);
    const first = await startGateway([before], 5_000);
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const placed = await commands.placeOrder(
        order(`resting-${i}`, {
          type: 'LIMIT',
          limitPrice: d('9600'),
          timeInForce: 'GTC',
          quantity: d('0.1'),
        }),
        ctx,
      );
      ids.push(placed.order.terms.orderId);
    }
    const acknowledged = async () =>
      (await Promise.all(ids.map(load))).every(
        (o) => o.children[`${o.terms.orderId}.1`]?.status === 'ACKNOWLEDGED',
      );
    await drive(acknowledged, 1_000);
    await first.stop();
    before.stop();

    const after = slow(2);
    // The venue itself refuses what is over its limit: every send it was offered, and those refusals.
    let sent = 0;
    let overLimit = 0;
    const submit = after.submit.bind(after);
    after.submit = async (request) => {
      sent++;
      try {
        return await submit(request);
      } catch (error) {
        if (error instanceof VenueUnavailable && error.reason === 'rate limit exceeded') overLimit++;
        throw error;
      }
    };
    // A new order may wait 50 ms for the rate limit, no more; a re-send waits its turn however long.
    const second = newGateway([after], { ackTimeoutMs: 5_000, maxRateWaitMs: 50 });
    let started = false;
    void second.start().finally(() => (started = true));
    await drive(async () => started && sent === 25 && (await acknowledged()), 1_000);

    // 25 re-sends, each offered once, none over the venue's limit (it refused none), none refused
    // here for waiting, and all working again.
    expect([sent, overLimit]).toEqual([25, 0]);
    const orders = await Promise.all(ids.map(load));
    expect(orders.map((o) => o.status)).toEqual(ids.map(() => 'NEW'));
  });

  it('fills while the venue is disconnected are recovered by reconciliation', async () => {
    const sim = venue('SIM-A');
    await startGateway([sim]);
    const placed = await commands.placeOrder(
      order('dark', { type: 'LIMIT', limitPrice: d('9600'), timeInForce: 'GTC', quantity: d('0.5') }),
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'NEW'));
    await sim.disconnect();
    // The market trades through the resting order while the line is down: the fill report is lost.
    sim.publish('BTCUSDT', {
      ...BOOK,
      kind: 'trade',
      tradeId: 't1',
      aggressor: 'SELL',
      price: d('9590'),
      quantity: d('2'),
    });
    clock.advance(50);
    expect((await load(orderId)).status).toBe('NEW'); // the OMS has not heard
    await sim.connect();
    await drive(settled(orderId, 'FILLED'));

    const after = await load(orderId);
    expect([after.status, after.cumQty.toString(), after.fills[0].price.toString()]).toEqual([
      'FILLED',
      '0.5',
      '9600',
    ]);
  });

  it('a cancel the venue refuses (FIX 35=9) restores the order to what it was, still working', async () => {
    const sim = venue('SIM-A', { faults: { cancelRejectProbability: 1 } });
    await startGateway([sim]);
    const placed = await commands.placeOrder(
      order('cancel-refused', {
        type: 'LIMIT',
        limitPrice: d('9300'),
        timeInForce: 'GTC',
        quantity: d('0.5'),
      }),
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'NEW'));
    expect((await commands.cancelOrder(orderId, null, ctx)).status).toBe('PENDING_CANCEL');
    await drive(settled(orderId, 'NEW'));

    const types = (await store.readStream(orderStream(orderId))).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['OrderCancelRequested', 'OrderCancelRejected']);
    expect(await sim.openOrders()).toHaveLength(1);
    // It can be canceled again later; the request is not stuck.
    expect((await commands.cancelOrder(orderId, null, ctx)).status).toBe('PENDING_CANCEL');
  });

  it('a trade the venue busts (FIX ExecType H) rolls back the slice and the order, which ends: nothing stays working', async () => {
    const sim = venue('SIM-A');
    await startGateway([sim]);
    const placed = await commands.placeOrder(
      order('busted', { type: 'LIMIT', limitPrice: d('9600'), timeInForce: 'GTC', quantity: d('0.5') }),
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'NEW'));
    sim.publish('BTCUSDT', {
      ...BOOK,
      kind: 'trade',
      tradeId: 'tb',
      aggressor: 'SELL',
      price: d('9590'),
      quantity: d('2'),
    });
    await drive(settled(orderId, 'FILLED'));
    const [fill] = (await load(orderId)).fills;
    sim.bust(fill.execId, 'clearly erroneous');
    await drive(settled(orderId, 'CANCELED'));

    const after = await load(orderId);
    expect([after.status, after.cumQty.toString(), after.leavesQty.toString()]).toEqual([
      'CANCELED',
      '0',
      '0',
    ]);
    expect(after.children[`${orderId}.1`]).toMatchObject({ cumQty: '0' });
    const types = (await store.readStream(orderStream(orderId))).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['TradeBusted', 'OrderCanceled']);
    expect(await sim.openOrders()).toEqual([]);
  });

  it('a trade the venue corrects (FIX ExecType G) is recorded as corrected on the order', async () => {
    const sim = venue('SIM-A');
    await startGateway([sim]);
    const placed = await commands.placeOrder(
      order('corrected', { type: 'LIMIT', limitPrice: d('9600'), timeInForce: 'GTC', quantity: d('0.5') }),
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'NEW'));
    sim.publish('BTCUSDT', {
      ...BOOK,
      kind: 'trade',
      tradeId: 'tc',
      aggressor: 'SELL',
      price: d('9590'),
      quantity: d('2'),
    });
    await drive(settled(orderId, 'FILLED'));
    const [fill] = (await load(orderId)).fills;
    sim.correct(fill.execId, d('0.5'), d('9595'), 'price corrected');
    await drive(async () => (await load(orderId)).fills[0].price.eq(d('9595')));

    const after = await load(orderId);
    expect([after.status, after.cumQty.toString(), after.avgPx?.toString()]).toEqual([
      'FILLED',
      '0.5',
      '9595',
    ]);
  });

  it('a DAY order still working at its session end is expired by its venue, and the order ends EXPIRED', async () => {
    const sim = venue('SIM-A');
    await startGateway([sim]);
    const placed = await commands.placeOrder(
      order('day-end', { type: 'LIMIT', limitPrice: d('9600'), timeInForce: 'DAY', quantity: d('0.5') }),
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    // The demo instrument trades 24/7: its day ends at UTC midnight.
    const expireAt = Date.parse(placed.order.expireAt!);
    expect(new Date(expireAt).toISOString()).toMatch(/T00:00:00\.000Z$/);
    expect(expireAt).toBeGreaterThan(Date.now());
    await drive(settled(orderId, 'NEW'));
    clock.advance(expireAt - clock.now() - 1_000);
    await drive(() => false, 5);
    expect((await load(orderId)).status).toBe('NEW');
    clock.advance(1_000);
    await drive(settled(orderId, 'EXPIRED'));

    const history = (await store.readStream(orderStream(orderId))).map((e) => e.type);
    expect(history.slice(-2)).toEqual(['VenueOrderClosed', 'OrderExpired']);
    expect(await sim.openOrders()).toEqual([]);
  });

  it('a GTD order at a venue that cannot expire it is sent GTC and expired by the OMS: canceled there, EXPIRED here', async () => {
    const sim = venue('SIM-A', {
      capabilities: { ...capabilities('SIM-A'), timesInForce: ['GTC', 'IOC', 'FOK'] },
    });
    await startGateway([sim]);
    const expireAt = new Date(Date.now() + 60_000).toISOString();
    const placed = await commands.placeOrder(
      order('gtd', {
        type: 'LIMIT',
        limitPrice: d('9600'),
        timeInForce: 'GTD',
        expireAt,
        quantity: d('0.5'),
      }),
      ctx,
    );
    expect(placed.accepted).toBe(true);
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'NEW'));
    expect(await sim.openOrders()).toHaveLength(1);
    clock.advance(Date.parse(expireAt) - clock.now() + 1_000);
    await drive(settled(orderId, 'EXPIRED'));

    const history = (await store.readStream(orderStream(orderId))).map((e) => e.type);
    expect(history.slice(-3)).toEqual(['OrderCancelRequested', 'VenueOrderClosed', 'OrderExpired']);
    expect(await sim.openOrders()).toEqual([]);
  });

  it('an expiry whose cancel the venue refuses is tried again: the order never stays working past its time', async () => {
    const sim = venue('SIM-A', {
      capabilities: { ...capabilities('SIM-A'), timesInForce: ['GTC', 'IOC', 'FOK'] },
      faults: { cancelRejectProbability: 1 },
    });
    await startGateway([sim]);
    const expireAt = new Date(Date.now() + 60_000).toISOString();
    const placed = await commands.placeOrder(
      order('gtd-refused', {
        type: 'LIMIT',
        limitPrice: d('9600'),
        timeInForce: 'GTD',
        expireAt,
        quantity: d('0.5'),
      }),
      ctx,
    );
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'NEW'));
    clock.advance(Date.parse(expireAt) - clock.now() + 1_000);
    const requests = async () =>
      (await store.readStream(orderStream(orderId))).filter((e) => e.type === 'OrderCancelRequested').length;
    await drive(async () => (await requests()) >= 1 && (await load(orderId)).status === 'NEW');
    // Refused by the venue: asked again a grace later, and again, while it still works.
    await drive(async () => (await requests()) >= 2);
    expect(await requests()).toBeGreaterThanOrEqual(2);
  });

  it('causation is unbroken from the client to the venue: fill ← submit ← acceptance, venue cancel ← cancel request', async () => {
    const sim = venue('SIM-A');
    await startGateway([sim]);
    const placed = await commands.placeOrder(
      order('caused', { type: 'LIMIT', limitPrice: d('9600'), timeInForce: 'GTC', quantity: d('0.5') }),
      { actor: 'user:trader', correlationId: 'client-request-1' },
    );
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'NEW'));
    sim.publish('BTCUSDT', {
      ...BOOK,
      kind: 'trade',
      tradeId: 'tc1',
      aggressor: 'SELL',
      price: d('9590'),
      quantity: d('0.2'),
    });
    await drive(settled(orderId, 'PARTIALLY_FILLED'));
    await commands.cancelOrder(orderId, null, { actor: 'user:trader', correlationId: 'client-request-2' });
    await drive(settled(orderId, 'CANCELED'));

    const events = await store.readStream(orderStream(orderId));
    const one = (type: string) => events.find((e) => e.type === type)!;
    const accepted = one('OrderAccepted');
    const submitted = one('VenueOrderSubmitted');
    const requested = one('OrderCancelRequested');
    expect(submitted.metadata).toMatchObject({
      correlationId: 'client-request-1',
      causationId: accepted.eventId,
    });
    for (const type of ['OrderAcknowledged', 'OrderFilled']) {
      expect([type, one(type).metadata]).toEqual([
        type,
        expect.objectContaining({ correlationId: 'client-request-1', causationId: submitted.eventId }),
      ]);
    }
    expect(requested.metadata).toMatchObject({ correlationId: 'client-request-2' });
    for (const type of ['VenueOrderClosed', 'OrderCanceled']) {
      expect([type, one(type).metadata]).toEqual([
        type,
        expect.objectContaining({ correlationId: 'client-request-2', causationId: requested.eventId }),
      ]);
    }
  });

  it('a MARKET order never trades beyond its price protection: the rest is canceled and reported', async () => {
    const thin: MarketEvent = {
      ...BOOK,
      asks: [
        { price: d('9681'), quantity: d('0.4') },
        { price: d('20000'), quantity: d('0.6') },
      ],
    };
    const sim = venue('SIM-A', { feeds: { BTCUSDT: [thin] } });
    await startGateway([sim]);
    // The reference is 9,680 and the collar 5 %: a buy may pay at most 10,164.
    const placed = await commands.placeOrder(order('protected', { quantity: d('1') }), ctx);
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'CANCELED'));

    const after = await load(orderId);
    expect([after.status, after.cumQty.toString()]).toEqual(['CANCELED', '0.4']);
    expect(after.fills.map((f) => `${f.quantity}@${f.price}`)).toEqual(['0.4@9681']);
    const history = await store.readStream(orderStream(orderId));
    const accepted = history.find((e) => e.type === 'OrderAccepted')!.data as { protectionPrice: string };
    expect(accepted.protectionPrice).toBe('10164');
    const closed = history.find((e) => e.type === 'VenueOrderClosed')!.data as { unfilledQty: string };
    expect(closed.unfilledQty).toBe('0.6');
  });

  it('the breaker opens after repeated failures and the router avoids that venue', async () => {
    const a = venue('SIM-A');
    const b = venue('SIM-B');
    const gateway = await startGateway([a, b]);
    // SIM-A takes nothing: every submit fails on the wire.
    jest.spyOn(a, 'submit').mockRejectedValue(new Error('connection reset'));
    for (let i = 0; i < 3; i++) {
      const placed = await commands.placeOrder(order(`fail-${i}`, { quantity: d('0.1') }), ctx);
      await drive(settled(placed.order.terms.orderId, 'REJECTED'));
    }
    expect(gateway.status().find((v) => v.id === 'SIM-A')).toMatchObject({
      breaker: 'OPEN',
      lastError: 'connection reset',
    });

    const placed = await commands.placeOrder(order('avoid', { quantity: d('0.1'), venueId: null }), ctx);
    const orderId = placed.order.terms.orderId;
    await drive(settled(orderId, 'FILLED'));
    const routed = (await store.readStream(orderStream(orderId))).find((e) => e.type === 'OrderRouted')!;
    const data = routed.data as { slices: { venueId: string }[]; rationale: string };
    expect(data.slices.map((s) => s.venueId)).toEqual(['SIM-B']);
    expect(data.rationale).toContain('skipped SIM-A (breaker OPEN)');
  });

  /** A gateway that refuses a slice rather than wait for its venue's rate limit. */
  const neverWaiting = (sim: SimulatedVenue) => newGateway([sim], { maxRateWaitMs: 0 });

  async function burst(n: number, prefix = 'burst'): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const placed = await commands.placeOrder(
        order(`${prefix}-${i}`, {
          type: 'LIMIT',
          limitPrice: d('9300'),
          timeInForce: 'GTC',
          quantity: d('0.01'),
        }),
        ctx,
      );
      ids.push(placed.order.terms.orderId);
    }
    return ids;
  }

  function limitedVenue(sent: number[]): SimulatedVenue {
    const sim = venue('SIM-A', { capabilities: capabilities('SIM-A', 10, 5) });
    const submit = sim.submit.bind(sim);
    jest.spyOn(sim, 'submit').mockImplementation(async (request) => {
      sent.push(clock.now());
      return submit(request);
    });
    return sim;
  }

  const allSettled = (ids: string[]) => async () =>
    (await Promise.all(ids.map(load))).every(
      (s: OrderState) => s.exists && (s.status === 'NEW' || s.status === 'REJECTED'),
    );

  it('a burst waits for the venue rate limit and is never sent over it', async () => {
    const sent: number[] = [];
    const ids = await burst(20);
    await startGateway([limitedVenue(sent)]);
    await drive(() => sent.length === 20, 2_000);
    await drive(allSettled(ids), 50);

    expect((await Promise.all(ids.map(load))).map((s) => s.status)).toEqual(ids.map(() => 'NEW'));
    expect(sent).toHaveLength(20);
    // 5 at once (the burst), then one per 100 ms: no 1-second window holds more than burst + rate.
    for (const t of sent)
      expect(sent.filter((u) => u >= t && u < t + 1_000).length).toBeLessThanOrEqual(5 + 10);
    expect(sent[sent.length - 1] - sent[0]).toBeGreaterThanOrEqual(1_400);
  });

  it('a slice that would wait longer than allowed is refused with the reason, not sent over the limit', async () => {
    const sent: number[] = [];
    const ids = await burst(20);
    const sim = limitedVenue(sent);
    const gateway = neverWaiting(sim);
    // The gateway's bucket starts empty; half a second fills it (5). Then time stands still, so that
    // burst is all the venue allows; start() returns once the log is handled.
    clock.advance(500);
    await gateway.start();

    expect(sent).toHaveLength(5);
    const reasons: string[] = [];
    for (const id of ids) {
      for (const e of await store.readStream(orderStream(id))) {
        if (e.type === 'VenueOrderClosed') reasons.push((e.data as { reason: string }).reason);
      }
    }
    expect(reasons).toEqual(Array.from({ length: 15 }, () => 'rate limit of SIM-A: no room within 0 ms'));
    expect((await Promise.all(ids.map(load))).filter((s) => s.status === 'REJECTED')).toHaveLength(15);
  });

  it('a gateway restarted right after a burst does not send a second burst into the venue limit', async () => {
    const sent: number[] = [];
    const sim = limitedVenue(sent);
    const first = neverWaiting(sim);
    clock.advance(500);
    const early = await burst(5);
    await first.start();
    await drive(allSettled(early), 20);
    expect(sent).toHaveLength(5); // the venue's whole burst, used
    await first.stop(); // and the gateway goes, at that instant

    const ids = await burst(5, 'after-restart');
    await startGateway([sim]);
    await drive(() => sent.length >= 10, 500);
    await drive(allSettled(ids), 50);

    // A full bucket at start would send 5 at once into the venue's empty one: refused by the venue.
    expect((await Promise.all(ids.map(load))).map((s) => s.status)).toEqual(ids.map(() => 'NEW'));
    for (const t of sent)
      expect(sent.filter((u) => u >= t && u < t + 1_000).length).toBeLessThanOrEqual(5 + 10);
  });

  it('a gateway stopped while slices wait for tokens sends none of them and records no refusal', async () => {
    const sent: number[] = [];
    const sim = limitedVenue(sent);
    const gateway = newGateway([sim]);
    clock.advance(500); // five tokens
    const ids = await burst(12);
    const started = gateway.start().catch((error: unknown) => error);
    await drive(() => sent.length >= 5, 1); // the five go out; the rest wait on the clock
    // Every order written ahead (its slice recorded), so the other seven wait on the line, not earlier.
    await waitUntil(
      async () => (await Promise.all(ids.map(load))).every((o) => Object.keys(o.children).length === 1),
      'every order written ahead',
    );
    expect(sent).toHaveLength(5);

    const stopping = gateway.stop(); // its lock lost: another gateway may hold it now
    await drive(() => false, 300); // three seconds of tokens
    await stopping;
    await started;

    expect(sent).toHaveLength(5);
    const closed: string[] = [];
    for (const id of ids) {
      for (const e of await store.readStream(orderStream(id)))
        if (e.type === 'VenueOrderClosed') closed.push(id);
    }
    expect(closed).toEqual([]); // written ahead and left for the gateway that sends now
  });

  describe('replace of an order working at its venue', () => {
    const resting = (id: string, over: Partial<PlaceOrderRequest> = {}) =>
      order(id, { type: 'LIMIT', limitPrice: d('9600'), timeInForce: 'GTC', quantity: d('2'), ...over });

    it('a reduction that fills overtake (FIX D11/D12) ends the order at what filled; nothing more trades', async () => {
      const sim = venue('SIM-A');
      await startGateway([sim]);
      const orderId = (await commands.placeOrder(resting('reduce', { quantity: d('1') }), ctx)).order.terms
        .orderId;
      await drive(settled(orderId, 'NEW'));
      expect((await commands.replaceOrder(orderId, d('0.7'), null, ctx)).status).toBe('PENDING_REPLACE');
      // 0.8 trades through the resting order before the venue has the replace.
      const trade = (tradeId: string, quantity: string): MarketEvent => ({
        ...BOOK,
        kind: 'trade',
        tradeId,
        aggressor: 'SELL',
        price: d('9590'),
        quantity: d(quantity),
      });
      sim.publish('BTCUSDT', trade('t-d11', '0.8'));
      await drive(async () => {
        const o = await load(orderId);
        return o.closure !== null || (o.status === 'FILLED' && !o.pendingReplace);
      });
      // Were the rest still working, this would fill it.
      sim.publish('BTCUSDT', trade('t-d11-later', '5'));
      await drive(() => false, 20);

      const after = await load(orderId);
      expect([
        after.status,
        after.cumQty.toString(),
        after.orderQty.toString(),
        after.leavesQty.toString(),
      ]).toEqual(['FILLED', '0.8', '0.8', '0']);
      expect(await sim.openOrders()).toEqual([]);
    });

    it('an unsolicited restatement of quantity by the venue (FIX ExecType D) is applied, not dropped', async () => {
      const sim = venue('SIM-A');
      await startGateway([sim]);
      const orderId = (await commands.placeOrder(resting('restated'), ctx)).order.terms.orderId;
      await drive(settled(orderId, 'NEW'));
      // The venue cuts the order from 2 to 1.5 on its own (a risk reduction, say).
      sim.restate(`${orderId}.1`, d('1.5'), 'venue risk reduction');
      await drive(async () => (await load(orderId)).orderQty.eq(d('1.5')));

      const after = await load(orderId);
      expect([after.status, after.orderQty.toString(), after.leavesQty.toString()]).toEqual([
        'NEW',
        '1.5',
        '1.5',
      ]);
      expect(after.children[`${orderId}.1`].quantity).toBe('1.5');
      const types = (await store.readStream(orderStream(orderId))).map((e) => e.type);
      expect(types.slice(-2)).toEqual(['VenueOrderRestated', 'OrderRestated']);
    });

    it('reaches the slice at the venue: the venue works the new terms and the order follows', async () => {
      const sim = venue('SIM-A');
      await startGateway([sim]);
      const placed = await commands.placeOrder(resting('replace-1'), ctx);
      const orderId = placed.order.terms.orderId;
      await drive(settled(orderId, 'NEW'));

      const pending = await commands.replaceOrder(orderId, d('3'), d('9650'), ctx);
      expect(pending.status).toBe('PENDING_REPLACE');
      await drive(settled(orderId, 'NEW'));

      const after = await load(orderId);
      expect([after.orderQty.toString(), after.limitPrice?.toString(), after.leavesQty.toString()]).toEqual([
        '3',
        '9650',
        '3',
      ]);
      const atVenue = await sim.queryOrder(`${orderId}.1`);
      expect([atVenue?.quantity.toString(), atVenue?.leavesQuantity.toString()]).toEqual(['3', '3']);
      const types = (await store.readStream(orderStream(orderId))).map((e) => e.type);
      expect(types.slice(-4)).toEqual([
        'OrderReplaceRequested',
        'VenueReplaceSubmitted',
        'VenueOrderReplaced',
        'OrderReplaced',
      ]);
    });

    it('a price through the market trades at once; a venue that refuses leaves the order as it was', async () => {
      const sim = venue('SIM-A');
      await startGateway([sim]);
      const a = (await commands.placeOrder(resting('replace-2'), ctx)).order.terms.orderId;
      await drive(settled(a, 'NEW'));
      // Up to 9682: crosses the asks (0.4 at 9681, then 9682), the rest of 2 fills too.
      await commands.replaceOrder(a, null, d('9682'), ctx);
      await drive(settled(a, 'FILLED'));
      expect((await load(a)).limitPrice?.toString()).toBe('9682');

      const b = (await commands.placeOrder(resting('replace-3'), ctx)).order.terms.orderId;
      await drive(settled(b, 'NEW'));
      // The venue lost the order meanwhile (as after a venue-side cancel we have not heard of yet).
      jest.spyOn(sim, 'replace').mockImplementationOnce(async (childId) => {
        await sim.cancel(childId);
        clock.advance(20);
        throw new Error('venue dropped the line');
      });
      await commands.replaceOrder(b, d('5'), null, ctx);
      await drive(async () => (await load(b)).status !== 'PENDING_REPLACE');
      const events = (await store.readStream(orderStream(b))).map((e) => e.type);
      expect(events).toContain('VenueReplaceRejected');
      expect(events).toContain('OrderReplaceRejected');
      expect((await load(b)).orderQty.toString()).toBe('2');
    });

    it('killed after planning the replace, before sending it: after restart the venue gets it once', async () => {
      const first = venue('SIM-A');
      const gateway = await startGateway([first]);
      const orderId = (await commands.placeOrder(resting('replace-4'), ctx)).order.terms.orderId;
      await drive(settled(orderId, 'NEW'));
      await gateway.stop();
      // What a gateway that died after its write-ahead append left: the request and the slice plan.
      await commands.replaceOrder(orderId, d('4'), null, ctx);
      await new AggregateStore(store).execute(
        orderDecider,
        orderStream(orderId),
        {
          type: 'RouteReplace',
          data: {
            orderId,
            slices: [{ childId: `${orderId}.1`, quantity: '4', limitPrice: '9600' }],
            rationale: 'test',
          },
          metadata: { now: new Date(clock.now()) },
        },
        { correlationId: 'crash', causationId: null, actor: 'system:execution-gateway' },
      );
      const replace = jest.spyOn(first, 'replace');
      await startGateway([first]);
      await drive(settled(orderId, 'NEW'));

      expect(replace).toHaveBeenCalledTimes(1);
      expect((await load(orderId)).orderQty.toString()).toBe('4');
      expect((await first.queryOrder(`${orderId}.1`))?.quantity.toString()).toBe('4');
    });
  });
});
