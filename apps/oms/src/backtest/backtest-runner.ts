import {
  AccountLedger,
  CommandContext,
  MemoryCheckpoints,
  PlaceOrderOutcome,
  Refusal,
  SoleInstance,
  accountStream,
  createCommandSide,
  orderIdOf,
  orderStream,
} from '@oms/application';
import {
  CancelOrderCommand,
  CommandsModule,
  DefineInstrumentCommand,
  PlaceOrderCommand,
  ReplaceOrderCommand,
  SetRiskLimitsCommand,
} from '@oms/api';
import {
  BacktestConfig,
  FaultWindow,
  MarketReplay,
  OrderUpdate,
  RunRecord,
  Strategy,
  StrategyContext,
  StrategyFactory,
  StrategyInstrument,
  VenueModel,
  surveyData,
  timeOf,
} from '@oms/backtest';
import { Decimal, ORDER_TYPES, OrderEvent, OrderState, TIMES_IN_FORCE, orderDecider } from '@oms/domain';
import { EventStore, MemoryEventStore, RecordedEvent, START, Subscription } from '@oms/event-store';
import { ExecutionGateway, NoWorkingSliceRecord } from '@oms/gateway';
import { Logger, VirtualClock, silentLogger } from '@oms/platform';
import { MarketDataHandler, SimulatedVenue } from '@oms/venues';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { setImmediate as turn } from 'timers/promises';

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
  const survey = await surveyData(run.dataFiles, run.from);
  const inferred = config.instruments.length === 0;
  const instruments = inferred ? survey.instruments : config.instruments;
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i.instrumentId]));
  const clock = new VirtualClock(survey.startsAt);
  const store = new MemoryEventStore(undefined, () => new Date(clock.now()));
  const sim = new Simulation(clock, store);
  const marketData = new MarketDataHandler(clock);
  const side = createCommandSide(store, marketData, clock);
  const app = await NestFactory.createApplicationContext(CommandsModule.register(side), { logger: false });
  const bus = app.get(CommandBus);
  const ctx = (correlationId: string): CommandContext => ({ actor: STRATEGY_ACTOR, correlationId });
  const logger = run.logger ?? silentLogger;

  const venues = config.venues.map((model, i) => venueOf(model, i, config, instruments, clock));
  const gateway = new ExecutionGateway({
    store,
    checkpoints: new MemoryCheckpoints(),
    lock: new SoleInstance('backtest-gateway'),
    workingSlices: new NoWorkingSliceRecord(),
    venues: venues.map((v) => v.venue),
    marketData,
    clock,
    logger,
  });
  const ledger = new AccountLedger(
    store,
    side.aggregates,
    side.accounts,
    side.reference,
    marketData,
    clock,
    { checkpoints: new MemoryCheckpoints(), lock: new SoleInstance('backtest-ledger'), logger },
    0,
  );

  const record: RunRecord = {
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
    await sim.settle();
    for (const i of instruments) {
      await bus.execute(
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
      );
    }
    await bus.execute(new SetRiskLimitsCommand(BACKTEST_ACCOUNT, config.limits, ctx('backtest-setup')));
    await ledger.processor.start();
    await sim.until(gateway.start());

    // Faults on the clock, each window recorded for the report.
    for (const { venue, model } of venues) {
      for (const spec of model.faults) {
        const window = {
          ...spec,
          from: timeOf(spec.from, survey.startsAt),
          to: timeOf(spec.to, survey.startsAt),
        } as FaultWindow;
        record.faults.push({ venueId: model.id, ...window });
        scheduleFault(clock, venue, model, window);
      }
    }

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
    let stopped = false;
    const strategyContext: StrategyContext = {
      now: () => clock.now(),
      instruments: strategyInstruments,
      decimal: (text) => Decimal.parse(text),
      book: (venueId, instrumentId) => {
        const book = marketData.book(venueId, instrumentId);
        return book ? { bids: book.bids, asks: book.asks } : null;
      },
      bestBidAsk: (instrumentId) => {
        let bid: Decimal | null = null;
        let ask: Decimal | null = null;
        for (const { model } of venues) {
          const book = marketData.book(model.id, instrumentId);
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
        const type = intent.type;
        const request = {
          accountId: BACKTEST_ACCOUNT,
          clientOrderId,
          instrumentId: intent.instrumentId,
          side: intent.side,
          type,
          quantity: intent.quantity,
          limitPrice: intent.limitPrice ?? null,
          timeInForce: intent.timeInForce ?? (type === 'MARKET' ? 'IOC' : 'GTC'),
          venueId: config.routing === 'best-price' ? (intent.venueId ?? null) : config.routing,
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
          if (!(error instanceof Refusal)) throw error;
          record.refusals.push({
            at: clock.now(),
            request: 'place',
            code: error.code,
            message: error.message,
          });
          return {
            accepted: false,
            orderId: null,
            clientOrderId,
            reasons: [`${error.code}: ${error.message}`],
          };
        }
      },
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
            ),
          ),
        ),
      position: async (instrumentId) => {
        const { state } = await side.accounts.get(BACKTEST_ACCOUNT);
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
    subscription = store.subscribeToAll({ fromPosition: START }, async (events) => {
      for (const e of events) {
        if (!e.streamName.startsWith(orderStream(''))) continue;
        const orderId = orderIdOf(e.streamName);
        const before = orders.get(orderId) ?? orderDecider.initialState();
        const after = orderDecider.evolve(before, { type: e.type, data: e.data } as OrderEvent);
        orders.set(orderId, after);
        if (!after.exists || after.terms.accountId !== BACKTEST_ACCOUNT) continue;
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
      if (!venue.connected) continue; // down at the end (a fault window outlasting the data): not asked
      for (const f of await venue.fillsSince(0))
        record.venueFills.push({
          venueId: model.id,
          execId: f.execId,
          price: f.price.toString(),
          quantity: f.quantity.toString(),
        });
    }
    const { state: account } = await side.accounts.get(BACKTEST_ACCOUNT);
    for (const [id, p] of account.positions)
      record.booked[id] = {
        quantity: p.quantity.toString(),
        realizedPnl: p.realizedPnl.toString(),
        fees: p.fees.toString(),
      };
    record.events = (await store.readAll()).filter(
      (e) => e.streamName.startsWith(orderStream('')) || e.streamName === accountStream(BACKTEST_ACCOUNT),
    );
    return record;
  } finally {
    await subscription?.stop();
    await gateway.stop();
    await ledger.processor.stop();
    for (const { venue } of venues) venue.stop();
    await app.close();
    await store.close();
  }
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
  };
}

function venueOf(
  model: VenueModel,
  index: number,
  config: BacktestConfig,
  instruments: BacktestConfig['instruments'],
  clock: VirtualClock,
): { venue: SimulatedVenue; model: VenueModel } {
  const latency =
    model.latency.model === 'recorded'
      ? { fixedMs: 0, jitterMs: 0, recorded: true }
      : model.latency.model === 'jitter'
        ? { fixedMs: model.latency.ms, jitterMs: model.latency.jitterMs }
        : { fixedMs: model.latency.ms, jitterMs: 0 };
  const venue = new SimulatedVenue({
    capabilities: {
      venueId: model.id,
      orderTypes: ORDER_TYPES,
      timesInForce: TIMES_IN_FORCE,
      instruments: Object.fromEntries(
        instruments.map((i) => [
          i.instrumentId,
          { symbol: i.symbol, tickSize: i.tickSize, lotSize: i.lotSize },
        ]),
      ),
      rateLimit: model.rateLimit,
      fees: model.fees,
    },
    clock,
    // Each venue its own stream of chance, all from the one seed.
    seed: config.seed * 1_000 + index,
    latency,
    delayMarketData: true,
    queueModel: model.queue,
    faults: { rejectProbability: model.rejectProbability },
    liquidityScale: model.liquidityShare.eq(Decimal.ONE) ? undefined : model.liquidityShare,
  });
  return { venue, model };
}

function scheduleFault(clock: VirtualClock, venue: SimulatedVenue, model: VenueModel, w: FaultWindow): void {
  const at = (time: number, act: () => void) => clock.setTimeout(act, Math.max(0, time - clock.now()));
  const base = { rejectProbability: model.rejectProbability };
  switch (w.type) {
    case 'outage':
      at(w.from, () => {
        venue.haltMarket(true);
        void venue.disconnect();
      });
      at(w.to, () => {
        venue.haltMarket(false);
        void venue.connect();
      });
      break;
    case 'disconnect':
      at(w.from, () => void venue.disconnect());
      at(w.to, () => void venue.connect());
      break;
    case 'latency-spike':
      at(w.from, () => venue.setExtraLatency(w.extraMs));
      at(w.to, () => venue.setExtraLatency(0));
      break;
    case 'drop-acks':
      at(w.from, () => venue.setFaults({ ...base, dropAckProbability: w.probability }));
      at(w.to, () => venue.setFaults(base));
      break;
    case 'rejects':
      at(w.from, () => venue.setFaults({ ...base, rejectProbability: w.probability }));
      at(w.to, () => venue.setFaults(base));
      break;
  }
}

/**
 * Drives the virtual clock: one timer at a time, each followed by a settle, which lets every promise
 * chain that timer started run to its end (the in-memory store does its work in promise callbacks,
 * so a turn of the event loop finishes it) and repeats while anything is still moving: the log's
 * head, the timers pending, or callbacks of the strategy not yet finished.
 */
class Simulation {
  private inFlight = 0;
  private failure: unknown = null;

  constructor(
    private readonly clock: VirtualClock,
    private readonly store: EventStore,
  ) {}

  /** A strategy callback's promise: time waits for it; a failure stops the backtest. */
  track(result: void | Promise<void> | undefined): void {
    if (!result) return;
    this.inFlight++;
    result.catch((error: unknown) => (this.failure ??= error)).finally(() => this.inFlight--);
  }

  async settle(): Promise<void> {
    let last = '';
    for (let rounds = 0; ; rounds++) {
      await turn();
      if (this.failure) throw this.failure;
      const now = await this.signature();
      if (now === last && this.inFlight === 0) return;
      last = now;
      if (rounds > 100_000)
        throw new Error('the OMS did not settle: something keeps working without time moving');
    }
  }

  /** Runs every timer due by `at`, one at a time, settling after each; time then reads `at`. */
  async runUntil(at: number): Promise<void> {
    while (this.clock.runNext(at)) await this.settle();
    this.clock.moveTo(at);
  }

  /** Waits for `work`, moving time along while it needs the clock (start-up may wait on timers). */
  async until<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const finished = work.finally(() => (done = true));
    await this.settle();
    while (!done) {
      const next = this.clock.nextDueAt();
      if (next === null) break;
      await this.runUntil(next);
    }
    return finished;
  }

  private async signature(): Promise<string> {
    const head = await this.store.headPosition();
    return `${head.commit}:${head.prepare}|${this.clock.pending}|${this.clock.scheduled}|${this.clock.now()}`;
  }
}
