import {
  ChildSlice,
  Decimal,
  Liquidity,
  Order,
  OrderCommand,
  OrderState,
  RouteSlice,
  WORKING_CHILD_STATUSES,
  orderDecider,
} from '@oms/domain';
import { EventMetadata, EventStore, RecordedEvent, Subscription } from '@oms/event-store';
import { loadCheckpoint, saveCheckpoint } from '@oms/read-models';
import {
  BreakerState,
  CircuitBreaker,
  Clock,
  ExecutionReport,
  TokenBucket,
  Venue,
  VenueUnavailable,
  VenueOrderStatus,
} from '@oms/venues';
import { DataSource } from 'typeorm';
import { AggregateStore, Loaded } from '../../api/src/commands/aggregate-store';
import { KeyedQueue } from '../../api/src/commands/keyed-queue';
import { orderStream } from '../../api/src/commands/streams';
import { OmsUserError } from '../../api/src/graphql/errors';
import { MarketDataHandler } from './market-data-handler';
import { planReplace } from './replace-plan';
import { routeOrder } from './router';

const CHECKPOINT = 'execution-gateway';
const GATEWAY_EVENTS = ['OrderAccepted', 'OrderCancelRequested', 'OrderReplaceRequested'];

export interface GatewayOptions {
  /** No acknowledgement within this: the slice is flagged unconfirmed and asked about. */
  ackTimeoutMs?: number;
  /** How long a slice may wait for its venue's rate limit before it is refused. */
  maxRateWaitMs?: number;
  log?: (line: string) => void;
}

export interface VenueStatus {
  id: string;
  connected: boolean;
  breaker: BreakerState;
  rateLimitUsage: number;
  lastError: string | null;
  /** Venue orders the OMS could not explain at the last reconciliation. */
  unexplainedOrders: string[];
}

/**
 * Orders the gateway works on at once. One at a time it routed about 500 orders/s here (a durable
 * commit each); side by side their appends share commits. Bounded, so that under overload it does not
 * take all the CPU the command side and the projector need.
 */
const ORDERS_IN_FLIGHT = 64;

/**
 * Runs `work` over `items`, at most `limit` at once, starting each in order as soon as a place is free;
 * resolves when all have settled, or rejects with the first failure once they have.
 */
async function forEachAtMost<T>(limit: number, items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item).catch((error: unknown) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failures.length > 0) throw failures[0];
}

/** Thrown by a gateway that was stopped (its lock lost): nothing more goes to a venue, nothing is checkpointed. */
export class GatewayStopped extends Error {
  constructor() {
    super('the execution gateway was stopped');
  }
}

interface Line {
  venue: Venue;
  breaker: CircuitBreaker;
  limiter: TokenBucket;
  /** Requests waiting for this venue's tokens, in arrival order: each waits its turn, then at most the bound. */
  tokenQueue: Promise<unknown>;
  waitingForTokens: number;
  /** Last venue fill sequence applied (reconciliation asks for fills after it). */
  lastFillSequence: number;
  unexplained: string[];
}

/** An order command before the gateway stamps its time. */
type Intent = OrderCommand extends infer C ? (C extends OrderCommand ? Omit<C, 'metadata'> : never) : never;

/** One execution, from a live report or from the venue's fill record, as the order command. */
function recordFill(
  venueId: string,
  fill: {
    clientOrderId: string;
    execId: string;
    quantity: Decimal;
    price: Decimal;
    fee: Decimal;
    liquidity: Liquidity;
    at: number;
  },
): Intent {
  return {
    type: 'RecordFill',
    data: {
      orderId: orderIdOfChild(fill.clientOrderId),
      execId: fill.execId,
      venueId,
      childId: fill.clientOrderId,
      quantity: fill.quantity.toString(),
      price: fill.price.toString(),
      fee: fill.fee.toString(),
      liquidity: fill.liquidity,
      executedAt: new Date(fill.at).toISOString(),
    },
  };
}

/** `<orderId>.<n>` → orderId. */
export const orderIdOfChild = (childId: string) => childId.slice(0, childId.lastIndexOf('.'));

/**
 * The execution gateway: a durable, checkpointed subscription over order events. An accepted order is
 * routed (smart order router, or direct), the decision and every slice are appended to the order's
 * stream before anything is sent (write-ahead), then each slice goes through its venue's rate limiter
 * and circuit breaker to the venue. Execution reports come back as order commands (ack, fill, venue
 * reject, canceled, expired); duplicates fall away in the order decider (exec ids, known acks). A slice
 * not acknowledged in time is flagged unconfirmed and resolved by asking the venue — never rejected on
 * a guess, and re-sent only under its own id (the venue refuses a second order under one id). On start
 * and on every reconnect each venue is reconciled: fills since last seen, open orders, and the state of
 * every slice still working here.
 */
export class ExecutionGateway {
  private readonly lines = new Map<string, Line>();
  private readonly aggregates: AggregateStore;
  private readonly queue = new KeyedQueue();
  /** When this process last sent each slice: a slice still on the wire is not sent again. */
  private readonly sentAt = new Map<string, number>();
  /** When this process last sent a replace for each slice (cleared by the venue's answer). */
  private readonly replaceSentAt = new Map<string, number>();
  /** Slices working at venues, per venue: childId → orderId. */
  private readonly working = new Map<string, Map<string, string>>();
  private subscription: Subscription | null = null;
  private readonly ackTimeoutMs: number;
  private readonly maxRateWaitMs: number;
  private readonly log: (line: string) => void;
  private stopped = false;
  /** ms from the slice's write-ahead append to the venue taking it, last 10,000 slices. */
  private readonly sendLatencies: number[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    venues: Venue[],
    private readonly marketData: MarketDataHandler,
    private readonly clock: Clock,
    options: GatewayOptions = {},
  ) {
    this.aggregates = new AggregateStore(store);
    this.ackTimeoutMs = options.ackTimeoutMs ?? 2_000;
    this.maxRateWaitMs = options.maxRateWaitMs ?? 1_000;
    this.log = options.log ?? (() => undefined);
    for (const venue of venues) {
      const { venueId, rateLimit } = venue.capabilities;
      this.lines.set(venueId, {
        venue,
        breaker: new CircuitBreaker(clock),
        // The venue's own limit: every request this gateway sends passes here first. It starts empty:
        // a previous instance may have used the venue's burst just before it stopped.
        limiter: new TokenBucket(rateLimit.perSecond, rateLimit.burst, clock, 0),
        tokenQueue: Promise.resolve(),
        waitingForTokens: 0,
        lastFillSequence: 0,
        unexplained: [],
      });
      this.working.set(venueId, new Map());
    }
  }

  async start(): Promise<void> {
    for (const line of this.lines.values()) {
      const venueId = line.venue.capabilities.venueId;
      line.venue.onReport((report) => void this.onReport(report));
      line.venue.onMarketData?.((event, instrumentId) =>
        this.marketData.onMarketData(venueId, instrumentId, event),
      );
      line.venue.onConnection((connected) => {
        if (connected && !this.stopped)
          void this.reconcile(line).catch((e) => this.log(`reconcile ${venueId}: ${String(e)}`));
      });
      await line.venue.connect();
    }
    await this.loadWorkingSlices();
    await this.follow();
    for (const line of this.lines.values())
      await this.reconcile(line).catch((e) => this.log(`reconcile: ${String(e)}`));
  }

  /**
   * Follows the log from the checkpoint. A failed batch (a database that went away, say) does not stop
   * the gateway: it logs and follows again from the checkpoint a second later; what it handles again
   * is idempotent (an order routed already is only checked at its venues).
   */
  private async follow(): Promise<void> {
    if (this.stopped) return;
    const from = await loadCheckpoint(this.dataSource, CHECKPOINT);
    const subscription = this.store.subscribeToAll(
      { fromPosition: from, filter: { eventTypes: GATEWAY_EVENTS } },
      async (events) => {
        await forEachAtMost(ORDERS_IN_FLIGHT, events, (event) => this.handle(event));
        await saveCheckpoint(this.dataSource, CHECKPOINT, events[events.length - 1].position);
      },
    );
    this.subscription = subscription;
    subscription.done.catch((error: unknown) => {
      if (this.stopped) return;
      this.log(`gateway subscription failed, following again in 1 s: ${String(error)}`);
      setTimeout(() => {
        if (!this.stopped) void this.follow().catch((e) => this.log(`gateway: ${String(e)}`));
      }, 1_000).unref();
    });
    await Promise.race([subscription.caughtUp, subscription.done.catch(() => undefined)]);
  }

  async whenCaughtUp(): Promise<void> {
    await this.subscription?.caughtUp;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
  }

  /** A stopped gateway may be superseded by another that holds the lock now: it must not act. */
  private assertRunning(): void {
    if (this.stopped) throw new GatewayStopped();
  }

  status(): VenueStatus[] {
    return [...this.lines.values()].map((line) => ({
      id: line.venue.capabilities.venueId,
      connected: line.venue.connected,
      breaker: line.breaker.state,
      rateLimitUsage: line.limiter.usage,
      lastError: line.breaker.lastError,
      unexplainedOrders: [...line.unexplained],
    }));
  }

  private handle(event: RecordedEvent): Promise<void> {
    const orderId = event.streamName.slice('order-'.length);
    return this.queue.run(orderId, async () => {
      this.assertRunning();
      const loaded = await this.aggregates.load(orderDecider, orderStream(orderId));
      const { state } = loaded;
      if (!state.exists) return;
      if (event.type === 'OrderAccepted') await this.route(state, event, loaded);
      else if (event.type === 'OrderReplaceRequested') await this.replaceSlices(state, event);
      else await this.cancelSlices(state, event);
    });
  }

  /**
   * Routes a new order, or makes sure the slices of one routed before a crash are at their venues.
   * `loaded` is the order as just read, so the routing decision is appended without reading it again.
   */
  private async route(order: Order, cause: RecordedEvent, loaded: Loaded<OrderState>): Promise<void> {
    if (Object.keys(order.children).length > 0) {
      for (const child of Object.values(order.children)) {
        if (WORKING_CHILD_STATUSES.includes(child.status)) await this.resolve(order, child);
      }
      return;
    }
    if (order.closure || order.status === 'FILLED') return;
    const orderId = order.terms.orderId;
    const decision = routeOrder(
      {
        orderId,
        instrumentId: order.terms.instrumentId,
        side: order.terms.side,
        limitPrice: order.limitPrice,
        quantity: order.leavesQty,
        venueId: order.terms.venueId,
        timeInForce: order.terms.timeInForce,
      },
      [...this.lines.values()].map((line) => ({
        capabilities: line.venue.capabilities,
        connected: line.venue.connected,
        breaker: line.breaker.state,
        book: this.marketData.book(line.venue.capabilities.venueId, order.terms.instrumentId),
      })),
    );
    const metadata = this.metadata(cause.metadata.correlationId, cause.eventId, 'system:execution-gateway');
    if ('refused' in decision) {
      if (order.pendingCancel) {
        await this.confirmUnsentCancel(orderId, metadata);
      } else {
        await this.command(
          orderId,
          {
            type: 'RecordVenueReject',
            data: { orderId, venueId: order.terms.venueId ?? 'router', reason: decision.refused },
          },
          metadata,
        );
      }
      return;
    }
    const routed = await this.command(
      orderId,
      { type: 'RouteOrder', data: { orderId, ...decision } },
      metadata,
      loaded,
    );
    if (!routed) {
      // Refused: most likely a cancel arrived first. Nothing was sent, so the cancel can be confirmed.
      if (order.pendingCancel) {
        await this.confirmUnsentCancel(orderId, metadata);
      }
      return;
    }
    const appendedAt = performance.now();
    for (const slice of decision.slices) await this.send(order, slice, appendedAt);
  }

  /** Order-to-venue latency inside the gateway (after the durable append), the `last` slices, ascending. */
  sendLatencySamples(last = this.sendLatencies.length): Float64Array {
    return Float64Array.from(this.sendLatencies.slice(-last)).sort();
  }

  /** Rate limit, breaker, then the venue. A slice that cannot go is closed as rejected, with the reason. */
  private async send(order: Order, slice: RouteSlice, appendedAt?: number): Promise<void> {
    const orderId = order.terms.orderId;
    const line = this.lines.get(slice.venueId);
    const refuse = (reason: string) =>
      this.command(
        orderId,
        { type: 'CloseVenueOrder', data: { orderId, childId: slice.childId, outcome: 'REJECTED', reason } },
        this.metadata(slice.childId, null, 'system:execution-gateway'),
      );
    if (!line) return void (await refuse(`unknown venue ${slice.venueId}`));
    // A token at hand (and nobody queued for one) is taken without yielding: out in the same turn.
    const token = (line.waitingForTokens === 0 && line.limiter.tryTake()) || (await this.takeToken(line));
    this.assertRunning(); // stopped meanwhile: neither sent nor closed; the gateway with the lock sends it
    if (!token)
      return void (await refuse(`rate limit of ${slice.venueId}: no room within ${this.maxRateWaitMs} ms`));
    if (!line.breaker.allow()) return void (await refuse(`circuit breaker of ${slice.venueId} is open`));
    let handedOver = 0;
    try {
      const submitted = line.venue.submit({
        clientOrderId: slice.childId,
        instrumentId: order.terms.instrumentId,
        side: order.terms.side,
        type: order.terms.type,
        timeInForce: order.terms.timeInForce,
        quantity: Decimal.parse(slice.quantity),
        limitPrice: slice.limitPrice === null ? null : Decimal.parse(slice.limitPrice),
      });
      handedOver = performance.now();
      await submitted;
      line.breaker.success();
    } catch (error) {
      // Not sent at all (no line, over the venue's limit): safe to close, and a mark against the venue.
      this.recordFailure(line, error);
      await refuse(`not sent: ${(error as Error).message}`);
      return;
    }
    if (appendedAt !== undefined) {
      this.sendLatencies.push(handedOver - appendedAt);
      if (this.sendLatencies.length > 10_000) this.sendLatencies.shift();
    }
    this.working.get(slice.venueId)?.set(slice.childId, orderId);
    this.sentAt.set(slice.childId, this.clock.now());
    this.clock.setTimeout(() => void this.checkAck(orderId, slice.childId), this.ackTimeoutMs);
  }

  /**
   * Waits for one of the venue's tokens, behind the requests that asked first; false if none comes
   * within the bound of this request's turn (orders handled side by side still queue as one line).
   */
  private takeToken(line: Line): Promise<boolean> {
    line.waitingForTokens++;
    const taken = line.tokenQueue.then(() => this.waitForToken(line));
    line.tokenQueue = taken.finally(() => line.waitingForTokens--).catch(() => undefined);
    return taken;
  }

  private async waitForToken(line: Line): Promise<boolean> {
    let waited = 0;
    for (;;) {
      this.assertRunning(); // a stopped gateway stops waiting: it will not send
      if (line.limiter.tryTake()) return true;
      const wait = line.limiter.waitMs();
      if (waited + wait > this.maxRateWaitMs) return false;
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait));
      waited += wait;
    }
  }

  private checkAck(orderId: string, childId: string): Promise<void> {
    return this.queue.run(orderId, async () => {
      const { state } = await this.aggregates.load(orderDecider, orderStream(orderId));
      if (!state.exists) return;
      const child = state.children[childId];
      // Submitted and not heard of (or sent again after being flagged): ask the venue.
      if (!child || (child.status !== 'SUBMITTED' && child.status !== 'UNCONFIRMED')) return;
      await this.command(
        orderId,
        {
          type: 'MarkUnconfirmed',
          data: { orderId, childId, reason: `no acknowledgement within ${this.ackTimeoutMs} ms` },
        },
        this.metadata(childId, null, 'system:execution-gateway'),
      );
      await this.resolve(state, child);
    });
  }

  /** Asks the venue about a slice and records what it says; one it never saw is sent again under its own id. */
  private async resolve(order: Order, child: ChildSlice): Promise<void> {
    const line = this.lines.get(child.venueId);
    if (!line || !line.venue.connected) return; // reconciliation on reconnect takes it from here
    const status = await line.venue.queryOrder(child.childId).catch(() => undefined);
    if (status === undefined) return;
    if (status === null) {
      const sent = this.sentAt.get(child.childId);
      if (sent !== undefined && this.clock.now() - sent < this.ackTimeoutMs) return; // still on the wire
      this.log(`${child.childId} is not at ${child.venueId}: sending it (same id)`);
      await this.send(order, {
        childId: child.childId,
        venueId: child.venueId,
        quantity: child.quantity,
        limitPrice: child.limitPrice,
      });
      return;
    }
    await this.applyStatus(line, status);
  }

  private async applyStatus(line: Line, status: VenueOrderStatus): Promise<void> {
    this.sentAt.delete(status.clientOrderId);
    const venueId = line.venue.capabilities.venueId;
    const orderId = orderIdOfChild(status.clientOrderId);
    const metadata = this.metadata(status.clientOrderId, null, `venue:${venueId}`);
    const childId = status.clientOrderId;
    await this.command(
      orderId,
      { type: 'AcknowledgeOrder', data: { orderId, venueId, childId, venueOrderId: status.venueOrderId } },
      metadata,
    );
    const fills = (await line.venue.fillsSince(0)).filter((f) => f.clientOrderId === childId);
    for (const f of fills) {
      await this.command(orderId, recordFill(venueId, f), metadata);
    }
    const outcome = { CANCELED: 'CANCELED', REJECTED: 'REJECTED', EXPIRED: 'EXPIRED' } as const;
    if (status.state in outcome) {
      await this.command(
        orderId,
        {
          type: 'CloseVenueOrder',
          data: {
            orderId,
            childId,
            outcome: outcome[status.state as keyof typeof outcome],
            reason: `venue reports ${status.state}`,
          },
        },
        metadata,
      );
    }
    if (!['NEW', 'PARTIALLY_FILLED'].includes(status.state)) {
      this.working.get(venueId)?.delete(childId);
      return;
    }
    // Still working there: a cancel asked for meanwhile goes out now.
    const { state } = await this.aggregates.load(orderDecider, orderStream(orderId));
    const child = state.exists ? state.children[childId] : undefined;
    if (state.exists && state.pendingCancel && child) await this.cancelSlice(orderId, child);
  }

  private async cancelSlices(order: Order, cause: RecordedEvent): Promise<void> {
    if (!order.pendingCancel) return;
    const orderId = order.terms.orderId;
    const children = Object.values(order.children);
    if (children.length === 0) {
      await this.confirmUnsentCancel(
        orderId,
        this.metadata(cause.metadata.correlationId, cause.eventId, 'system:execution-gateway'),
      );
      return;
    }
    for (const child of children) {
      if (WORKING_CHILD_STATUSES.includes(child.status)) await this.cancelSlice(orderId, child);
    }
  }

  /**
   * A replace reaches every working slice: the plan (each slice's new terms and why) is appended first
   * (write-ahead), then each slice's replace goes through its venue's rate limiter. Handled again after
   * a restart, only slices that have not answered are asked again (a venue answers a repeat with the
   * same terms). With nothing at any venue yet, or nothing to change there, it is confirmed here.
   */
  private async replaceSlices(order: Order, cause: RecordedEvent): Promise<void> {
    if (!order.pendingReplace) return;
    const orderId = order.terms.orderId;
    const metadata = this.metadata(cause.metadata.correlationId, cause.eventId, 'system:execution-gateway');
    const underWay = Object.values(order.children).some((c) => c.replace);
    if (!underWay) {
      const plan =
        Object.keys(order.children).length === 0
          ? ({ nothingToSend: true } as const)
          : planReplace(order, (venueId) => this.lotOf(venueId, order.terms.instrumentId));
      if ('nothingToSend' in plan) {
        await this.command(orderId, { type: 'ConfirmReplace', data: { orderId } }, metadata);
        return;
      }
      if ('refused' in plan) {
        await this.command(
          orderId,
          { type: 'RejectReplace', data: { orderId, reason: plan.refused } },
          metadata,
        );
        return;
      }
      const planned = await this.command(
        orderId,
        { type: 'RouteReplace', data: { orderId, slices: plan.slices, rationale: plan.rationale } },
        metadata,
      );
      if (!planned) return;
      order = planned;
    }
    for (const child of Object.values(order.children)) {
      if (child.replace && !child.replace.answer) await this.replaceSlice(orderId, child);
    }
  }

  private async replaceSlice(orderId: string, child: ChildSlice): Promise<void> {
    const replace = child.replace;
    const line = this.lines.get(child.venueId);
    if (!replace) return;
    // Sent lately and not answered yet: still on its way (a restart's catch-up and its reconciliation
    // both find the slice waiting).
    const sent = this.replaceSentAt.get(child.childId);
    if (sent !== undefined && this.clock.now() - sent < this.ackTimeoutMs) return;
    const refuse = (reason: string) =>
      this.command(
        orderId,
        {
          type: 'RecordSliceReplace',
          data: { orderId, childId: child.childId, outcome: 'REJECTED', reason },
        },
        this.metadata(child.childId, null, 'system:execution-gateway'),
      );
    if (!line) return void (await refuse(`unknown venue ${child.venueId}`));
    const token = await this.takeToken(line);
    this.assertRunning();
    if (!token)
      return void (await refuse(`rate limit of ${child.venueId}: no room within ${this.maxRateWaitMs} ms`));
    if (!line.breaker.allow()) return void (await refuse(`circuit breaker of ${child.venueId} is open`));
    try {
      await line.venue.replace(
        child.childId,
        Decimal.parse(replace.quantity),
        replace.limitPrice === null ? null : Decimal.parse(replace.limitPrice),
      );
      this.replaceSentAt.set(child.childId, this.clock.now());
      line.breaker.success();
    } catch (error) {
      this.recordFailure(line, error);
      await refuse(`not sent: ${(error as Error).message}`);
    }
  }

  private lotOf(venueId: string, instrumentId: string): Decimal {
    return this.lines.get(venueId)?.venue.capabilities.instruments[instrumentId]?.lotSize ?? Decimal.ZERO;
  }

  /** Nothing was sent, so nothing can still trade: the cancel is confirmed here. */
  private async confirmUnsentCancel(orderId: string, metadata: EventMetadata): Promise<void> {
    await this.command(
      orderId,
      { type: 'ConfirmCancel', data: { orderId, reason: 'canceled before it was sent' } },
      metadata,
    );
  }

  /**
   * Sends a cancel for one slice through its venue's rate limiter. One that cannot go now (no room,
   * no line) is tried again shortly, for as long as the order still wants it canceled.
   */
  private async cancelSlice(orderId: string, child: ChildSlice): Promise<void> {
    const line = this.lines.get(child.venueId);
    if (!line) return;
    const retry = (why: string) => {
      this.log(`cancel of ${child.childId} not sent (${why}); trying again`);
      this.clock.setTimeout(() => void this.retryCancel(orderId, child.childId), 1_000);
    };
    const token = await this.takeToken(line);
    this.assertRunning();
    if (!token) return retry(`rate limit of ${child.venueId}`);
    try {
      await line.venue.cancel(child.childId);
      line.breaker.success();
    } catch (error) {
      this.recordFailure(line, error);
      retry((error as Error).message);
    }
  }

  private retryCancel(orderId: string, childId: string): Promise<void> {
    return this.queue.run(orderId, async () => {
      if (this.stopped) return;
      const { state } = await this.aggregates.load(orderDecider, orderStream(orderId));
      const child = state.exists ? state.children[childId] : undefined;
      if (state.exists && state.pendingCancel && child && WORKING_CHILD_STATUSES.includes(child.status)) {
        await this.cancelSlice(orderId, child);
      }
    });
  }

  /** A request that did not reach the venue counts against its breaker, unless only its rate limit said no. */
  private recordFailure(line: Line, error: unknown): void {
    if (error instanceof VenueUnavailable && error.reason === 'rate limit exceeded') return;
    line.breaker.failure(String((error as Error).message ?? error));
  }

  /** One execution report → one order command, in order per order. */
  private onReport(report: ExecutionReport): Promise<void> {
    const orderId = orderIdOfChild(report.clientOrderId);
    const childId = report.clientOrderId;
    const line = this.lines.get(report.venueId);
    line?.breaker.success();
    const metadata = this.metadata(childId, null, `venue:${report.venueId}`);
    if (report.kind === 'rejected' && report.duplicateOrderId) {
      // A re-send met the original: the slice works on, and reports for itself.
      this.log(`${report.venueId} already holds ${childId}; the re-send is dropped`);
      return Promise.resolve();
    }
    return this.queue.run(orderId, async () => {
      let command: Intent;
      switch (report.kind) {
        case 'ack':
          command = {
            type: 'AcknowledgeOrder',
            data: { orderId, venueId: report.venueId, childId, venueOrderId: report.venueOrderId },
          };
          break;
        case 'fill':
          command = recordFill(report.venueId, report);
          break;
        case 'rejected':
        case 'canceled':
        case 'expired':
          command = {
            type: 'CloseVenueOrder',
            data: {
              orderId,
              childId,
              outcome:
                report.kind === 'canceled' ? 'CANCELED' : report.kind === 'expired' ? 'EXPIRED' : 'REJECTED',
              reason: report.reason,
            },
          };
          this.working.get(report.venueId)?.delete(childId);
          break;
        case 'replaced':
          this.replaceSentAt.delete(childId);
          command = {
            type: 'RecordSliceReplace',
            data: {
              orderId,
              childId,
              outcome: 'REPLACED',
              quantity: report.quantity.toString(),
              limitPrice: report.limitPrice === null ? null : report.limitPrice.toString(),
            },
          };
          break;
        case 'replace-rejected':
          this.replaceSentAt.delete(childId);
          command = {
            type: 'RecordSliceReplace',
            data: { orderId, childId, outcome: 'REJECTED', reason: report.reason },
          };
          break;
        case 'cancel-rejected':
          this.log(`${report.venueId} ${report.kind} for ${childId}: ${report.reason}`);
          return;
      }
      this.sentAt.delete(childId); // the venue has it (or has ended it)
      const after = await this.command(orderId, command, metadata);
      const child = after?.children[childId];
      if (child && !WORKING_CHILD_STATUSES.includes(child.status))
        this.working.get(report.venueId)?.delete(childId);
      // A cancel asked for before the venue acknowledged the slice goes out now.
      if (report.kind === 'ack' && after?.pendingCancel && child) await this.cancelSlice(orderId, child);
    });
  }

  /** Venue side first: fills since last seen, then open orders, then every slice still working here. */
  private async reconcile(line: Line): Promise<void> {
    if (!line.venue.connected) return;
    const venueId = line.venue.capabilities.venueId;
    const fills = await line.venue.fillsSince(line.lastFillSequence);
    for (const f of fills) {
      const orderId = orderIdOfChild(f.clientOrderId);
      await this.queue.run(orderId, () =>
        this.command(
          orderId,
          recordFill(venueId, f),
          this.metadata(f.clientOrderId, null, `venue:${venueId}`),
        ),
      );
      line.lastFillSequence = Math.max(line.lastFillSequence, f.sequence);
    }
    const open = await line.venue.openOrders();
    const unexplained: string[] = [];
    for (const status of open) {
      const orderId = orderIdOfChild(status.clientOrderId);
      const { state } = await this.aggregates.load(orderDecider, orderStream(orderId));
      if (!state.exists || !state.children[status.clientOrderId])
        unexplained.push(`${status.venueOrderId} (${status.clientOrderId})`);
      else this.working.get(venueId)?.set(status.clientOrderId, orderId);
    }
    line.unexplained = unexplained;
    if (unexplained.length > 0)
      this.log(`${venueId}: venue orders the OMS cannot explain: ${unexplained.join(', ')}`);
    const openIds = new Set(open.map((o) => o.clientOrderId));
    for (const [childId, orderId] of [...(this.working.get(venueId) ?? [])]) {
      await this.queue.run(orderId, async () => {
        const { state } = await this.aggregates.load(orderDecider, orderStream(orderId));
        const child = state.exists ? state.children[childId] : undefined;
        if (!state.exists || !child || !WORKING_CHILD_STATUSES.includes(child.status)) {
          this.working.get(venueId)?.delete(childId);
          return;
        }
        if (openIds.has(childId) && child.status !== 'SUBMITTED' && child.status !== 'UNCONFIRMED') {
          // Working at the venue: a cancel or a replace asked for may have been lost (or never sent).
          if (state.pendingCancel) await this.cancelSlice(orderId, child);
          else if (child.replace && !child.replace.answer) await this.replaceSlice(orderId, child);
          return;
        }
        await this.resolve(state, child);
      });
    }
  }

  /** Slices that were working when the gateway last stopped, from the orders read model. */
  private async loadWorkingSlices(): Promise<void> {
    const rows = (await this.dataSource.query(
      `SELECT order_id, snapshot->'children' AS children FROM rm_orders
        WHERE status IN ('PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'PENDING_REPLACE')`,
    )) as { order_id: string; children: Record<string, ChildSlice> | null }[];
    for (const row of rows) {
      for (const child of Object.values(row.children ?? {})) {
        if (WORKING_CHILD_STATUSES.includes(child.status))
          this.working.get(child.venueId)?.set(child.childId, row.order_id);
      }
    }
  }

  /** Runs an order command; a refusal (a duplicate, a late report) is logged, not thrown. */
  /** Decides and appends on the order; `loaded`, if given, is its current state (a stale one is retried). */
  private async command(
    orderId: string,
    command: Intent,
    metadata: EventMetadata,
    loaded?: Loaded<OrderState>,
  ): Promise<Order | null> {
    try {
      const { after } = await this.aggregates.execute(
        orderDecider,
        orderStream(orderId),
        { ...command, metadata: { now: new Date(this.clock.now()) } } as OrderCommand,
        metadata,
        loaded,
      );
      return after.state.exists ? after.state : null;
    } catch (error) {
      if (error instanceof OmsUserError) {
        this.log(`${command.type} on ${orderId} refused: ${error.message}`);
        return null;
      }
      throw error;
    }
  }

  private metadata(correlationId: string, causationId: string | null, actor: string): EventMetadata {
    return { correlationId, causationId, actor };
  }
}
