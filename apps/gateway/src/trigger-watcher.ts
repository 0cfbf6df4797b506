import { CommandContext } from '@oms/application';
import {
  Decimal,
  MarketObservation,
  Order,
  heldByOms,
  isTrailingType,
  isoTimestamp,
  reachesTrigger,
  stopImproves,
  TradePrint,
  trail,
  watchedPrice,
} from '@oms/domain';
import { Clock, Logger } from '@oms/platform';
import { MarketDataHandler } from '@oms/venues';
import { GATEWAY_ACTOR, GatewayOrders, metadata } from './gateway-orders';

/** How the OMS releases a held order once it triggers: risk again, then the venues (the command side). */
export interface HeldOrderRelease {
  trigger(orderId: string, price: string, market: MarketObservation, ctx: CommandContext): Promise<unknown>;
  /** The instrument's tick (trailing stops move on it); null when it is not defined. */
  tickSize(instrumentId: string): Decimal | null;
}

interface Watched {
  order: Order;
  /** The trigger as the watcher trails it now, and as the log last recorded it. */
  stopPrice: Decimal | null;
  watermark: Decimal | null;
  recordedStop: Decimal | null;
  recordedAt: number;
  /** Arming, recording or triggering is under way: the next market change waits for it. */
  busy: boolean;
  triggered: boolean;
  /** A trail to record once the throttle allows (a quiet market sends no change to look again). */
  recordTimer: unknown;
}

/**
 * The OMS's watch on the orders it holds until the market reaches their trigger (emulated stops,
 * trailing stops, if-touched orders): armed as soon as it learns of them (a trailing stop from the
 * market it sees then), each market change for their instrument looked at, trailing stops trailed (and
 * recorded at most every `recordEveryMs`), and a triggered order handed to the release (risk again,
 * then the router). It runs in the active gateway, on the gateway's market data.
 *
 * After a restart it watches again the orders it held (the gateway's record), trailing stops from their
 * last recorded stop: a trigger the market reached while the OMS was down triggers on the first market
 * data after the start, at the market then.
 */
export class TriggerWatcher {
  private readonly watched = new Map<string, Watched>();
  private readonly byInstrument = new Map<string, Set<string>>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(
    private readonly marketData: MarketDataHandler,
    private readonly orders: GatewayOrders,
    private readonly release: HeldOrderRelease | null,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly background: (work: Promise<void>, what: string) => void,
    /** Whether a venue's line is up: a venue that went away leaves its last book, which is no market. */
    private readonly live: (venueId: string) => boolean,
    private readonly recordEveryMs = 1_000,
  ) {
    this.unsubscribe = marketData.onChange((change) => this.look(change.instrumentId));
  }

  /** A held order to watch (new, or read again after a restart); anything else is ignored. */
  watch(order: Order): void {
    if (this.stopped || !heldByOms(order) || order.closure !== null || this.watched.has(order.terms.orderId))
      return;
    if (!this.release) {
      this.log.error(
        { orderId: order.terms.orderId },
        'a held order cannot be watched: this gateway has no way to release it',
      );
      return;
    }
    const trigger = order.trigger!;
    const orderId = order.terms.orderId;
    this.watched.set(orderId, {
      order,
      stopPrice: trigger.stopPrice,
      watermark: trigger.watermark,
      recordedStop: trigger.status === 'ARMED' ? trigger.stopPrice : null,
      recordedAt: this.clock.now(),
      busy: false,
      triggered: false,
      recordTimer: null,
    });
    const ids = this.byInstrument.get(order.terms.instrumentId) ?? new Set<string>();
    ids.add(orderId);
    this.byInstrument.set(order.terms.instrumentId, ids);
    this.lookAt(orderId);
  }

  /**
   * A held order changed (replaced: a new quantity, limit or stop price): watched on as it is now. A
   * moved stop is the one it triggers at from now on (a trailing stop's own trail is kept).
   */
  refresh(order: Order): void {
    const watched = this.watched.get(order.terms.orderId);
    if (!heldByOms(order) || order.closure !== null) return this.forget(order.terms.orderId);
    if (!watched) return this.watch(order);
    this.follow(watched, order);
    this.lookAt(order.terms.orderId);
  }

  /** Takes the order as the log has it now: its trigger price too, unless it trails the market here. */
  private follow(watched: Watched, order: Order): void {
    const trigger = order.trigger!;
    watched.order = order;
    if (!isTrailingType(order.terms.type)) watched.stopPrice = trigger.stopPrice;
    watched.recordedStop = trigger.status === 'ARMED' ? trigger.stopPrice : null;
  }

  /** The order was released or ended: nothing more to watch. */
  forget(orderId: string): void {
    const watched = this.watched.get(orderId);
    if (!watched) return;
    if (watched.recordTimer !== null) this.clock.clearTimeout(watched.recordTimer);
    this.watched.delete(orderId);
    this.byInstrument.get(watched.order.terms.instrumentId)?.delete(orderId);
  }

  /** Orders held now, for /health and tests. */
  get size(): number {
    return this.watched.size;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const watched of this.watched.values()) {
      if (watched.recordTimer !== null) this.clock.clearTimeout(watched.recordTimer);
    }
    this.watched.clear();
    this.byInstrument.clear();
  }

  private look(instrumentId: string): void {
    const ids = this.byInstrument.get(instrumentId);
    if (!ids || ids.size === 0) return;
    for (const orderId of ids) this.lookAt(orderId);
  }

  private lookAt(orderId: string): void {
    const watched = this.watched.get(orderId);
    if (!watched || watched.busy || watched.triggered || this.stopped) return;
    const { order } = watched;
    const market = this.observe(order.terms.instrumentId);
    const price = watchedPrice(order.terms.side, order.trigger!.triggerType, market);
    const trailing = isTrailingType(order.terms.type);
    if (trailing && price !== null) {
      const tickSize = this.release!.tickSize(order.terms.instrumentId);
      if (tickSize === null) return;
      const next = trail(
        {
          side: order.terms.side,
          offset: Decimal.parse(order.terms.trailingOffset as string),
          offsetType: order.terms.trailingOffsetType ?? 'PRICE',
          tickSize,
        },
        watched.watermark,
        price,
      );
      if (stopImproves(order.terms.side, watched.stopPrice, next.stopPrice)) {
        watched.stopPrice = next.stopPrice;
        watched.watermark = next.watermark;
      }
    }
    if (watched.recordedStop === null) {
      // Not armed yet: armed with the stop as it stands (a trailing stop's once the market shows a price).
      if (watched.stopPrice !== null) this.run(watched, this.arm(watched, market), `arming ${orderId}`);
      return;
    }
    if (
      price !== null &&
      watched.stopPrice !== null &&
      reachesTrigger(order.terms.type, order.terms.side, watched.stopPrice, price)
    ) {
      watched.triggered = true;
      this.run(watched, this.trigger(watched, price, market), `triggering ${orderId}`);
      return;
    }
    const moved = watched.stopPrice !== null && !watched.stopPrice.eq(watched.recordedStop);
    if (!trailing || !moved) return;
    const wait = watched.recordedAt + this.recordEveryMs - this.clock.now();
    if (wait <= 0) {
      this.run(watched, this.recordTrail(watched, market), `trailing ${orderId}`);
    } else if (watched.recordTimer === null) {
      watched.recordTimer = this.clock.setTimeout(() => {
        watched.recordTimer = null;
        this.lookAt(orderId);
      }, wait);
    }
  }

  /** One piece of work per order at a time; once done, the order is looked at again. */
  private run(watched: Watched, work: Promise<void>, what: string): void {
    watched.busy = true;
    this.background(
      work.finally(() => {
        watched.busy = false;
        this.lookAt(watched.order.terms.orderId);
      }),
      what,
    );
  }

  private async arm(watched: Watched, market: MarketObservation): Promise<void> {
    const orderId = watched.order.terms.orderId;
    const stopPrice = watched.stopPrice as Decimal;
    const after = await this.orders.run(orderId, () =>
      this.orders.command(
        orderId,
        {
          type: 'ArmOrder',
          data: {
            orderId,
            stopPrice: stopPrice.toString(),
            watermark: watched.watermark?.toString() ?? null,
            market,
          },
        },
        metadata(`arm-${orderId}`, null, GATEWAY_ACTOR),
      ),
    );
    if (!after || !heldByOms(after) || after.trigger?.status !== 'ARMED') {
      // Refused while still held and open: it would never trigger. Said loudly, not dropped quietly.
      const { state } = after ? { state: after } : await this.orders.load(orderId);
      if (state.exists && heldByOms(state) && state.closure === null && state.trigger?.status !== 'ARMED') {
        this.log.error({ orderId }, 'a held order could not be armed: it is not watched');
      }
      return this.forget(orderId);
    }
    watched.order = after;
    watched.recordedStop = after.trigger.stopPrice;
    watched.recordedAt = this.clock.now();
  }

  private async recordTrail(watched: Watched, market: MarketObservation): Promise<void> {
    const orderId = watched.order.terms.orderId;
    const stopPrice = watched.stopPrice as Decimal;
    await this.orders.run(orderId, () =>
      this.orders.command(
        orderId,
        {
          type: 'MoveTrailingStop',
          data: {
            orderId,
            stopPrice: stopPrice.toString(),
            watermark: (watched.watermark as Decimal).toString(),
            market,
          },
        },
        metadata(`trail-${orderId}`, null, GATEWAY_ACTOR),
      ),
    );
    watched.recordedStop = stopPrice;
    watched.recordedAt = this.clock.now();
  }

  /** A trailing stop's latest trail is recorded first: the release is judged against the recorded stop. */
  private async trigger(watched: Watched, price: Decimal, market: MarketObservation): Promise<void> {
    const orderId = watched.order.terms.orderId;
    try {
      if (watched.stopPrice && watched.recordedStop && !watched.stopPrice.eq(watched.recordedStop)) {
        await this.recordTrail(watched, market);
      }
      await this.release!.trigger(orderId, price.toString(), market, {
        actor: GATEWAY_ACTOR,
        correlationId: `trigger-${orderId}`,
      });
    } catch (error) {
      this.log.info({ orderId, err: error }, 'a triggered order was not released');
    }
    // Released, or canceled because risk refused it: no longer held. Still held (it moved meanwhile):
    // watched on, as it is now.
    const { state } = await this.orders.load(orderId);
    if (state.exists && heldByOms(state) && state.trigger?.status === 'ARMED' && this.watched.has(orderId)) {
      this.follow(watched, state);
      watched.triggered = false;
    } else {
      this.forget(orderId);
    }
  }

  /**
   * The market for an instrument as the gateway sees it now, from the venues whose lines are up: the
   * last trade, the touch across them, the mark.
   */
  private observe(instrumentId: string): MarketObservation {
    let bid: Decimal | null = null;
    let ask: Decimal | null = null;
    let marketTime = 0;
    let last: TradePrint | null = null;
    for (const book of this.marketData.books(instrumentId)) {
      if (!this.live(book.venueId)) continue;
      const b = book.bids[0]?.price;
      const a = book.asks[0]?.price;
      if (b && (!bid || b.gt(bid))) bid = b;
      if (a && (!ask || a.lt(ask))) ask = a;
      marketTime = Math.max(marketTime, book.marketTime);
      const trade = this.marketData.trades(instrumentId, book.venueId, 1)[0];
      if (trade && (!last || trade.marketTime > last.marketTime)) last = trade;
    }
    if (last) marketTime = Math.max(marketTime, last.marketTime);
    const mark = this.marketData.markPrice(instrumentId);
    return {
      last: last?.price.toString() ?? null,
      bid: bid?.toString() ?? null,
      ask: ask?.toString() ?? null,
      mark: mark?.toString() ?? null,
      marketTime: marketTime > 0 ? isoTimestamp(new Date(marketTime)) : null,
    };
  }
}
