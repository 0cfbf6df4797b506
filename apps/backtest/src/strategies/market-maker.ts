import { Decimal, Side } from '@oms/domain';
import { Strategy, StrategyContext, StrategyFactory } from '../strategy';
import { Params } from './params';

const ENDED = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);

interface Quote {
  orderId: string | null;
  price: Decimal | null;
  /** A place, replace or cancel is on its way: nothing more is sent for this side until it settles. */
  busy: boolean;
  lastSentAt: number;
}

/**
 * A simple market maker: one GTC limit order on each side, `halfSpreadTicks` from the mid (never
 * crossing the book), shifted against the inventory by `skewTicksPerQuote` ticks per quote size held.
 * It replaces a quote once its wanted price has moved `requoteTicks` or more (at most once per
 * `minRequoteMs` per side), stops bidding at +`maxInventory` and offering at −`maxInventory`
 * (canceling the quote that would add to it), and cancels everything when the data ends.
 *
 * Parameters: instrumentId (the first instrument), quoteSize (10 lots), halfSpreadTicks (1),
 * requoteTicks (2), minRequoteMs (250), maxInventory (5 quote sizes), skewTicksPerQuote (1),
 * venueId (none: the router chooses).
 */
export const marketMaker: StrategyFactory = (setup) => {
  const p = new Params('market-maker', setup.params);
  const { instrumentId, tickSize, lotSize } = p.instrument(setup);
  const quoteSize = p.lots('quoteSize', lotSize.times(Decimal.of(10)), lotSize);
  const halfSpreadTicks = p.int('halfSpreadTicks', 1, 0, 100_000);
  const requoteTicks = p.int('requoteTicks', 2, 1, 100_000);
  const minRequoteMs = p.int('minRequoteMs', 250, 0, 86_400_000);
  const maxInventory = p.lots('maxInventory', quoteSize.times(Decimal.of(5)), lotSize);
  const skewTicksPerQuote = p.int('skewTicksPerQuote', 1, 0, 100_000);
  const venueId = p.text('venueId');
  p.done();

  const quotes: Record<Side, Quote> = {
    BUY: { orderId: null, price: null, busy: false, lastSentAt: -Infinity },
    SELL: { orderId: null, price: null, busy: false, lastSentAt: -Infinity },
  };
  const filledBy = new Map<string, { side: Side; filled: Decimal }>();
  const ended = new Set<string>();
  let inventory = Decimal.ZERO;
  let stopped = false;

  /** The price each side wants now, or null when that side should not quote. */
  function wanted(ctx: StrategyContext, side: Side): Decimal | null {
    const mid = ctx.mid(instrumentId);
    const { bid, ask } = ctx.bestBidAsk(instrumentId);
    if (!mid || !bid || !ask) return null;
    if (side === 'BUY' && inventory.gte(maxInventory)) return null;
    if (side === 'SELL' && inventory.negated().gte(maxInventory)) return null;
    const skew = tickSize.times(Decimal.of(skewTicksPerQuote)).times(inventory.dividedBy(quoteSize, 0));
    const half = tickSize.times(Decimal.of(halfSpreadTicks));
    if (side === 'BUY') {
      const price = mid.minus(half).minus(skew).floorToMultiple(tickSize);
      return Decimal.min(price, ask.minus(tickSize));
    }
    const price = mid.plus(half).minus(skew).ceilToMultiple(tickSize);
    return Decimal.max(price, bid.plus(tickSize));
  }

  async function quote(ctx: StrategyContext, side: Side): Promise<void> {
    const q = quotes[side];
    if (q.busy || stopped) return;
    const price = wanted(ctx, side);
    if (price === null || !price.isPositive()) {
      if (q.orderId) {
        q.busy = true;
        const canceled = await ctx.cancel(q.orderId, 'inventory limit');
        if (!canceled.ok) q.busy = false;
      }
      return;
    }
    if (ctx.now() - q.lastSentAt < minRequoteMs) return;
    if (!q.orderId) {
      q.busy = true;
      q.lastSentAt = ctx.now();
      const placed = await ctx.place({
        instrumentId,
        side,
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: quoteSize,
        limitPrice: price,
        venueId,
      });
      q.busy = false;
      // Its updates may have come first (through the log): an order that already ended is no quote.
      if (placed.accepted && !ended.has(placed.orderId)) {
        q.orderId = placed.orderId;
        q.price = price;
      }
      return;
    }
    if (
      q.price &&
      price
        .minus(q.price)
        .abs()
        .gte(tickSize.times(Decimal.of(requoteTicks)))
    ) {
      q.busy = true;
      q.lastSentAt = ctx.now();
      const replaced = await ctx.replace(q.orderId, { limitPrice: price });
      if (!replaced.ok) q.busy = false;
    }
  }

  const strategy: Strategy = {
    onStart(ctx) {
      ctx.log(
        `market maker on ${instrumentId}: ${quoteSize} a side, ${halfSpreadTicks} tick(s) from the mid, inventory within ±${maxInventory}`,
      );
    },

    async onMarketData(ctx, update) {
      if (update.instrumentId !== instrumentId || update.event.kind === 'trade') return;
      await quote(ctx, 'BUY');
      await quote(ctx, 'SELL');
    },

    onOrderUpdate(_ctx, update) {
      const before = filledBy.get(update.orderId)?.filled ?? Decimal.ZERO;
      filledBy.set(update.orderId, { side: update.side, filled: update.filledQuantity });
      const delta = update.filledQuantity.minus(before);
      inventory = update.side === 'BUY' ? inventory.plus(delta) : inventory.minus(delta);
      if (ENDED.has(update.status)) ended.add(update.orderId);
      const q = quotes[update.side];
      if (q.orderId !== update.orderId) return;
      if (ENDED.has(update.status)) {
        q.orderId = null;
        q.price = null;
        q.busy = false;
      } else if (update.event === 'OrderReplaced') {
        q.price = update.limitPrice;
        q.busy = false;
      } else if (update.event === 'OrderReplaceRejected' || update.event === 'OrderReplaceRefused') {
        q.busy = false;
      }
    },

    async onStop(ctx) {
      stopped = true;
      for (const side of ['BUY', 'SELL'] as const) {
        const id = quotes[side].orderId;
        if (id) await ctx.cancel(id, 'backtest ended');
      }
      ctx.log(`market maker ended with inventory ${inventory} ${instrumentId}`);
    },
  };
  return strategy;
};
