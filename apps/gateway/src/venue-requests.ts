import {
  workingTypeOf,
  ChildSlice,
  Decimal,
  Order,
  RouteSlice,
  TimeInForce,
  WORKING_CHILD_STATUSES,
  netOfFilledBefore,
} from '@oms/domain';
import { Clock, Logger, backoffDelayMs, orderToVenueSeconds, venueErrors } from '@oms/platform';
import { LineStopped, VenueCapabilities, VenueLine } from '@oms/venues';
import { GATEWAY_ACTOR, GatewayOrders, GatewayStopped } from './gateway-orders';
import { SliceTracker } from './slice-tracker';

export interface VenueRequestOptions {
  /** A replace sent this recently and not answered is still on its way: not sent again. */
  ackTimeoutMs: number;
  /** How long before a cancel that could not be sent is tried again. */
  cancelRetryMs: number;
  /** The retries' jitter (0..1): a backtest passes a seeded one, so that runs repeat exactly. */
  random: () => number;
  /** Each slice sent: the gateway checks for its acknowledgement. */
  onSent(orderId: string, childId: string): void;
  /** Work started by a timer (a cancel tried again). */
  background(work: Promise<void>, what: string): void;
}

/**
 * The time in force a venue is sent: the order's own where the venue has it; a DAY or GTD order at a
 * venue that cannot expire orders goes GTC, and the OMS expires it (OrderExpiry cancels it there).
 */
export function venueTimeInForce(timeInForce: TimeInForce, capabilities: VenueCapabilities): TimeInForce {
  if (capabilities.timesInForce.includes(timeInForce)) return timeInForce;
  if ((timeInForce === 'DAY' || timeInForce === 'GTD') && capabilities.timesInForce.includes('GTC'))
    return 'GTC';
  return timeInForce;
}

/**
 * Everything the gateway sends to venues — new slices, cancels, replaces — through each venue's line
 * (rate limit, then circuit breaker). A new slice or a replace that cannot go is recorded as refused,
 * with the reason; a cancel that cannot go is tried again for as long as the order wants it.
 */
export class VenueRequests {
  /** ms from the slice's write-ahead append to the venue taking it, last 10,000 slices. */
  private readonly sendLatencies: number[] = [];
  /** Cancels that could not be sent, per slice, in a row: each waits longer before trying again. */
  private readonly cancelAttempts = new Map<string, number>();

  constructor(
    private readonly lines: ReadonlyMap<string, VenueLine>,
    private readonly orders: GatewayOrders,
    private readonly tracker: SliceTracker,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: VenueRequestOptions,
  ) {}

  /** Order-to-venue latency inside the gateway (after the durable append), the `last` slices, ascending. */
  sendLatencySamples(last = this.sendLatencies.length): Float64Array {
    return Float64Array.from(this.sendLatencies.slice(-last)).sort();
  }

  /**
   * Rate limit, breaker, then the venue. A slice that cannot go is closed as rejected, with the reason.
   * A re-send (`patient`: a slice its venue lost, found at reconciliation) waits its turn for the
   * venue's rate limit however long the burst of re-sends takes, rather than be refused.
   */
  async send(order: Order, slice: RouteSlice, appendedAt?: number, patient = false): Promise<void> {
    const orderId = order.terms.orderId;
    const line = this.lines.get(slice.venueId);
    const refuse = (reason: string, kind: string) => {
      venueErrors.inc({ venue: slice.venueId, kind });
      return this.orders.command(
        orderId,
        { type: 'CloseVenueOrder', data: { orderId, childId: slice.childId, outcome: 'REJECTED', reason } },
        this.tracker.metadataFor(orderId, slice.childId, null, GATEWAY_ACTOR),
      );
    };
    if (!line) return void (await refuse(`unknown venue ${slice.venueId}`, 'unknown_venue'));
    if (slice.stopPrice !== undefined && slice.limitPrice === null) {
      return void (await refuse(
        'a stop without its limit is never sent (it could trade outside the band)',
        'invalid',
      ));
    }
    // A token at hand is taken without yielding: the slice goes out in the same turn.
    const token = this.token(line, patient ? Infinity : undefined);
    if (!(token === true || (await token))) {
      const reason = `rate limit of ${slice.venueId}: no room within ${line.maxWaitMs} ms`;
      return void (await refuse(reason, 'rate_limited'));
    }
    if (!line.breaker.allow()) {
      return void (await refuse(`circuit breaker of ${slice.venueId} is open`, 'breaker_open'));
    }
    let handedOver = 0;
    try {
      // A protected MARKET order: a limit at its protection price, what it cannot take there canceled.
      // A stop the venue holds (a stop-limit) keeps the order's time in force, also when it is sent
      // again after it triggered: what does not fill at once rests at its limit, as stop-with-protection
      // orders do at exchanges.
      const type = workingTypeOf(order);
      const stopPrice = slice.stopPrice === undefined ? null : Decimal.parse(slice.stopPrice);
      const nativeStop = stopPrice !== null || order.children[slice.childId]?.stopPrice !== undefined;
      const protectedMarket = type === 'MARKET' && slice.limitPrice !== null;
      const timeInForce =
        protectedMarket && !nativeStop
          ? 'IOC'
          : venueTimeInForce(order.terms.timeInForce, line.venue.capabilities);
      const submitted = line.venue.submit({
        clientOrderId: slice.childId,
        instrumentId: order.terms.instrumentId,
        side: order.terms.side,
        type: protectedMarket ? 'LIMIT' : type,
        timeInForce,
        quantity: Decimal.parse(slice.quantity),
        limitPrice: slice.limitPrice === null ? null : Decimal.parse(slice.limitPrice),
        expireAt:
          (timeInForce === 'DAY' || timeInForce === 'GTD') && order.expireAt !== null
            ? Date.parse(order.expireAt)
            : null,
        ...(order.terms.postOnly ? { postOnly: true } : {}),
        ...(order.terms.displayQuantity
          ? { displayQuantity: Decimal.parse(order.terms.displayQuantity) }
          : {}),
        ...(stopPrice ? { stopPrice } : {}),
      });
      handedOver = performance.now();
      await submitted;
      line.breaker.success();
    } catch (error) {
      // Not sent at all (no line, over the venue's limit): safe to close, and a mark against the venue.
      line.recordFailure(error);
      const reason = `not sent: ${(error as Error).message}`;
      await this.orders.command(
        orderId,
        { type: 'CloseVenueOrder', data: { orderId, childId: slice.childId, outcome: 'REJECTED', reason } },
        this.tracker.metadataFor(orderId, slice.childId, null, GATEWAY_ACTOR),
      );
      return;
    }
    if (appendedAt !== undefined) this.recordSendLatency(slice.venueId, handedOver - appendedAt);
    this.tracker.track(slice.venueId, slice.childId, orderId);
    this.tracker.sent(slice.childId, this.clock.now());
    this.options.onSent(orderId, slice.childId);
  }

  /**
   * Sends a cancel for one slice. One that cannot go now (no room, a failure on the line) is tried
   * again shortly, for as long as the order still wants it canceled.
   */
  async cancel(orderId: string, child: ChildSlice): Promise<void> {
    const line = this.lines.get(child.venueId);
    if (!line) return;
    const retry = (why: string) => {
      const attempt = (this.cancelAttempts.get(child.childId) ?? 0) + 1;
      this.cancelAttempts.set(child.childId, attempt);
      const delayMs = backoffDelayMs(attempt, this.options.cancelRetryMs, 30_000, this.options.random);
      this.log.warn({ orderId, childId: child.childId, reason: why, retryInMs: delayMs }, 'cancel not sent');
      this.clock.setTimeout(
        () => this.options.background(this.retryCancel(orderId, child.childId), 'cancel retry'),
        delayMs,
      );
    };
    if (!(await this.token(line))) return retry(`rate limit of ${child.venueId}`);
    try {
      await line.venue.cancel(child.childId);
      this.cancelAttempts.delete(child.childId);
      line.breaker.success();
    } catch (error) {
      line.recordFailure(error);
      retry((error as Error).message);
    }
  }

  private retryCancel(orderId: string, childId: string): Promise<void> {
    return this.orders.run(orderId, async () => {
      const { state } = await this.orders.load(orderId);
      const child = state.exists ? state.children[childId] : undefined;
      if (state.exists && state.pendingCancel && child && WORKING_CHILD_STATUSES.includes(child.status)) {
        await this.cancel(orderId, child);
      } else {
        this.cancelAttempts.delete(childId);
      }
    });
  }

  /** Sends one slice's part of a replace; one that cannot go is recorded as refused by that slice. */
  async replace(orderId: string, child: ChildSlice): Promise<void> {
    const replace = child.replace;
    const line = this.lines.get(child.venueId);
    if (!replace) return;
    // Sent lately and not answered yet: still on its way (a restart's catch-up and its reconciliation
    // both find the slice waiting).
    if (this.tracker.replaceOnTheWire(child.childId, this.clock.now(), this.options.ackTimeoutMs)) return;
    const refuse = (reason: string) =>
      this.orders.command(
        orderId,
        {
          type: 'RecordSliceReplace',
          data: { orderId, childId: child.childId, outcome: 'REJECTED', reason },
        },
        this.tracker.metadataFor(orderId, child.childId, 'replace', GATEWAY_ACTOR),
      );
    if (!line) return void (await refuse(`unknown venue ${child.venueId}`));
    if (!(await this.token(line))) {
      return void (await refuse(`rate limit of ${child.venueId}: no room within ${line.maxWaitMs} ms`));
    }
    if (!line.breaker.allow()) return void (await refuse(`circuit breaker of ${child.venueId} is open`));
    try {
      // The venue order's own total: net of what filled before a re-send (never the slice's again).
      await line.venue.replace(
        child.childId,
        netOfFilledBefore(child, Decimal.parse(replace.quantity)),
        replace.limitPrice === null ? null : Decimal.parse(replace.limitPrice),
      );
      this.tracker.replaceSent(child.childId, this.clock.now());
      line.breaker.success();
    } catch (error) {
      line.recordFailure(error);
      await refuse(`not sent: ${(error as Error).message}`);
    }
  }

  /**
   * A token from the line: at once (true) when one is at hand and nobody waits, or once this request's
   * turn comes. A stopped line (or gateway) means nothing is sent and nothing recorded.
   */
  private token(line: VenueLine, maxWaitMs?: number): true | Promise<boolean> {
    const stopped = (error: unknown) => (error instanceof LineStopped ? new GatewayStopped() : error);
    let taken: boolean | Promise<boolean>;
    try {
      taken = line.takeToken(maxWaitMs);
    } catch (error) {
      throw stopped(error);
    }
    if (taken === true) {
      this.orders.assertRunning();
      return true;
    }
    return Promise.resolve(taken).then(
      (result) => {
        this.orders.assertRunning();
        return result;
      },
      (error: unknown) => {
        throw stopped(error);
      },
    );
  }

  private recordSendLatency(venueId: string, ms: number): void {
    orderToVenueSeconds.observe({ venue: venueId }, ms / 1000);
    this.sendLatencies.push(ms);
    if (this.sendLatencies.length > 10_000) this.sendLatencies.shift();
  }
}
