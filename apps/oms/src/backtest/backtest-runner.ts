import {
  AccountLedger,
  CommandContext,
  MemoryCheckpoints,
  OrderListProcessor,
  PlaceOrderOutcome,
  PlaceOrderRequest,
  Refusal,
  SoleInstance,
  accountStream,
  createCommandSide,
  heldOrderRelease,
  legTemplatesOf,
  orderIdOf,
  orderListIdFor,
  orderListStream,
  orderStream,
  typedFieldsOf,
} from '@oms/application';
import {
  CancelOrderCommand,
  CancelOrderListCommand,
  CommandsModule,
  DefineInstrumentCommand,
  PlaceOrderCommand,
  PlaceOrderListCommand,
  ReplaceOrderCommand,
  SetRiskLimitsCommand,
} from '@oms/api';
import {
  BacktestConfig,
  BacktestConfigError,
  FaultSpec,
  FaultWindow,
  LogFollower,
  MarketReplay,
  OrderIntent,
  OrderUpdate,
  RunRecord,
  Simulation,
  SURVEY_ROWS,
  Strategy,
  StrategyContext,
  StrategyFactory,
  StrategyInstrument,
  FaultSchedule,
  surveyData,
  timeOf,
  venueOf,
} from '@oms/backtest';
import { Decimal, OrderEvent, OrderState, orderDecider } from '@oms/domain';
import {
  EventStore,
  MemoryEventStore,
  RecordedEvent,
  START,
  Subscription,
  comparePositions,
} from '@oms/event-store';
import { ExecutionGateway, NoWorkingSliceRecord } from '@oms/gateway';
import { Logger, VirtualClock, silentLogger } from '@oms/platform';
import { MarketDataHandler } from '@oms/venues';
import { NestFactory } from '@nestjs/core';
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import { CommandBus } from '@nestjs/cqrs';

export const BACKTEST_ACCOUNT = 'backtest';
const STRATEGY_ACTOR = 'backtest:strategy';
/** How long after the data ends the OMS runs on, so acknowledgements and cancels settle. */
const DRAIN_MS = 10_000;

export interface BacktestRun {
  dataFiles: string[];
  strategy: { name: string; factory: StrategyFactory };
  config: BacktestConfig;
  /** ms since the epoch; null: the data's own start and end. */
  from: number | null;
  to: number | null;
  /** Called now and then with how far the replay is. */
  onProgress?: (progress: RunProgress) => void;
  logger?: Logger;
  /**
   * The event store to keep the log in (PostgreSQL, for audit queries afterwards), with whether
   * requests to it are still out; default: in memory, gone with the run.
   */
  store?: { store: EventStore; busy: () => boolean };
  /** The account the strategy trades in (a kept log needs a fresh one per run); default `backtest`. */
  accountId?: string;
}

export interface RunProgress {
  /** 0..1 of the data files read. */
  done: number;
  events: number;
  simulatedAt: number;
}

/**
 * One backtest: the real command side (pre-trade risk included) behind the CommandBus the API uses,
 * the execution gateway with its router, venue lines (rate limits, breakers) and reconciliation, the
 * account ledger, and simulated venues, all on one virtual clock over an in-memory event store. The
 * recorded data is replayed in timestamp order into the venues; the strategy hears market data as it
 * reaches the OMS and its orders' changes from the event log. Time moves one timer at a time, and
 * only once everything that timer set off has settled, so a run is deterministic for its seed.
 */
export async function runBacktest(run: BacktestRun): Promise<RunRecord> {
  const { config } = run;
  const account = run.accountId ?? BACKTEST_ACCOUNT;
  const inferred = config.instruments.length === 0;
  // Named instruments need only each file's start and symbols; inferred ones a longer look.
  const survey = await surveyData(run.dataFiles, run.from, inferred ? SURVEY_ROWS : 100);
  const instruments = inferred ? survey.instruments : config.instruments;
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i.instrumentId]));
  // Fault windows checked before anything starts (their offsets count from the data's start).
  const windows = config.venues.map((model) =>
    model.faults.map((spec) => faultWindowOf(spec, model.id, survey.startsAt)),
  );
  const clock = new VirtualClock(survey.startsAt);
  const store = run.store?.store ?? new MemoryEventStore(undefined, () => new Date(clock.now()));
  const sim = new Simulation(clock, store, run.store?.busy);
  const marketData = new MarketDataHandler(clock);
  const side = createCommandSide(store, marketData, clock);
  const app = await NestFactory.createApplicationContext(CommandsModule.register(side), { logger: false });
  const bus = app.get(CommandBus);
  const ctx = (correlationId: string): CommandContext => ({ actor: STRATEGY_ACTOR, correlationId });
  const logger = run.logger ?? silentLogger;

  const venues = config.venues.map((model, i) => venueOf(model, i, config, instruments, clock));
  // A kept log may hold earlier runs: the gateway and the ledger follow it from where this run starts.
  const logStart = await store.headPosition();
  const checkpoints = new MemoryCheckpoints();
  // Retries' jitter from the seed too: a run repeats exactly even when cancels must wait.
  const jitter = xoroshiro128plus(config.seed ^ 0x5eed);
  const gateway = new ExecutionGateway(
    {
      store,
      checkpoints,
      lock: new SoleInstance('backtest-gateway'),
      workingSlices: new NoWorkingSliceRecord(),
      venues: venues.map((v) => v.venue),
      marketData,
      clock,
      logger,
      heldOrders: heldOrderRelease(side),
    },
    { random: () => unsafeUniformIntDistribution(0, 999_999, jitter) / 1_000_000 },
  );
  const ledger = new AccountLedger(
    store,
    side.aggregates,
    side.accounts,
    side.reference,
    marketData,
    clock,
    { checkpoints, lock: new SoleInstance('backtest-ledger'), logger },
    0,
  );
  // Contingent lists follow their members, as in the ledger's process.
  const lists = new OrderListProcessor(side.orderLists, side.aggregates, store, clock, {
    checkpoints,
    lock: new SoleInstance('backtest-order-lists'),
    logger,
  });

  const record: RunRecord = {
    accountId: account,
    startsAt: survey.startsAt,
    endsAt: survey.startsAt,
    files: survey.files,
    instruments: instruments.map((i) => ({ ...i, inferred })),
    marks: [],
    arrivals: {},
    refusals: [],
    faults: [],
    log: [],
    events: [],
    marketEvents: 0,
    venueFills: [],
    booked: {},
  };
  let subscription: Subscription | null = null;
  try {
    if (comparePositions(logStart, START) > 0)
      for (const processor of [gateway.processor, ledger.processor, lists.processor])
        await checkpoints.commit(processor.name, START, logStart);
    await sim.settle();
    for (const i of instruments) {
      await setUp(`instrument ${i.instrumentId}`, () =>
        bus.execute(
          new DefineInstrumentCommand(
            {
              instrumentId: i.instrumentId,
              baseCurrency: i.baseCurrency,
              quoteCurrency: i.quoteCurrency,
              tickSize: i.tickSize.toString(),
              lotSize: i.lotSize.toString(),
              minQuantity: i.lotSize.toString(),
              maxQuantity: i.lotSize.times(Decimal.of(100_000_000)).toString(),
              pricePrecision: i.tickSize.decimalPlaces(),
              tradable: true,
              venueSymbols: Object.fromEntries(config.venues.map((v) => [v.id, i.symbol])),
            },
            ctx('backtest-setup'),
          ),
        ),
      );
    }
    await setUp('limits', () =>
      bus.execute(new SetRiskLimitsCommand(account, config.limits, ctx('backtest-setup'))),
    );
    sim.followers.push(ledger.processor, lists.processor, gateway.processor);
    await ledger.processor.start();
    await lists.processor.start();
    await sim.until(gateway.start());

    // Faults on the clock, each window recorded for the report.
    const faults = venues.map(({ venue, model }, i) => {
      const schedule = new FaultSchedule(clock, venue, model);
      for (const window of windows[i]) {
        record.faults.push({ venueId: model.id, ...window });
        schedule.add(window);
      }
      return schedule;
    });

    // The strategy, and what it is told.
    const strategyInstruments: StrategyInstrument[] = instruments.map((i) => ({
      instrumentId: i.instrumentId,
      tickSize: i.tickSize,
      lotSize: i.lotSize,
    }));
    const strategy: Strategy = run.strategy.factory({
      params: config.strategy,
      instruments: strategyInstruments,
      startsAt: survey.startsAt,
      endsAt: run.to,
    });
    const timers = new Map<string, unknown>();
    let placed = 0;
    let placedLists = 0;
    /** An order as the strategy asked for it, in the terms the API takes (routing as configured). */
    const orderRequestOf = (intent: Omit<OrderIntent, 'quantity'>) => ({
      instrumentId: intent.instrumentId,
      side: intent.side,
      timeInForce: intent.timeInForce ?? (intent.type === 'MARKET' ? 'IOC' : 'GTC'),
      venueId: config.routing === 'best-price' ? (intent.venueId ?? null) : config.routing,
      // The type and the fields that depend on it, as the place-order process reads them.
      ...typedFieldsOf({ ...intent, limitPrice: intent.limitPrice ?? null }),
    });
    let stopped = false;
    const strategyContext: StrategyContext = {
      now: () => clock.now(),
      instruments: strategyInstruments,
      decimal: (text) => Decimal.parse(text),
      book: (venueId, instrumentId) => {
        const book = marketData.orderBook(venueId, instrumentId);
        return book ? { bids: book.bids, asks: book.asks } : null;
      },
      bestBidAsk: (instrumentId) => {
        let bid: Decimal | null = null;
        let ask: Decimal | null = null;
        // Only venues whose line is up: a down venue's last book is not a price to trade at.
        for (const { model, venue } of venues) {
          if (!venue.connected) continue;
          const book = marketData.orderBook(model.id, instrumentId);
          const b = book?.bestBid?.price;
          const a = book?.bestAsk?.price;
          if (b && (!bid || b.gt(bid))) bid = b;
          if (a && (!ask || a.lt(ask))) ask = a;
        }
        return { bid, ask };
      },
      mid: (instrumentId) => marketData.markPrice(instrumentId),
      place: async (intent) => {
        const clientOrderId = `bt-${++placed}`;
        if (stopped)
          return { accepted: false, orderId: null, clientOrderId, reasons: ['the backtest has ended'] };
        const request: PlaceOrderRequest = {
          accountId: account,
          clientOrderId,
          ...orderRequestOf(intent),
          quantity: intent.quantity,
        };
        const arrival = marketData.markPrice(intent.instrumentId);
        try {
          const outcome: PlaceOrderOutcome = await bus.execute(
            new PlaceOrderCommand(request, ctx(clientOrderId)),
          );
          const orderId = outcome.order.terms.orderId;
          record.arrivals[orderId] = { at: clock.now(), mid: arrival?.toString() ?? null };
          return outcome.accepted
            ? { accepted: true, orderId, clientOrderId }
            : {
                accepted: false,
                orderId,
                clientOrderId,
                reasons: outcome.rejections.map((r) => `${r.code}: ${r.message}`),
              };
        } catch (error) {
          return { accepted: false, orderId: null, clientOrderId, reasons: placeRefused(error) };
        }
      },
      placeList: async (intent) => {
        const clientListId = `bt-list-${++placedLists}`;
        if (stopped)
          return { accepted: false, listId: null, clientListId, reasons: ['the backtest has ended'] };
        try {
          const legs = legTemplatesOf(
            intent.contingency,
            intent.legs.map((leg) => ({
              ...orderRequestOf(leg),
              key: leg.key,
              role: leg.role,
              quantity: leg.quantity ?? null,
            })),
          );
          await bus.execute(
            new PlaceOrderListCommand(
              { accountId: account, clientListId, contingency: intent.contingency, legs },
              ctx(clientListId),
            ),
          );
          return { accepted: true, listId: orderListIdFor(account, clientListId), clientListId };
        } catch (error) {
          return { accepted: false, listId: null, clientListId, reasons: placeRefused(error) };
        }
      },
      cancelList: async (listId, reason) =>
        refused('cancel', () =>
          bus.execute(
            new CancelOrderListCommand(listId, reason ?? 'canceled by the strategy', ctx(`cancel-${listId}`)),
          ),
        ),
      cancel: async (orderId, reason) =>
        refused('cancel', () =>
          bus.execute(new CancelOrderCommand(orderId, reason ?? null, ctx(`cancel-${orderId}`))),
        ),
      replace: async (orderId, change) =>
        refused('replace', () =>
          bus.execute(
            new ReplaceOrderCommand(
              orderId,
              change.quantity ?? null,
              change.limitPrice ?? null,
              ctx(`replace-${orderId}`),
              change.stopPrice ?? null,
            ),
          ),
        ),
      position: async (instrumentId) => {
        const { state } = await side.accounts.get(account);
        const p = state.positions.get(instrumentId);
        return {
          instrumentId,
          quantity: p?.quantity ?? Decimal.ZERO,
          averagePrice: p?.averagePrice ?? Decimal.ZERO,
          realizedPnl: p?.realizedPnl ?? Decimal.ZERO,
          fees: p?.fees ?? Decimal.ZERO,
        };
      },
      setTimer: (name, ms) => {
        strategyContext.clearTimer(name);
        timers.set(
          name,
          clock.setTimeout(() => {
            timers.delete(name);
            if (!stopped) sim.track(strategy.onTimer?.(strategyContext, name));
          }, ms),
        );
      },
      clearTimer: (name) => {
        const handle = timers.get(name);
        if (handle !== undefined) clock.clearTimeout(handle);
        timers.delete(name);
      },
      log: (message) => {
        if (record.log.length < 500) record.log.push({ at: clock.now(), message });
      },
    };
    /** A place the OMS refused before any decision: recorded, and its reason for the strategy. */
    function placeRefused(error: unknown): string[] {
      if (!(error instanceof Refusal)) throw error;
      record.refusals.push({ at: clock.now(), request: 'place', code: error.code, message: error.message });
      return [`${error.code}: ${error.message}`];
    }
    async function refused(
      request: 'cancel' | 'replace',
      send: () => Promise<unknown>,
    ): Promise<{ ok: boolean; reason?: string }> {
      try {
        await send();
        return { ok: true };
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        record.refusals.push({ at: clock.now(), request, code: error.code, message: error.message });
        return { ok: false, reason: `${error.code}: ${error.message}` };
      }
    }

    // Order updates from the log, in log order, to the strategy.
    const orders = new Map<string, OrderState>();
    const updates: LogFollower = { followedTo: await store.headPosition(), handles: () => true };
    sim.followers.push(updates);
    /** When each event was appended, on the virtual clock (a database stamps its own time). */
    const appendedAt = new Map<string, number>();
    subscription = store.subscribeToAll({ fromPosition: updates.followedTo }, async (events) => {
      for (const e of events) {
        updates.followedTo = e.position;
        appendedAt.set(e.eventId, clock.now());
        if (!e.streamName.startsWith(orderStream(''))) continue;
        const orderId = orderIdOf(e.streamName);
        const before = orders.get(orderId) ?? orderDecider.initialState();
        const after = orderDecider.evolve(before, { type: e.type, data: e.data } as OrderEvent);
        orders.set(orderId, after);
        if (!after.exists || after.terms.accountId !== account) continue;
        sim.track(strategy.onOrderUpdate?.(strategyContext, updateOf(after, e)));
      }
    });
    for (const { venue, model } of venues) {
      venue.onMarketData((event, instrumentId) => {
        if (!stopped)
          sim.track(strategy.onMarketData?.(strategyContext, { venueId: model.id, instrumentId, event }));
      });
    }
    sim.track(strategy.onStart?.(strategyContext));
    await sim.settle();

    // The replay: each event into the venues it feeds, at its exchange time.
    const feeds = run.dataFiles.map((_, file) => venues.filter((v) => v.model.data.includes(file)));
    const replay = new MarketReplay(run.dataFiles, run.from, run.to);
    let nextSample = survey.startsAt;
    let nextProgress = 0;
    try {
      for await (const { file, event } of replay.events()) {
        const at = event.timestamp / 1000;
        await sim.runUntil(at);
        const instrumentId = bySymbol.get(event.symbol);
        if (instrumentId === undefined) continue;
        for (const { venue } of feeds[file]) venue.publish(instrumentId, event);
        record.marketEvents++;
        if (at >= nextSample) {
          record.marks.push({
            at,
            prices: marksOf(
              marketData,
              instruments.map((i) => i.instrumentId),
            ),
          });
          nextSample = at + config.sampleEveryMs - ((at - survey.startsAt) % config.sampleEveryMs);
        }
        if (run.onProgress && record.marketEvents >= nextProgress) {
          nextProgress = record.marketEvents + 2_000;
          run.onProgress({ done: replay.progress(), events: record.marketEvents, simulatedAt: at });
        }
      }
    } finally {
      await replay.close();
    }
    await sim.runUntil(clock.now());
    // The data ran out: fault windows still open end here, so the OMS reconnects and reconciles.
    for (const schedule of faults) schedule.endAll();
    await sim.settle();
    sim.track(strategy.onStop?.(strategyContext));
    await sim.settle();
    stopped = true;
    for (const name of [...timers.keys()]) strategyContext.clearTimer(name);
    record.endsAt = clock.now();
    // The OMS runs on a little (acks, cancels, reconciliation), with no new market data.
    await sim.runUntil(clock.now() + DRAIN_MS);
    record.marks.push({
      at: clock.now(),
      prices: marksOf(
        marketData,
        instruments.map((i) => i.instrumentId),
      ),
    });
    run.onProgress?.({ done: 1, events: record.marketEvents, simulatedAt: clock.now() });
    for (const { venue, model } of venues) {
      for (const f of await venue.fillsSince(0))
        record.venueFills.push({
          venueId: model.id,
          execId: f.execId,
          price: f.price.toString(),
          quantity: f.quantity.toString(),
        });
    }
    const { state: books } = await side.accounts.get(account);
    for (const [id, p] of books.positions)
      record.booked[id] = {
        quantity: p.quantity.toString(),
        realizedPnl: p.realizedPnl.toString(),
        fees: p.fees.toString(),
      };
    // This run's own: its account's orders and account stream (a kept log may hold other runs).
    const mine = [...orders.entries()].filter(([, o]) => o.exists && o.terms.accountId === account);
    const ours = new Set([
      ...mine.map(([id]) => orderStream(id)),
      // The lists its orders are legs of.
      ...mine.flatMap(([, o]) => (o.exists && o.terms.listId ? [orderListStream(o.terms.listId)] : [])),
    ]);
    record.events = (await store.readAll({ fromPosition: logStart }))
      .filter((e) => ours.has(e.streamName) || e.streamName === accountStream(account))
      .map((e) => ({ ...e, recordedAt: new Date(appendedAt.get(e.eventId) ?? e.recordedAt.getTime()) }));
    return record;
  } finally {
    await subscription?.stop();
    await gateway.stop();
    await lists.processor.stop();
    await ledger.processor.stop();
    for (const { venue } of venues) venue.stop();
    await app.close();
    if (!run.store) await store.close(); // a kept store is its owner's to close
  }
}

/** A setup command the OMS refused is the configuration's mistake: said as one, naming what. */
async function setUp(what: string, command: () => Promise<unknown>): Promise<void> {
  try {
    await command();
  } catch (error) {
    if (error instanceof Refusal) throw new BacktestConfigError(`${what}: ${error.message}`);
    throw error;
  }
}

/** A fault window in ms since the epoch; one that does not end after it starts is a configuration error. */
function faultWindowOf(spec: FaultSpec, venueId: string, dataStart: number): FaultWindow {
  const window = {
    ...spec,
    from: timeOf(spec.from, dataStart),
    to: timeOf(spec.to, dataStart),
  } as FaultWindow;
  if (window.to <= window.from)
    throw new BacktestConfigError(
      `venue ${venueId}: the ${spec.type} fault from ${spec.from} to ${spec.to} must end after it starts.`,
    );
  return window;
}

/** The OMS's mark per instrument now, as text (exact). */
function marksOf(marketData: MarketDataHandler, instrumentIds: string[]): Record<string, string | null> {
  return Object.fromEntries(instrumentIds.map((id) => [id, marketData.markPrice(id)?.toString() ?? null]));
}

function updateOf(order: OrderState & { exists: true }, e: RecordedEvent): OrderUpdate {
  const data = e.data as { price?: string; quantity?: string; venueId?: string; reason?: string };
  const reason =
    order.rejections.length > 0
      ? order.rejections.map((r) => `${r.code}: ${r.message}`).join('; ')
      : typeof data.reason === 'string'
        ? data.reason
        : null;
  return {
    orderId: order.terms.orderId,
    clientOrderId: order.terms.clientOrderId,
    instrumentId: order.terms.instrumentId,
    side: order.terms.side,
    event: e.type,
    status: order.status,
    quantity: order.orderQty,
    limitPrice: order.limitPrice,
    filledQuantity: order.cumQty,
    leavesQuantity: order.leavesQty,
    averagePrice: order.avgPx,
    lastFill:
      e.type === 'OrderFilled' && data.price && data.quantity
        ? {
            price: Decimal.parse(data.price),
            quantity: Decimal.parse(data.quantity),
            venueId: data.venueId ?? '',
          }
        : null,
    reason,
    listId: order.terms.listId ?? null,
  };
}
