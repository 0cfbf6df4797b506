import { Decimal } from '@oms/domain';
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import { Clock, runAt } from '@oms/platform';
import { MarketEvent, PriceLevel } from '../market-data/market-data';
import { EngineReport, MatchingEngine, QueueModel } from '../matching/matching-engine';
import { TokenBucket } from '../resilience/token-bucket';
import {
  ExecutionReport,
  Venue,
  VenueCapabilities,
  VenueFill,
  VenueOrderRequest,
  VenueOrderState,
  VenueOrderStatus,
  VenueUnavailable,
} from '../venue';

export interface SimulatedFaults {
  /** Probability a new order is rejected by the venue. */
  rejectProbability?: number;
  /** Probability an acknowledgement never arrives (the order still works at the venue). */
  dropAckProbability?: number;
  /** Probability a report is delivered twice. */
  duplicateProbability?: number;
  /** Probability a cancel of a working order is refused (FIX 35=9); the order works on. */
  cancelRejectProbability?: number;
}

export interface SimulatedVenueOptions {
  capabilities: VenueCapabilities;
  clock: Clock;
  /** Same seed, same latencies, faults and order ids. */
  seed: number;
  /**
   * One way, each direction: fixed + uniform jitter (jitter reorders reports); or `recorded`: the
   * feed's own delay, each row's receipt time less its exchange time, as of the latest row.
   */
  latency?: { fixedMs: number; jitterMs: number; recorded?: boolean };
  /**
   * Market data reaches the OMS after the one-way latency too (with `recorded`, at each row's receipt
   * time), and not at all while the line is down. Otherwise it is handed over as the venue sees it.
   */
  delayMarketData?: boolean;
  /** How resting orders move up their queue (see MatchingEngine). */
  queueModel?: QueueModel;
  faults?: SimulatedFaults;
  /** Market data per instrument id: an endless or finite sequence, replayed on the venue's clock. */
  feeds?: Record<string, Iterable<MarketEvent>>;
  /** Multiplies the feed's book sizes (0.25: a thinner venue). */
  liquidityScale?: Decimal;
  /** The currency fees are charged in, when not the instrument's quote currency (a venue token, say). */
  feeCurrency?: string;
}

interface Held {
  request: VenueOrderRequest;
  venueOrderId: string;
  state: VenueOrderState;
  filled: Decimal;
  leaves: Decimal;
}

const PROBABILITY_SCALE = 1_000_000;

/**
 * A venue in process: a matching engine per instrument fed by replayed market data, behind the venue
 * port, with a latency model, injected faults (rejects, dropped acks, duplicate and reordered reports,
 * disconnects) and its own rate limit. Deterministic for a seed on a virtual clock. While disconnected
 * it refuses requests and its reports are lost, as on a real line; the orders keep working and what
 * happened can be asked for afterwards (queryOrder, openOrders, fillsSince).
 */
export class SimulatedVenue implements Venue {
  readonly capabilities: VenueCapabilities;
  private readonly engines = new Map<string, MatchingEngine>();
  private readonly orders = new Map<string, Held>();
  private readonly fills: VenueFill[] = [];
  private readonly busted = new Set<string>();
  private readonly reportHandlers = new Set<(report: ExecutionReport) => void>();
  private readonly connectionHandlers = new Set<(connected: boolean) => void>();
  private readonly marketHandlers = new Set<(event: MarketEvent, instrumentId: string) => void>();
  private readonly feedTimers = new Map<string, unknown>();
  private readonly limiter: TokenBucket;
  private readonly rng;
  private isConnected = false;
  private venueOrderSeq = 0;
  private faults: SimulatedFaults;
  /** The feed's latest delay (receipt less exchange time), ms: the recorded latency. */
  private feedDelayMs = 0;
  /** Added to every one-way delay (a scheduled latency spike). */
  private extraLatencyMs = 0;
  private marketHalted = false;

  constructor(private readonly options: SimulatedVenueOptions) {
    this.capabilities = options.capabilities;
    this.faults = options.faults ?? {};
    this.rng = xoroshiro128plus(options.seed);
    this.limiter = new TokenBucket(
      options.capabilities.rateLimit.perSecond,
      options.capabilities.rateLimit.burst,
      options.clock,
    );
    for (const instrumentId of Object.keys(options.capabilities.instruments)) {
      this.engines.set(
        instrumentId,
        new MatchingEngine({
          makerFee: options.capabilities.fees.maker,
          takerFee: options.capabilities.fees.taker,
          execIdPrefix: `${options.capabilities.venueId}-E`,
          queueModel: options.queueModel,
        }),
      );
    }
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get venueId(): string {
    return this.capabilities.venueId;
  }

  async connect(): Promise<void> {
    if (this.isConnected) return;
    this.isConnected = true;
    // A line that comes back starts with each book as it stands (updates missed meanwhile are gone).
    if (this.options.delayMarketData) {
      for (const [instrumentId, engine] of this.engines) {
        const { bids, asks, updatedAt } = engine.book;
        if (updatedAt === 0) continue;
        const symbol = this.capabilities.instruments[instrumentId]?.symbol ?? instrumentId;
        const now = this.options.clock.now() * 1000;
        const snapshot: MarketEvent = {
          kind: 'book',
          exchange: this.venueId,
          symbol,
          timestamp: now,
          localTimestamp: now,
          snapshot: true,
          bids: [...bids],
          asks: [...asks],
        };
        this.options.clock.setTimeout(() => {
          if (!this.isConnected) return;
          for (const handler of this.marketHandlers) handler(snapshot, instrumentId);
        }, this.delayMs());
      }
    }
    for (const [instrumentId, feed] of Object.entries(this.options.feeds ?? {})) {
      if (!this.feedTimers.has(instrumentId)) this.pump(instrumentId, feed[Symbol.iterator](), null);
    }
    for (const handler of this.connectionHandlers) handler(true);
  }

  /** The line drops: requests fail and reports are lost until connect(); the market goes on. */
  async disconnect(): Promise<void> {
    if (!this.isConnected) return;
    this.isConnected = false;
    for (const handler of this.connectionHandlers) handler(false);
  }

  /** The injected faults from now on (a backtest's scheduled fault windows). */
  setFaults(faults: SimulatedFaults): void {
    this.faults = faults;
  }

  /**
   * The venue's market stops (an exchange outage): its books follow the feed but nothing fills there
   * until it opens again. Its market data still goes out while the line is up.
   */
  haltMarket(halted: boolean): void {
    this.marketHalted = halted;
  }

  /** Extra one-way delay from now on, each direction (a latency spike); 0 ends it. */
  setExtraLatency(ms: number): void {
    this.extraLatencyMs = Math.max(0, ms);
  }

  /** Stops the market data (for shutdown). */
  stop(): void {
    for (const timer of this.feedTimers.values()) this.options.clock.clearTimeout(timer);
    this.feedTimers.clear();
    this.isConnected = false;
  }

  async submit(request: VenueOrderRequest): Promise<void> {
    this.checkLine(true);
    this.later(() => this.accept(request));
  }

  async cancel(clientOrderId: string): Promise<void> {
    this.checkLine(true);
    this.later(() => this.onWorking(clientOrderId, 'cancel', (engine) => engine.cancel(clientOrderId)));
  }

  async replace(clientOrderId: string, quantity: Decimal, limitPrice: Decimal | null): Promise<void> {
    this.checkLine(true);
    this.later(() =>
      this.onWorking(clientOrderId, 'replace', (engine) =>
        engine.replace(clientOrderId, quantity, limitPrice),
      ),
    );
  }

  /**
   * The venue changes a working order's quantity on its own (a risk reduction, say), and says so
   * unsolicited (FIX ExecType D). For tests and backtests.
   */
  restate(clientOrderId: string, quantity: Decimal, reason: string): void {
    const working = this.working(clientOrderId);
    if (!working) return;
    const { held, engine } = working;
    for (const r of engine.replace(clientOrderId, quantity, null)) {
      if (r.type !== 'replaced') continue;
      held.request = { ...held.request, quantity: r.quantity };
      held.leaves = r.leavesQuantity;
      this.report({
        kind: 'restated',
        clientOrderId,
        quantity: r.quantity,
        leavesQuantity: r.leavesQuantity,
        reason,
      });
    }
  }

  /**
   * The venue busts one of its executions (FIX ExecType H), as an exchange does with a clearly
   * erroneous trade: the order's filled quantity drops, and the busted quantity is not worked again.
   * For tests and backtests.
   */
  bust(execId: string, reason: string): void {
    const fill = this.fills.find((f) => f.execId === execId);
    const held = fill && this.orders.get(fill.clientOrderId);
    if (!fill || !held || this.busted.has(execId)) return;
    this.busted.add(execId);
    held.filled = held.filled.minus(fill.quantity);
    this.report({ kind: 'trade-busted', clientOrderId: fill.clientOrderId, execId, reason });
  }

  /** The venue corrects one of its executions' quantity or price (FIX ExecType G). For tests and backtests. */
  correct(execId: string, quantity: Decimal, price: Decimal, reason: string): void {
    const fill = this.fills.find((f) => f.execId === execId);
    const held = fill && this.orders.get(fill.clientOrderId);
    if (!fill || !held || this.busted.has(execId)) return;
    held.filled = held.filled.plus(quantity).minus(fill.quantity);
    this.fills[this.fills.indexOf(fill)] = { ...fill, quantity, price };
    this.report({
      kind: 'trade-corrected',
      clientOrderId: fill.clientOrderId,
      execId,
      quantity,
      price,
      reason,
    });
  }

  /** An order still in its book here, with the engine that holds it; null for any other. */
  private working(clientOrderId: string): { held: Held; engine: MatchingEngine } | null {
    const held = this.orders.get(clientOrderId);
    const engine = held && this.engines.get(held.request.instrumentId);
    return held && engine && engine.holds(clientOrderId) ? { held, engine } : null;
  }

  /** A cancel or replace reaches the engine only for an order still working there. */
  private onWorking(
    clientOrderId: string,
    request: 'cancel' | 'replace',
    act: (engine: MatchingEngine) => EngineReport[],
  ): void {
    const engine = this.working(clientOrderId)?.engine;
    if (!engine) {
      this.report({ kind: `${request}-rejected`, clientOrderId, reason: 'unknown or no longer working' });
      return;
    }
    if (request === 'cancel' && this.chance(this.faults.cancelRejectProbability)) {
      this.report({
        kind: 'cancel-rejected',
        clientOrderId,
        reason: 'cancel refused by the venue (injected)',
      });
      return;
    }
    this.apply(act(engine), request);
  }

  async queryOrder(clientOrderId: string): Promise<VenueOrderStatus | null> {
    this.checkLine();
    const held = this.orders.get(clientOrderId);
    return held ? statusOf(held) : null;
  }

  async openOrders(): Promise<VenueOrderStatus[]> {
    this.checkLine();
    return [...this.orders.values()]
      .filter((h) => h.state === 'NEW' || h.state === 'PARTIALLY_FILLED')
      .map(statusOf);
  }

  async fillsSince(sequence: number): Promise<VenueFill[]> {
    this.checkLine();
    return this.fills.filter((f) => f.sequence > sequence);
  }

  onReport(handler: (report: ExecutionReport) => void): () => void {
    this.reportHandlers.add(handler);
    return () => this.reportHandlers.delete(handler);
  }

  onConnection(handler: (connected: boolean) => void): () => void {
    this.connectionHandlers.add(handler);
    return () => this.connectionHandlers.delete(handler);
  }

  onMarketData(handler: (event: MarketEvent, instrumentId: string) => void): () => void {
    this.marketHandlers.add(handler);
    return () => this.marketHandlers.delete(handler);
  }

  /** One market event now (the feed's own events come this way; tests and backtests add their own). */
  publish(instrumentId: string, recorded: MarketEvent): void {
    // This venue's share of the market's liquidity: what it shows and what it fills against.
    const event = this.scaled(instrumentId, recorded);
    this.feedDelayMs = Math.max(0, (event.localTimestamp - event.timestamp) / 1000);
    const engine = this.engines.get(instrumentId);
    if (engine && this.marketHalted) engine.observe(event);
    else if (engine) this.apply(engine.onMarketData(event), 'market');
    if (!this.options.delayMarketData) {
      for (const handler of this.marketHandlers) handler(event, instrumentId);
      return;
    }
    this.options.clock.setTimeout(() => {
      if (!this.isConnected) return;
      for (const handler of this.marketHandlers) handler(event, instrumentId);
    }, this.delayMs());
  }

  /** The venue's book for an instrument, as its engine sees it now. */
  book(instrumentId: string) {
    return this.engines.get(instrumentId)?.book ?? null;
  }

  /** Order entry (submit, cancel, replace) counts against the rate limit; queries only need the line. */
  private checkLine(orderEntry = false): void {
    if (!this.isConnected) throw new VenueUnavailable(this.venueId, 'not connected');
    if (orderEntry && !this.limiter.tryTake())
      throw new VenueUnavailable(this.venueId, 'rate limit exceeded');
  }

  private accept(request: VenueOrderRequest): void {
    const { clientOrderId } = request;
    if (this.orders.has(clientOrderId)) {
      this.report({
        kind: 'rejected',
        clientOrderId,
        reason: 'duplicate client order id',
        duplicateOrderId: true,
      });
      return;
    }
    const engine = this.engines.get(request.instrumentId);
    const venueOrderId = `${this.venueId}-${++this.venueOrderSeq}`;
    const held: Held = {
      request,
      venueOrderId,
      state: 'NEW',
      filled: Decimal.ZERO,
      leaves: request.quantity,
    };
    this.orders.set(clientOrderId, held);
    if (
      !engine ||
      !this.capabilities.orderTypes.includes(request.stopPrice ? 'STOP_LIMIT' : request.type) ||
      !this.capabilities.timesInForce.includes(request.timeInForce)
    ) {
      this.refuse(held, engine ? 'order type or time in force not supported' : 'instrument not traded here');
      return;
    }
    if (this.chance(this.faults.rejectProbability)) {
      this.refuse(held, 'rejected by venue (simulated)');
      return;
    }
    const expireAt = request.expireAt ?? null;
    if ((request.timeInForce === 'DAY' || request.timeInForce === 'GTD') && expireAt !== null) {
      runAt(this.options.clock, expireAt, () => this.expire(clientOrderId));
    }
    this.apply(
      engine.submit({
        orderId: clientOrderId,
        side: request.side,
        type: request.type,
        timeInForce: request.timeInForce,
        quantity: request.quantity,
        limitPrice: request.limitPrice,
        postOnly: request.postOnly ?? false,
        displayQuantity: request.displayQuantity ?? null,
        stopPrice: request.stopPrice ?? null,
      }),
      'submit',
    );
  }

  /** A DAY or GTD order still working at its expiry ends there (FIX ExecType C). */
  private expire(clientOrderId: string): void {
    const working = this.working(clientOrderId);
    if (!working) return;
    const { held, engine } = working;
    for (const r of engine.cancel(clientOrderId)) {
      if (r.type !== 'canceled') continue;
      held.state = 'EXPIRED';
      held.leaves = Decimal.ZERO;
      this.report({
        kind: 'expired',
        clientOrderId,
        leavesQuantity: r.leavesQuantity,
        reason: `${held.request.timeInForce} order reached its expiry`,
      });
    }
  }

  /** Engine reports become the venue's state and execution reports. */
  private apply(reports: EngineReport[], request: 'submit' | 'cancel' | 'replace' | 'market'): void {
    for (const r of reports) {
      const held = this.orders.get(r.orderId);
      if (!held) continue;
      const clientOrderId = held.request.clientOrderId;
      switch (r.type) {
        case 'accepted':
          if (!this.chance(this.faults.dropAckProbability)) {
            this.report({ kind: 'ack', clientOrderId, venueOrderId: held.venueOrderId });
          }
          break;
        case 'triggered':
          this.report({ kind: 'triggered', clientOrderId });
          break;
        case 'fill': {
          held.filled = held.filled.plus(r.quantity);
          held.leaves = r.leavesQuantity;
          held.state = r.leavesQuantity.isZero() ? 'FILLED' : 'PARTIALLY_FILLED';
          const { execId, price, quantity, fee, liquidity, leavesQuantity } = r;
          const at = this.options.clock.now();
          const feeCurrency = this.options.feeCurrency;
          this.fills.push({
            clientOrderId,
            execId,
            price,
            quantity,
            fee,
            ...(feeCurrency ? { feeCurrency } : {}),
            liquidity,
            at,
            sequence: this.fills.length + 1,
          });
          this.report({
            kind: 'fill',
            clientOrderId,
            execId,
            price,
            quantity,
            fee,
            ...(feeCurrency ? { feeCurrency } : {}),
            liquidity,
            leavesQuantity,
          });
          break;
        }
        case 'canceled':
          held.state = 'CANCELED';
          held.leaves = Decimal.ZERO;
          this.report({
            kind: 'canceled',
            clientOrderId,
            leavesQuantity: r.leavesQuantity,
            reason: r.reason,
          });
          break;
        case 'replaced':
          held.request = { ...held.request, quantity: r.quantity, limitPrice: r.limitPrice };
          held.leaves = r.leavesQuantity;
          this.report({
            kind: 'replaced',
            clientOrderId,
            quantity: r.quantity,
            limitPrice: r.limitPrice,
            leavesQuantity: r.leavesQuantity,
          });
          break;
        case 'rejected':
          if (request === 'cancel' || request === 'replace') {
            this.report({ kind: `${request}-rejected`, clientOrderId, reason: r.reason });
          } else {
            this.refuse(held, r.reason);
          }
          break;
      }
    }
  }

  private refuse(held: Held, reason: string): void {
    held.state = 'REJECTED';
    held.leaves = Decimal.ZERO;
    this.report({ kind: 'rejected', clientOrderId: held.request.clientOrderId, reason });
  }

  /** Sends a report after the latency; lost while disconnected; sometimes twice. */
  private report(report: DistributiveOmit<ExecutionReport, 'venueId' | 'at'>): void {
    const full = { ...report, venueId: this.venueId, at: this.options.clock.now() } as ExecutionReport;
    const times = this.chance(this.faults.duplicateProbability) ? 2 : 1;
    for (let i = 0; i < times; i++) {
      this.later(() => {
        if (!this.isConnected) return;
        for (const handler of this.reportHandlers) handler(full);
      });
    }
  }

  private later(task: () => void): void {
    this.options.clock.setTimeout(task, this.delayMs());
  }

  /** One way, as the latency model says now. */
  private delayMs(): number {
    const latency = this.options.latency ?? { fixedMs: 0, jitterMs: 0 };
    const base = latency.recorded ? this.feedDelayMs : latency.fixedMs;
    return base + (latency.jitterMs > 0 ? this.int(0, latency.jitterMs) : 0) + this.extraLatencyMs;
  }

  /** Replays one instrument's feed on the clock: each event at its own time after the previous one. */
  private pump(instrumentId: string, feed: Iterator<MarketEvent>, previous: number | null): void {
    const next = feed.next();
    if (next.done) {
      this.feedTimers.delete(instrumentId);
      return;
    }
    const event = next.value;
    const waitMs = previous === null ? 0 : Math.max(0, (event.timestamp - previous) / 1000);
    this.feedTimers.set(
      instrumentId,
      this.options.clock.setTimeout(() => {
        this.publish(instrumentId, event);
        this.pump(instrumentId, feed, event.timestamp);
      }, waitMs),
    );
  }

  private scaled(instrumentId: string, event: MarketEvent): MarketEvent {
    const scale = this.options.liquidityScale;
    if (!scale || event.kind === 'trade') return event;
    const lots = this.capabilities.instruments[instrumentId]?.lotSize;
    const size = (l: PriceLevel): PriceLevel => {
      if (!l.quantity.isPositive()) return l; // a removal stays a removal
      let quantity = l.quantity.times(scale);
      if (lots) quantity = quantity.dividedBy(lots, 0).times(lots);
      return { price: l.price, quantity: quantity.isPositive() ? quantity : (lots ?? l.quantity) };
    };
    if (event.kind === 'quote') {
      return { ...event, bid: event.bid && size(event.bid), ask: event.ask && size(event.ask) };
    }
    return { ...event, bids: event.bids.map(size), asks: event.asks.map(size) };
  }

  private chance(probability: number | undefined): boolean {
    if (!probability) return false;
    return this.int(0, PROBABILITY_SCALE - 1) < probability * PROBABILITY_SCALE;
  }

  private int(min: number, max: number): number {
    return unsafeUniformIntDistribution(min, max, this.rng);
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

function statusOf(held: Held): VenueOrderStatus {
  return {
    clientOrderId: held.request.clientOrderId,
    venueOrderId: held.venueOrderId,
    instrumentId: held.request.instrumentId,
    side: held.request.side,
    state: held.state,
    quantity: held.request.quantity,
    filledQuantity: held.filled,
    leavesQuantity: held.leaves,
  };
}
