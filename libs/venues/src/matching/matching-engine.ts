import { Decimal, Liquidity, Side, TimeInForce, VenueOrderType } from '@oms/domain';
import { L2Book } from '../market-data/l2-book';
import { MarketEvent, PriceLevel } from '../market-data/market-data';

export interface EngineOrder {
  /** The id the venue knows the order by (the OMS's child client order id). */
  orderId: string;
  side: Side;
  type: VenueOrderType;
  timeInForce: TimeInForce;
  quantity: Decimal;
  limitPrice: Decimal | null;
  /** Refused if it would take liquidity on arrival. */
  postOnly?: boolean;
  /** Iceberg: shows this much at a time; each new slice joins the back of its price's queue. */
  displayQuantity?: Decimal | null;
  /**
   * A stop: held off the book until a trade here reaches this price (a buy's at or above it, a sell's
   * at or below), then worked as the MARKET or LIMIT order it is.
   */
  stopPrice?: Decimal | null;
}

export interface EngineFill {
  type: 'fill';
  orderId: string;
  execId: string;
  price: Decimal;
  quantity: Decimal;
  liquidity: Liquidity;
  fee: Decimal;
  /** What is still working after this fill. */
  leavesQuantity: Decimal;
}

export type EngineReport =
  | { type: 'accepted'; orderId: string }
  | { type: 'triggered'; orderId: string }
  | EngineFill
  | { type: 'canceled'; orderId: string; leavesQuantity: Decimal; reason: string }
  | {
      type: 'replaced';
      orderId: string;
      quantity: Decimal;
      limitPrice: Decimal | null;
      leavesQuantity: Decimal;
    }
  | { type: 'rejected'; orderId: string; reason: string };

export interface MatchingEngineOptions {
  /** Fees as a fraction of notional (0.0002 = 2 bp); a negative maker fee is a rebate. */
  makerFee: Decimal;
  takerFee: Decimal;
  feeDecimals?: number;
  /** Prefix of execution ids, unique per venue. */
  execIdPrefix?: string;
  /**
   * How a resting order moves up its price level's queue when the market's quantity there shrinks
   * without a trade (cancellations). 'risk-averse' (default): only trades at the price move it; a
   * shrinking level only caps what can still be ahead. 'probabilistic': a cancellation is ahead of
   * the order in proportion to the quantity ahead of it (ahead / shown), so it moves up by that share.
   */
  queueModel?: QueueModel;
}

export type QueueModel = 'risk-averse' | 'probabilistic';

export interface RestingOrder {
  order: EngineOrder;
  price: Decimal;
  leaves: Decimal;
  /** Quantity the market showed at this price when the order arrived: it trades first. */
  queueAhead: Decimal;
  /** The market's quantity at this price when last seen (ahead of the order and behind it). */
  shown: Decimal;
  /** An iceberg's slice on show now (what trades at its place in the queue); null: all of it shows. */
  visible: Decimal | null;
}

interface OwnLevel {
  price: Decimal;
  orders: RestingOrder[];
}

/**
 * A price-time-priority matching engine for one instrument. Liquidity comes from two places: the
 * market's book as a feed describes it (replayed or synthetic), and orders resting here. An incoming
 * order takes the best price first; at one price the market's quantity goes first (it was there
 * before), then resting orders in arrival order. Market orders walk the book (that is the slippage);
 * IOC keeps what fills at once and cancels the rest; FOK fills completely at once or not at all.
 * Resting orders fill as makers, at their own price, when the market trades through them or when the
 * market's book moves across them; at their exact price only after the quantity that was ahead of them.
 * The market's quantity an order takes is gone until the feed's next update of that level.
 */
export class MatchingEngine {
  readonly book = new L2Book();
  /** Best first: bids descending, asks ascending. */
  private readonly bids: OwnLevel[] = [];
  private readonly asks: OwnLevel[] = [];
  private readonly resting = new Map<string, RestingOrder>();
  /** Stops not yet reached, in arrival order (they trigger in it when one trade reaches several). */
  private readonly stops = new Map<string, EngineOrder>();
  /** The price of the last trade here (the feed's or one with an order here): what stops watch. */
  private lastTrade: Decimal | null = null;
  private execSeq = 0;
  private readonly feeDecimals: number;
  private readonly execIdPrefix: string;

  constructor(private readonly options: MatchingEngineOptions) {
    this.feeDecimals = options.feeDecimals ?? 8;
    this.execIdPrefix = options.execIdPrefix ?? 'E';
  }

  submit(order: EngineOrder): EngineReport[] {
    if (this.holds(order.orderId)) {
      return [{ type: 'rejected', orderId: order.orderId, reason: 'duplicate order id' }];
    }
    if (!order.quantity.isPositive()) {
      return [{ type: 'rejected', orderId: order.orderId, reason: 'quantity must be positive' }];
    }
    if (order.type === 'LIMIT' && (!order.limitPrice || !order.limitPrice.isPositive())) {
      return [{ type: 'rejected', orderId: order.orderId, reason: 'a limit order needs a positive price' }];
    }
    if (
      order.postOnly &&
      (order.type !== 'LIMIT' || order.timeInForce === 'IOC' || order.timeInForce === 'FOK')
    ) {
      return [{ type: 'rejected', orderId: order.orderId, reason: 'post-only is for resting limit orders' }];
    }
    const stop = order.stopPrice ?? null;
    if (stop !== null) {
      if (!stop.isPositive() || order.postOnly) {
        const reason = order.postOnly ? 'a stop cannot be post-only' : 'a stop needs a positive stop price';
        return [{ type: 'rejected', orderId: order.orderId, reason }];
      }
      const reports: EngineReport[] = [{ type: 'accepted', orderId: order.orderId }];
      this.stops.set(order.orderId, order);
      // Already reached by the last trade here: it triggers at once.
      if (this.lastTrade !== null) this.triggerStops([this.lastTrade], reports);
      return reports;
    }
    const limit = order.type === 'LIMIT' ? order.limitPrice : null;
    if (order.postOnly && this.available(order.side, limit, order.quantity).isPositive()) {
      return [{ type: 'rejected', orderId: order.orderId, reason: 'post-only order would take liquidity' }];
    }
    const reports: EngineReport[] = [{ type: 'accepted', orderId: order.orderId }];
    this.work(order, reports);
    this.triggerStops(tradePrices(reports), reports);
    return reports;
  }

  /** Whether an order is here: resting on the book, or a stop waiting for its trigger. */
  holds(orderId: string): boolean {
    return this.resting.has(orderId) || this.stops.has(orderId);
  }

  /** A new order, or a stop just triggered, takes what it can and rests (or is canceled) for the rest. */
  private work(order: EngineOrder, reports: EngineReport[]): void {
    const limit = order.type === 'LIMIT' ? order.limitPrice : null;
    if (order.timeInForce === 'FOK' && this.available(order.side, limit, order.quantity).lt(order.quantity)) {
      reports.push({
        type: 'canceled',
        orderId: order.orderId,
        leavesQuantity: order.quantity,
        reason: 'FOK: not fully fillable',
      });
      return;
    }
    const leaves = this.take(order, limit, order.quantity, reports);
    if (leaves.isZero()) return;
    if (order.type === 'MARKET' || order.timeInForce === 'IOC' || order.timeInForce === 'FOK') {
      const reason = order.type === 'MARKET' ? 'no more liquidity' : 'IOC: rest canceled';
      reports.push({ type: 'canceled', orderId: order.orderId, leavesQuantity: leaves, reason });
      return;
    }
    this.rest(order, limit as Decimal, leaves);
  }

  /**
   * Trades happened at `prices` (in order): the last is the last trade here, and every stop one of
   * them reaches triggers, in arrival order, and works at once; the trades those make can trigger more.
   */
  private triggerStops(prices: Decimal[], reports: EngineReport[]): void {
    let pending = prices;
    while (pending.length > 0) {
      this.lastTrade = pending[pending.length - 1];
      const high = pending.reduce((a, b) => Decimal.max(a, b));
      const low = pending.reduce((a, b) => Decimal.min(a, b));
      const reached = [...this.stops.values()].filter((o) =>
        o.side === 'BUY' ? high.gte(o.stopPrice as Decimal) : low.lte(o.stopPrice as Decimal),
      );
      const made: EngineReport[] = [];
      for (const stop of reached) {
        this.stops.delete(stop.orderId);
        made.push({ type: 'triggered', orderId: stop.orderId });
        this.work({ ...stop, stopPrice: null }, made);
      }
      reports.push(...made);
      pending = tradePrices(made);
    }
  }

  cancel(orderId: string, reason = 'canceled on request'): EngineReport[] {
    const stop = this.stops.get(orderId);
    if (stop) {
      this.stops.delete(orderId);
      return [{ type: 'canceled', orderId, leavesQuantity: stop.quantity, reason }];
    }
    const resting = this.resting.get(orderId);
    if (!resting)
      return [{ type: 'rejected', orderId, reason: 'unknown order (filled, canceled or never here)' }];
    this.remove(resting);
    return [{ type: 'canceled', orderId, leavesQuantity: resting.leaves, reason }];
  }

  /**
   * A new total quantity and/or price. A lower quantity at the same price keeps its place; anything
   * else goes to the back, and a price that now crosses trades at once.
   */
  replace(orderId: string, quantity: Decimal, limitPrice: Decimal | null): EngineReport[] {
    const stop = this.stops.get(orderId);
    if (stop) {
      // Not yet triggered: nothing filled, the stop waits on with its new terms.
      const price = limitPrice ?? stop.limitPrice;
      this.stops.set(orderId, { ...stop, quantity, limitPrice: price });
      return [{ type: 'replaced', orderId, quantity, limitPrice: price, leavesQuantity: quantity }];
    }
    const resting = this.resting.get(orderId);
    if (!resting)
      return [{ type: 'rejected', orderId, reason: 'unknown order (filled, canceled or never here)' }];
    const filled = resting.order.quantity.minus(resting.leaves);
    const leaves = quantity.minus(filled);
    if (!leaves.isPositive())
      return [{ type: 'rejected', orderId, reason: 'new quantity is not above what has filled' }];
    const price = limitPrice ?? resting.price;
    const order = { ...resting.order, quantity, limitPrice: price };
    // Post-only stays post-only: a new price that would take is refused, the order keeps its terms.
    if (
      order.postOnly &&
      !price.eq(resting.price) &&
      this.available(order.side, price, leaves).isPositive()
    ) {
      return [{ type: 'rejected', orderId, reason: 'post-only order would take liquidity' }];
    }
    const reports: EngineReport[] = [
      { type: 'replaced', orderId, quantity, limitPrice: price, leavesQuantity: leaves },
    ];
    if (price.eq(resting.price) && leaves.lte(resting.leaves)) {
      resting.order = order;
      resting.leaves = leaves;
      return reports;
    }
    this.remove(resting);
    const left = this.take(order, price, leaves, reports);
    if (left.isPositive()) this.rest(order, price, left);
    this.triggerStops(tradePrices(reports), reports);
    return reports;
  }

  /** The feed moves the market's book, or reports a trade; resting orders it reaches fill. */
  onMarketData(event: MarketEvent): EngineReport[] {
    const reports: EngineReport[] = [];
    if (event.kind === 'trade') {
      if (event.aggressor !== 'BUY') this.fillThrough('BUY', event.price, event.quantity, reports);
      if (event.aggressor !== 'SELL') this.fillThrough('SELL', event.price, event.quantity, reports);
      this.triggerStops([event.price], reports);
      return reports;
    }
    this.book.apply(event);
    this.moveQueues('BUY');
    this.moveQueues('SELL');
    this.fillCrossed('BUY', reports);
    this.fillCrossed('SELL', reports);
    this.triggerStops(tradePrices(reports), reports);
    return reports;
  }

  /**
   * The market's book moves while this venue does not match (its market is halted): the book and the
   * queues follow the feed, nothing fills. Trades are not this venue's while it is halted.
   */
  observe(event: MarketEvent): void {
    if (event.kind === 'trade') return;
    this.book.apply(event);
    this.moveQueues('BUY');
    this.moveQueues('SELL');
  }

  openOrders(): RestingOrder[] {
    return [...this.resting.values()];
  }

  order(orderId: string): RestingOrder | undefined {
    return this.resting.get(orderId);
  }

  /** Quantity an order could take at once, up to `wanted` (for FOK). */
  private available(side: Side, limit: Decimal | null, wanted: Decimal): Decimal {
    let total = Decimal.ZERO;
    const within = (price: Decimal) =>
      limit === null || (side === 'BUY' ? price.lte(limit) : price.gte(limit));
    for (const level of side === 'BUY' ? this.book.asks : this.book.bids) {
      if (!within(level.price) || total.gte(wanted)) break;
      total = total.plus(level.quantity);
    }
    for (const level of side === 'BUY' ? this.asks : this.bids) {
      if (!within(level.price) || total.gte(wanted)) break;
      for (const r of level.orders) total = total.plus(r.leaves);
    }
    return total;
  }

  /** Takes liquidity for an incoming order, best price first; returns what is left of `quantity`. */
  private take(
    order: EngineOrder,
    limit: Decimal | null,
    quantity: Decimal,
    reports: EngineReport[],
  ): Decimal {
    const buy = order.side === 'BUY';
    const market = buy ? this.book.asks : this.book.bids;
    const own = buy ? this.asks : this.bids;
    const within = (price: Decimal) => limit === null || (buy ? price.lte(limit) : price.gte(limit));
    let leaves = quantity;
    while (leaves.isPositive()) {
      const external: PriceLevel | undefined = market[0];
      const resting: OwnLevel | undefined = own[0];
      // At one price the market's quantity goes first.
      const useExternal =
        external !== undefined &&
        (resting === undefined ||
          (buy ? external.price.lte(resting.price) : external.price.gte(resting.price)));
      if (useExternal) {
        if (!within(external.price)) break;
        const traded = Decimal.min(leaves, external.quantity);
        leaves = leaves.minus(traded);
        const rest = external.quantity.minus(traded);
        if (rest.isZero()) market.shift();
        else market[0] = { price: external.price, quantity: rest };
        reports.push(this.fill(order.orderId, external.price, traded, 'TAKER', leaves));
      } else if (resting !== undefined) {
        if (!within(resting.price)) break;
        const maker = resting.orders[0];
        const traded = Decimal.min(leaves, maker.leaves);
        leaves = leaves.minus(traded);
        maker.leaves = maker.leaves.minus(traded);
        reports.push(this.fill(maker.order.orderId, resting.price, traded, 'MAKER', maker.leaves));
        reports.push(this.fill(order.orderId, resting.price, traded, 'TAKER', leaves));
        if (maker.leaves.isZero()) this.remove(maker);
      } else {
        break;
      }
    }
    return leaves;
  }

  private rest(order: EngineOrder, price: Decimal, leaves: Decimal): void {
    const sameSide = order.side === 'BUY' ? this.book.bids : this.book.asks;
    const shown = sameSide.find((l) => l.price.eq(price));
    const ahead = shown?.quantity ?? Decimal.ZERO;
    const display = order.displayQuantity ?? null;
    const resting: RestingOrder = {
      order,
      price,
      leaves,
      queueAhead: ahead,
      shown: ahead,
      visible: display === null ? null : Decimal.min(display, leaves),
    };
    const levels = order.side === 'BUY' ? this.bids : this.asks;
    const index = levelIndex(levels, price, order.side === 'BUY' ? -1 : 1);
    if (index < levels.length && levels[index].price.eq(price)) levels[index].orders.push(resting);
    else levels.splice(index, 0, { price, orders: [resting] });
    this.resting.set(order.orderId, resting);
  }

  private remove(resting: RestingOrder): void {
    this.resting.delete(resting.order.orderId);
    const levels = resting.order.side === 'BUY' ? this.bids : this.asks;
    const index = levelIndex(levels, resting.price, resting.order.side === 'BUY' ? -1 : 1);
    const level = levels[index];
    if (!level || !level.price.eq(resting.price)) return;
    const at = level.orders.indexOf(resting);
    if (at >= 0) level.orders.splice(at, 1);
    if (level.orders.length === 0) levels.splice(index, 1);
  }

  /** A market trade at `price`: resting orders on `side` it went through fill, best price first. */
  private fillThrough(side: Side, price: Decimal, quantity: Decimal, reports: EngineReport[]): void {
    const levels = side === 'BUY' ? this.bids : this.asks;
    let left = quantity;
    for (let i = 0; i < levels.length && left.isPositive();) {
      const level = levels[i];
      const through = side === 'BUY' ? level.price.gt(price) : level.price.lt(price);
      const at = level.price.eq(price);
      if (!through && !at) break;
      const before = levels.length;
      for (const resting of [...level.orders]) {
        if (!left.isPositive()) break;
        if (at) {
          // Quantity that was ahead trades first.
          const ahead = Decimal.min(resting.queueAhead, left);
          resting.queueAhead = resting.queueAhead.minus(ahead);
          // What traded ahead left the level by trading, not by cancellation.
          resting.shown = Decimal.max(Decimal.ZERO, resting.shown.minus(ahead));
          left = left.minus(ahead);
          if (!left.isPositive()) break;
        }
        // An iceberg trades its slice on show; the next slice joins the back of the queue.
        const traded = Decimal.min(left, resting.visible ?? resting.leaves);
        left = left.minus(traded);
        resting.leaves = resting.leaves.minus(traded);
        reports.push(this.fill(resting.order.orderId, resting.price, traded, 'MAKER', resting.leaves));
        if (resting.leaves.isZero()) this.remove(resting);
        else if (resting.visible !== null) this.refreshSlice(resting, level, traded);
      }
      if (levels.length === before) i++;
    }
  }

  /** An iceberg's slice traded: what is left of it shows on; a spent slice is renewed at the back. */
  private refreshSlice(resting: RestingOrder, level: OwnLevel, traded: Decimal): void {
    const left = (resting.visible as Decimal).minus(traded);
    if (left.isPositive()) {
      resting.visible = left;
      return;
    }
    resting.visible = Decimal.min(resting.order.displayQuantity as Decimal, resting.leaves);
    resting.queueAhead = resting.shown;
    level.orders.splice(level.orders.indexOf(resting), 1);
    level.orders.push(resting);
  }

  /**
   * The market's book changed: where it says how much is at a resting order's price (the price is
   * within the levels it describes, or better than its best), a shrunken level moves the order up its
   * queue as the queue model says, and nothing more can be ahead than the level now shows.
   */
  private moveQueues(side: Side): void {
    const own = side === 'BUY' ? this.bids : this.asks;
    const market = side === 'BUY' ? this.book.bids : this.book.asks;
    if (own.length === 0 || market.length === 0) return;
    const worst = market[market.length - 1].price;
    for (const level of own) {
      const described = side === 'BUY' ? level.price.gte(worst) : level.price.lte(worst);
      if (!described) continue;
      const shownNow = market.find((l) => l.price.eq(level.price))?.quantity ?? Decimal.ZERO;
      for (const resting of level.orders) {
        if (shownNow.lt(resting.shown) && this.options.queueModel === 'probabilistic') {
          const canceled = resting.shown.minus(shownNow);
          const aheadShare = resting.queueAhead.times(canceled);
          const scale = Math.max(resting.queueAhead.decimalPlaces(), canceled.decimalPlaces());
          // Rounded down: the order never moves up by more than its share.
          const moved = aheadShare.dividedBy(resting.shown, scale + 4).floorToMultiple(stepOf(scale));
          resting.queueAhead = Decimal.max(Decimal.ZERO, resting.queueAhead.minus(moved));
        }
        resting.queueAhead = Decimal.min(resting.queueAhead, shownNow);
        resting.shown = shownNow;
      }
    }
  }

  /** The market's book now crosses resting orders on `side`: they fill against it at their price. */
  private fillCrossed(side: Side, reports: EngineReport[]): void {
    const own = side === 'BUY' ? this.bids : this.asks;
    const market = side === 'BUY' ? this.book.asks : this.book.bids;
    while (own.length > 0 && market.length > 0) {
      const level = own[0];
      const external = market[0];
      const crosses = side === 'BUY' ? external.price.lte(level.price) : external.price.gte(level.price);
      if (!crosses) return;
      const resting = level.orders[0];
      const traded = Decimal.min(resting.leaves, external.quantity);
      resting.leaves = resting.leaves.minus(traded);
      const rest = external.quantity.minus(traded);
      if (rest.isZero()) market.shift();
      else market[0] = { price: external.price, quantity: rest };
      reports.push(this.fill(resting.order.orderId, resting.price, traded, 'MAKER', resting.leaves));
      if (resting.leaves.isZero()) this.remove(resting);
    }
  }

  private fill(
    orderId: string,
    price: Decimal,
    quantity: Decimal,
    liquidity: Liquidity,
    leaves: Decimal,
  ): EngineFill {
    const rate = liquidity === 'MAKER' ? this.options.makerFee : this.options.takerFee;
    return {
      type: 'fill',
      orderId,
      execId: `${this.execIdPrefix}${++this.execSeq}`,
      price,
      quantity,
      liquidity,
      fee: price.times(quantity).times(rate).round(this.feeDecimals),
      leavesQuantity: leaves,
    };
  }
}

/**
 * The prices of the trades among reports, in order: each fill is one side of a trade (a trade between
 * two orders here reports both sides at one price, which counts once or twice alike).
 */
function tradePrices(reports: EngineReport[]): Decimal[] {
  return reports.flatMap((r) => (r.type === 'fill' ? [r.price] : []));
}

/** 10^-scale: the smallest step at `scale` decimal places. */
function stepOf(scale: number): Decimal {
  return Decimal.parse(scale === 0 ? '1' : `0.${'0'.repeat(scale - 1)}1`);
}

/** Where `price` is or belongs among levels ordered best first (direction -1: descending). */
function levelIndex(levels: OwnLevel[], price: Decimal, direction: 1 | -1): number {
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (levels[mid].price.cmp(price) * direction < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
