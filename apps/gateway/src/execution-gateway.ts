import {
  CheckpointStore,
  InstanceLock,
  Loaded,
  Processor,
  Recorded,
  domainEventOf,
  orderIdOf,
} from '@oms/application';
import {
  Decimal,
  Order,
  OrderState,
  RouteSlice,
  WORKING_CHILD_STATUSES,
  endsOrder,
  heldByOms,
  isTriggeredType,
  nativeStopCandidate,
  reachesTrigger,
  reducedToDone,
} from '@oms/domain';
import { EventMetadata, EventStore } from '@oms/event-store';
import {
  Clock,
  Logger,
  gatewayBacklog,
  registerVenueGauges,
  venueAckSeconds,
  venueErrors,
  venueFillSeconds,
} from '@oms/platform';
import {
  ExecutionReport,
  MarketDataHandler,
  Venue,
  VenueLine,
  VenueLineStatus,
  orderIdOfChild,
  planReplace,
  reportToCommand,
  routeOrder,
} from '@oms/venues';
import { OrderExpiry } from './order-expiry';
import { HeldOrderRelease, TriggerWatcher } from './trigger-watcher';
import { GATEWAY_ACTOR, GatewayOrders, GatewayStopped, metadata } from './gateway-orders';
import { SliceTracker } from './slice-tracker';
import { VenueReconciler } from './venue-reconciler';
import { VenueRequests } from './venue-requests';
import { WorkingSliceChanges, WorkingSliceRecord } from './working-slices';

export { GatewayStopped } from './gateway-orders';

/** Client intents the gateway carries out at the venues. */
const INTENTS = [
  'OrderAccepted',
  'OrderReleased',
  'NativeStopReturned',
  'OrderCancelRequested',
  'OrderReplaceRequested',
] as const;
/** What keeps the gateway's record of working slices: slices sent and closed, orders ended. */
const SLICE_FACTS = [
  'VenueOrderSubmitted',
  'VenueOrderClosed',
  'OrderFilled',
  'OrderCanceled',
  'OrderExpired',
  'OrderRejectedByVenue',
  'OrderRestated',
] as const;
type GatewayEventType = (typeof INTENTS)[number] | (typeof SLICE_FACTS)[number];
type Intent = Recorded<(typeof INTENTS)[number]>;

export interface GatewayOptions {
  /** No acknowledgement within this: the slice is flagged unconfirmed and asked about. */
  ackTimeoutMs?: number;
  /** How long after a DAY or GTD order's expiry the OMS expires it, if its venue has not (default 1 s). */
  expiryGraceMs?: number;
  /** How long a slice may wait for its venue's rate limit before it is refused. */
  maxRateWaitMs?: number;
  /** The first wait before a cancel that could not be sent is tried again (it backs off from there). */
  cancelRetryMs?: number;
  /** Jitter for retries, uniform in [0, 1) (default Math.random; a backtest passes a seeded one). */
  random?: () => number;
}

export interface GatewayDeps {
  store: EventStore;
  checkpoints: CheckpointStore;
  lock: InstanceLock;
  workingSlices: WorkingSliceRecord;
  venues: Venue[];
  marketData: MarketDataHandler;
  clock: Clock;
  logger: Logger;
  /** The lock was lost under the running gateway: it has stopped; its process should exit. */
  onLost?: (reason: string) => void;
  /** Releases held orders (stops, trailing stops, if-touched) when they trigger; none: they are not watched. */
  heldOrders?: HeldOrderRelease;
}

export interface VenueStatus extends VenueLineStatus {
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

/**
 * The execution gateway: a processor over order events. An accepted order is routed (the smart order
 * router, or direct), the decision and every slice are appended to the order's stream before anything
 * is sent (write-ahead), then each slice goes through its venue line to the venue (`VenueRequests`).
 * Execution reports come back as order commands (`reportToCommand`); duplicates fall away in the order
 * decider. Cancels and replaces reach every working slice. The venues and the OMS are kept agreeing
 * by the `VenueReconciler`. Which slices may be working is kept from the log (the gateway's own
 * record, moved with its checkpoint), never from a read model.
 */
export class ExecutionGateway {
  readonly processor: Processor<GatewayEventType>;
  private readonly lines = new Map<string, VenueLine>();
  private readonly orders: GatewayOrders;
  private readonly tracker: SliceTracker;
  private readonly requests: VenueRequests;
  private readonly reconciler: VenueReconciler;
  private readonly expiry: OrderExpiry;
  /** Held orders (stops, trailing stops, if-touched) watched for their trigger; none without a release. */
  private readonly triggers: TriggerWatcher | null;
  private readonly log: Logger;
  private unregisterGauges: (() => void) | null = null;

  /** This gateway connected its venues (it became the active one). */
  private venuesOpened = false;

  constructor(
    private readonly deps: GatewayDeps,
    options: GatewayOptions = {},
  ) {
    const ackTimeoutMs = options.ackTimeoutMs ?? 2_000;
    this.log = deps.logger.child({ component: 'execution-gateway' });
    for (const venue of deps.venues) {
      const line = new VenueLine(venue, deps.clock, options.maxRateWaitMs ?? 1_000);
      this.lines.set(line.venueId, line);
    }
    this.orders = new GatewayOrders(deps.store, deps.clock, this.log);
    this.tracker = new SliceTracker(this.lines.keys());
    this.requests = new VenueRequests(this.lines, this.orders, this.tracker, deps.clock, this.log, {
      ackTimeoutMs,
      cancelRetryMs: options.cancelRetryMs ?? 1_000,
      random: options.random ?? Math.random,
      onSent: (orderId, childId) =>
        deps.clock.setTimeout(
          () => this.background(this.reconciler.checkAck(orderId, childId), 'ack check'),
          ackTimeoutMs,
        ),
      background: (work, what) => this.background(work, what),
    });
    this.reconciler = new VenueReconciler(
      this.lines,
      this.orders,
      this.tracker,
      this.requests,
      deps.clock,
      this.log,
      ackTimeoutMs,
    );
    this.expiry = new OrderExpiry(this.orders, deps.clock, options.expiryGraceMs ?? 1_000, (work, what) =>
      this.background(work, what),
    );
    this.triggers = deps.heldOrders
      ? new TriggerWatcher(
          deps.marketData,
          this.orders,
          deps.heldOrders,
          deps.clock,
          this.log,
          (work, what) => this.background(work, what),
          (venueId) => this.lines.get(venueId)?.venue.connected ?? false,
        )
      : null;
    this.processor = new Processor<GatewayEventType>(
      {
        name: 'execution-gateway',
        canHandle: [...INTENTS, ...SLICE_FACTS],
        handle: (events) => this.handleBatch(events),
        onActive: () => this.connect(),
        onCaughtUp: () => this.reconcileAll(),
        onLost: (reason) => void this.lost(reason),
      },
      deps,
    );
  }

  /** Sends (resolving once caught up and reconciled) if no other gateway does; otherwise stands by. */
  async start(): Promise<'active' | 'standby'> {
    const role = await this.processor.start();
    if (role === 'active') await this.processor.whenReady();
    return role;
  }

  async stop(): Promise<void> {
    this.orders.stop();
    this.expiry.stop();
    this.triggers?.stop();
    for (const line of this.lines.values()) line.stop();
    this.unregisterGauges?.();
    await this.processor.stop();
    // Sessions this gateway opened are closed (a FIX venue logs out); a standby opened none.
    if (this.venuesOpened) {
      this.venuesOpened = false;
      await Promise.all(
        [...this.lines.values()].map((line) =>
          line.venue
            .disconnect()
            .catch((error: unknown) => this.log.warn({ err: error }, 'venue disconnect')),
        ),
      );
    }
  }

  private async lost(reason: string): Promise<void> {
    const stopping = this.stop(); // nothing more is sent from here on
    this.deps.onLost?.(reason);
    await stopping;
  }

  status(): VenueStatus[] {
    return [...this.lines.values()].map((line) => ({
      ...line.status(),
      unexplainedOrders: this.reconciler.unexplainedAt(line.venueId),
    }));
  }

  /** Order-to-venue latency inside the gateway (after the durable append), the `last` slices, ascending. */
  sendLatencySamples(last?: number): Float64Array {
    return this.requests.sendLatencySamples(last);
  }

  /** Work started by a venue or a timer: a stopped gateway's is dropped, any other failure logged. */
  private background(work: Promise<void>, what: string): void {
    work.catch((error: unknown) => {
      if (!(error instanceof GatewayStopped)) this.log.error({ err: error }, what);
    });
  }

  /** Active: venues connected and reporting, the slices that may be working known from the record. */
  private async connect(): Promise<void> {
    this.venuesOpened = true;
    for (const line of this.lines.values()) {
      const venueId = line.venueId;
      // The venue hears when a report is recorded (a FIX session counts it handled only then).
      line.venue.onReport((report) => {
        const recorded = this.onReport(report);
        this.background(recorded, 'execution report');
        return recorded;
      });
      line.venue.onMarketData?.((event, instrumentId) =>
        this.deps.marketData.onMarketData(venueId, instrumentId, event),
      );
      line.venue.onConnection((connected) => {
        if (connected) this.background(this.reconciler.reconcile(line), `reconcile ${venueId}`);
      });
      await line.venue.connect();
    }
    const working = new Set<string>();
    for (const slice of await this.deps.workingSlices.load()) {
      this.tracker.track(slice.venueId, slice.childId, slice.orderId);
      working.add(slice.orderId);
    }
    // Orders held before this start (stops, trailing stops): watched again, as the log last left them.
    for (const orderId of await this.deps.workingSlices.loadHeld()) {
      const { state } = await this.orders.load(orderId);
      if (state.exists) {
        this.expiry.watch(state);
        this.triggers?.watch(state);
      }
    }
    // Orders routed before this start: their expiry is watched again.
    for (const orderId of working) {
      const { state } = await this.orders.load(orderId);
      if (state.exists) this.expiry.watch(state);
    }
    this.unregisterGauges = registerVenueGauges({
      venueGauges: () =>
        [...this.lines.values()].map((line) => {
          const { breaker, rateLimitUsage } = line.status();
          return {
            venue: line.venueId,
            breakerState: breaker === 'CLOSED' ? 0 : breaker === 'HALF_OPEN' ? 1 : 2,
            rateLimitUsage,
          };
        }),
    });
  }

  private async reconcileAll(): Promise<void> {
    for (const line of this.lines.values()) {
      await this.reconciler
        .reconcile(line)
        .catch((error: unknown) => this.log.error({ err: error, venueId: line.venueId }, 'reconcile'));
    }
  }

  private async handleBatch(events: Recorded<GatewayEventType>[]) {
    const changes: WorkingSliceChanges = {
      sent: [],
      closedSlices: [],
      endedOrders: [],
      held: [],
      released: [],
    };
    const intents: Intent[] = [];
    for (const event of events) {
      switch (event.type) {
        case 'OrderAccepted':
          if (isTriggeredType(event.data.type)) changes.held?.push(event.data.orderId);
          intents.push(event);
          break;
        case 'OrderReleased':
          changes.released?.push(event.data.orderId);
          intents.push(event);
          break;
        case 'NativeStopReturned':
          intents.push(event);
          break;
        case 'OrderCancelRequested':
        case 'OrderReplaceRequested':
          this.tracker.requested(
            event.data.orderId,
            event.type === 'OrderCancelRequested' ? 'cancel' : 'replace',
            { correlationId: event.metadata.correlationId, eventId: event.eventId },
          );
          intents.push(event);
          break;
        case 'VenueOrderSubmitted': {
          // Read back after a restart too (the old gateway's last write-ahead): asked about at reconciliation.
          const { childId, orderId, venueId } = event.data;
          changes.sent.push({ childId, orderId, venueId });
          this.tracker.track(venueId, childId, orderId);
          this.tracker.submitted(childId, {
            correlationId: event.metadata.correlationId,
            eventId: event.eventId,
          });
          break;
        }
        case 'VenueOrderClosed':
          changes.closedSlices.push(event.data.childId);
          this.tracker.forget(event.data.venueId, event.data.childId);
          break;
        default:
          if (endsOrder(domainEventOf(event))) {
            changes.endedOrders.push(event.data.orderId);
            this.expiry.forget(event.data.orderId);
            this.triggers?.forget(event.data.orderId);
          }
      }
    }
    const accepted = intents.filter((e) => e.type === 'OrderAccepted').length;
    gatewayBacklog.inc(accepted);
    try {
      await forEachAtMost(ORDERS_IN_FLIGHT, intents, (event) => this.handle(event));
    } finally {
      gatewayBacklog.dec(accepted);
    }
    return this.deps.workingSlices.write(changes);
  }

  private handle(event: Intent): Promise<void> {
    const orderId = orderIdOf(event.streamName);
    return this.orders.run(orderId, async () => {
      const loaded = await this.orders.load(orderId);
      const { state } = loaded;
      if (!state.exists) return;
      const cause = metadata(event.metadata.correlationId, event.eventId, GATEWAY_ACTOR);
      if (
        event.type === 'OrderAccepted' ||
        event.type === 'OrderReleased' ||
        event.type === 'NativeStopReturned'
      )
        await this.route(state, cause, loaded);
      else if (event.type === 'OrderReplaceRequested') {
        // A held order is replaced at once: its watch follows (a moved stop triggers at the new price).
        if (heldByOms(state)) this.triggers?.refresh(state);
        await this.replaceSlices(state, cause);
      } else await this.cancelSlices(state, cause);
    });
  }

  /**
   * Routes a new order, or makes sure the slices of one routed before a crash are at their venues.
   * `loaded` is the order as just read, so the routing decision is appended without reading it again.
   */
  private async route(order: Order, cause: EventMetadata, loaded: Loaded<OrderState>): Promise<void> {
    this.expiry.watch(order);
    // Waiting for its trigger: a venue that holds stops works a STOP or STOP_LIMIT itself; any other
    // is held by the OMS, watched here and routed once released.
    if (heldByOms(order)) {
      const native = this.nativeStopRoute(order);
      if (!native) return this.triggers?.watch(order);
      this.triggers?.forget(order.terms.orderId);
      return this.recordRoute(order, native, cause, loaded);
    }
    // Routed already (a redelivery, a restart): its slices are made sure of. A native stop its venue
    // handed back is no part of it: the order is routed afresh once released.
    const routed = Object.values(order.children).filter((c) => !c.returned);
    if (routed.length > 0) {
      for (const child of routed) {
        if (WORKING_CHILD_STATUSES.includes(child.status)) await this.reconciler.resolve(order, child);
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
        // A MARKET order goes as a marketable limit at its protection price: it never trades beyond.
        limitPrice: order.limitPrice ?? order.protectionPrice,
        quantity: order.leavesQty,
        venueId: order.terms.venueId,
        timeInForce: order.terms.timeInForce,
        postOnly: order.terms.postOnly ?? false,
        iceberg: order.terms.displayQuantity !== undefined,
        firstSlice: nextSliceNumber(order),
      },
      this.routableVenues(order.terms.instrumentId),
    );
    if ('refused' in decision) {
      if (order.pendingCancel) {
        await this.confirmUnsentCancel(orderId, cause);
      } else {
        const venueId = order.terms.venueId ?? 'router';
        await this.orders.command(
          orderId,
          { type: 'RecordVenueReject', data: { orderId, venueId, reason: decision.refused } },
          cause,
        );
      }
      return;
    }
    return this.recordRoute(order, decision, cause, loaded);
  }

  /**
   * A STOP or STOP_LIMIT not yet armed, sent natively as a stop-limit when a connected venue holds
   * stops (a STOP's limit is its protection price, its collar edge beyond the stop); null when none
   * can, or the order is not one a venue could trigger as asked.
   */
  private nativeStopRoute(order: Order): { slices: RouteSlice[]; rationale: string } | null {
    const trigger = order.trigger;
    if (!trigger || trigger.status !== 'ACCEPTED' || trigger.stopPrice === null) return null;
    if (!nativeStopCandidate(order.terms) || order.closure || order.pendingCancel) return null;
    // Once handed back by a venue, the OMS keeps it.
    if (Object.keys(order.children).length > 0) return null;
    const limitPrice = order.terms.type === 'STOP' ? order.protectionPrice : order.limitPrice;
    if (limitPrice === null) return null;
    const decision = routeOrder(
      {
        orderId: order.terms.orderId,
        instrumentId: order.terms.instrumentId,
        side: order.terms.side,
        limitPrice,
        quantity: order.leavesQty,
        venueId: order.terms.venueId,
        timeInForce: order.terms.timeInForce,
        stopPrice: trigger.stopPrice,
      },
      this.routableVenues(order.terms.instrumentId),
    );
    if ('refused' in decision) return null;
    // Already reached by the venue's last trade: many venues refuse such a stop; the OMS triggers it now.
    const last = this.deps.marketData.trades(order.terms.instrumentId, decision.slices[0].venueId, 1)[0];
    if (last && reachesTrigger(order.terms.type, order.terms.side, trigger.stopPrice, last.price))
      return null;
    return decision;
  }

  private routableVenues(instrumentId: string) {
    return [...this.lines.values()].map((line) => ({
      capabilities: line.venue.capabilities,
      connected: line.venue.connected,
      breaker: line.breaker.state,
      book: this.deps.marketData.orderBook(line.venueId, instrumentId),
    }));
  }

  /** Records the routing decision (write-ahead), then sends its slices. */
  private async recordRoute(
    order: Order,
    decision: { slices: RouteSlice[]; rationale: string },
    cause: EventMetadata,
    loaded: Loaded<OrderState>,
  ): Promise<void> {
    const orderId = order.terms.orderId;
    const { after: routed, recorded } = await this.orders.record(
      orderId,
      { type: 'RouteOrder', data: { orderId, ...decision } },
      cause,
      loaded,
    );
    // What the venues answer about each slice follows from its submit, known before anything is sent.
    for (const { event, eventId } of recorded) {
      if (event.type === 'VenueOrderSubmitted') {
        this.tracker.submitted(event.data.childId, { correlationId: cause.correlationId, eventId });
      }
    }
    if (!routed) {
      // Refused: most likely a cancel arrived first. Nothing was sent, so the cancel can be confirmed.
      if (order.pendingCancel) await this.confirmUnsentCancel(orderId, cause);
      return;
    }
    const appendedAt = performance.now();
    for (const slice of decision.slices) await this.requests.send(order, slice, appendedAt);
  }

  private async cancelSlices(order: Order, cause: EventMetadata): Promise<void> {
    if (!order.pendingCancel) return;
    const orderId = order.terms.orderId;
    const children = Object.values(order.children);
    if (children.length === 0) return this.confirmUnsentCancel(orderId, cause);
    for (const child of children) {
      if (WORKING_CHILD_STATUSES.includes(child.status)) await this.requests.cancel(orderId, child);
    }
  }

  /**
   * A reduction to what has filled (or below): every working slice is canceled, and the order ends at
   * what filled once none works; with none working, it ends now.
   */
  private async cancelTheRest(order: Order, cause: EventMetadata): Promise<void> {
    const orderId = order.terms.orderId;
    const working = Object.values(order.children).filter((c) => WORKING_CHILD_STATUSES.includes(c.status));
    if (working.length === 0) {
      await this.orders.command(orderId, { type: 'ConfirmReplace', data: { orderId } }, cause);
      return;
    }
    for (const child of working) await this.requests.cancel(orderId, child);
  }

  /** Nothing was sent, so nothing can still trade: the cancel is confirmed here. */
  private async confirmUnsentCancel(orderId: string, cause: EventMetadata): Promise<void> {
    await this.orders.command(
      orderId,
      { type: 'ConfirmCancel', data: { orderId, reason: 'canceled before it was sent' } },
      cause,
    );
  }

  /**
   * A replace reaches every working slice: the plan (each slice's new terms and why) is appended first
   * (write-ahead), then each slice's replace goes through its venue's line. Handled again after a
   * restart, only slices that have not answered are asked again (a venue answers a repeat with the
   * same terms). With nothing at any venue yet, or nothing to change there, it is confirmed here.
   */
  private async replaceSlices(order: Order, cause: EventMetadata): Promise<void> {
    if (!order.pendingReplace) return;
    const orderId = order.terms.orderId;
    if (reducedToDone(order)) return this.cancelTheRest(order, cause);
    if (!Object.values(order.children).some((c) => c.replace)) {
      const plan = Object.values(order.children).every((c) => c.returned)
        ? ({ nothingToSend: true } as const)
        : planReplace(order, (venueId) => this.lotOf(venueId, order.terms.instrumentId));
      if ('nothingToSend' in plan) {
        await this.orders.command(orderId, { type: 'ConfirmReplace', data: { orderId } }, cause);
        return;
      }
      if ('refused' in plan) {
        await this.orders.command(
          orderId,
          { type: 'RejectReplace', data: { orderId, reason: plan.refused } },
          cause,
        );
        return;
      }
      const planned = await this.orders.command(
        orderId,
        { type: 'RouteReplace', data: { orderId, slices: plan.slices, rationale: plan.rationale } },
        cause,
      );
      if (!planned) return;
      order = planned;
    }
    for (const child of Object.values(order.children)) {
      if (child.replace && !child.replace.answer) await this.requests.replace(orderId, child);
    }
  }

  private lotOf(venueId: string, instrumentId: string): Decimal {
    return this.lines.get(venueId)?.venue.capabilities.instruments[instrumentId]?.lotSize ?? Decimal.ZERO;
  }

  /** One execution report → one order command, in order per order. */
  private onReport(report: ExecutionReport): Promise<void> {
    const orderId = orderIdOfChild(report.clientOrderId);
    const childId = report.clientOrderId;
    this.lines.get(report.venueId)?.breaker.success();
    this.observeLatency(report);
    if (report.kind === 'cancel-rejected') {
      return this.reconciler.cancelRefused(orderId, childId, report.reason);
    }
    const command = reportToCommand(report);
    if (command === null) {
      this.log.info(
        {
          venueId: report.venueId,
          childId,
          report: report.kind,
          reason: 'reason' in report ? report.reason : null,
        },
        report.kind === 'rejected'
          ? 'the venue already holds this slice; the re-send is dropped'
          : `venue report ${report.kind} changes nothing on the order`,
      );
      return Promise.resolve();
    }
    if (report.kind === 'rejected') venueErrors.inc({ venue: report.venueId, kind: 'rejected' });
    return this.orders.run(orderId, async () => {
      if (report.kind === 'replaced' || report.kind === 'replace-rejected')
        this.tracker.replaceAnswered(childId);
      if (report.kind === 'rejected' || report.kind === 'canceled' || report.kind === 'expired') {
        this.tracker.forget(report.venueId, childId);
      }
      this.tracker.heardOf(childId); // the venue has it (or has ended it)
      // The venue's report follows from what the gateway sent it: the client's request, end to end.
      const answers =
        report.kind === 'canceled'
          ? 'cancel'
          : report.kind === 'replaced' || report.kind === 'replace-rejected'
            ? 'replace'
            : null;
      const after = await this.orders.command(
        orderId,
        command,
        this.tracker.metadataFor(orderId, childId, answers, `venue:${report.venueId}`),
      );
      const child = after?.children[childId];
      if (child && !WORKING_CHILD_STATUSES.includes(child.status))
        this.tracker.forget(report.venueId, childId);
      // A cancel asked for before the venue acknowledged the slice goes out now.
      if (report.kind === 'ack' && after?.pendingCancel && child) await this.requests.cancel(orderId, child);
      // Fills overtook a pending reduction (FIX D11/D12): the rest is canceled at every slice.
      if (report.kind === 'fill' && after && reducedToDone(after)) {
        // Follows from the reduction (the replace request) that the fills overtook.
        await this.cancelTheRest(after, this.tracker.metadataFor(orderId, childId, 'replace', GATEWAY_ACTOR));
      }
    });
  }

  private observeLatency(report: ExecutionReport): void {
    const sent = this.tracker.firstSent(report.clientOrderId);
    if (sent === undefined) return;
    const seconds = (this.deps.clock.now() - sent) / 1000;
    if (report.kind === 'ack') venueAckSeconds.observe({ venue: report.venueId }, seconds);
    else if (report.kind === 'fill') venueFillSeconds.observe({ venue: report.venueId }, seconds);
  }
}

/** After the slices of an earlier routing (a native stop handed back): the highest number used, plus one. */
function nextSliceNumber(order: Order): number {
  const used = Object.keys(order.children).map((id) => Number(id.slice(id.lastIndexOf('.') + 1)) || 0);
  return Math.max(0, ...used) + 1;
}
