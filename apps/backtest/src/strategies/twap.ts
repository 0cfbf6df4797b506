import { Decimal, Side } from '@oms/domain';
import { OrderUpdate, Strategy, StrategyContext, StrategyFactory } from '../strategy';
import { Params } from './params';

const ENDED = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);

/**
 * TWAP: executes a parent quantity evenly over a window. Every `durationMs / slices` a child goes out
 * through the smart order router as a limit IOC at the far touch plus `limitOffsetTicks` (it takes
 * what is there at that price and no worse), sized to bring the executed quantity up to the schedule
 * (k/slices of the parent after the k-th slice). Catch-up: a child that missed (no fill, a rejection,
 * no market) is made up by later ones, each at most `maxCatchUpSlices` slices' worth. After the last
 * slice, what is left is swept every quarter interval at `finalOffsetTicks` until the window ends;
 * nothing is sent after it. Never more than the parent in total: children are sized from what is
 * filled plus what is still working.
 *
 * Parameters: instrumentId (the first instrument), side (BUY), quantity (1,000 lots), startAfterMs
 * (0), durationMs (120,000), slices (12), limitOffsetTicks (1), maxCatchUpSlices (3),
 * finalOffsetTicks (10), venueId (none: the router chooses).
 */
export const twap: StrategyFactory = (setup) => {
  const p = new Params('twap', setup.params);
  const instrument = p.instrument(setup);
  const { instrumentId, tickSize, lotSize } = instrument;
  const side = p.oneOf<Side>('side', 'BUY', ['BUY', 'SELL']);
  const quantity = p.lots('quantity', lotSize.times(Decimal.of(1000)), lotSize);
  const startAfterMs = p.int('startAfterMs', 0, 0, 365 * 86_400_000);
  const durationMs = p.int('durationMs', 120_000, 1_000, 365 * 86_400_000);
  const slices = p.int('slices', 12, 1, 10_000);
  const limitOffsetTicks = p.int('limitOffsetTicks', 1, 0, 10_000);
  const maxCatchUpSlices = p.int('maxCatchUpSlices', 3, 1, 10_000);
  const finalOffsetTicks = p.int('finalOffsetTicks', 10, 0, 100_000);
  const venueId = p.text('venueId');
  p.done();

  const interval = durationMs / slices;
  const sliceQty = Decimal.max(lotSize, quantity.dividedBy(Decimal.of(slices), 12).floorToMultiple(lotSize));
  const filledBy = new Map<string, Decimal>();
  const working = new Map<string, Decimal>();
  const ended = new Set<string>();
  let sliceIndex = 0;
  let endsAt = 0;

  const filled = () => Decimal.sum(filledBy.values());
  const open = () => Decimal.sum(working.values());

  /** Quantity due by the k-th slice, in whole lots (the last is the parent). */
  const dueBy = (k: number) =>
    k >= slices
      ? quantity
      : quantity.times(Decimal.of(k)).dividedBy(Decimal.of(slices), 12).floorToMultiple(lotSize);

  async function send(ctx: StrategyContext, wanted: Decimal, offsetTicks: number): Promise<void> {
    const { bid, ask } = ctx.bestBidAsk(instrumentId);
    const touch = side === 'BUY' ? ask : bid;
    if (!touch || !wanted.isPositive()) return;
    const offset = tickSize.times(Decimal.of(offsetTicks));
    const limitPrice = side === 'BUY' ? touch.plus(offset) : touch.minus(offset);
    if (!limitPrice.isPositive()) return;
    const placed = await ctx.place({
      instrumentId,
      side,
      type: 'LIMIT',
      timeInForce: 'IOC',
      quantity: wanted,
      limitPrice,
      venueId,
    });
    // Updates may have come first (through the log); an ended child is not working.
    if (placed.accepted && !ended.has(placed.orderId) && !working.has(placed.orderId))
      working.set(placed.orderId, wanted);
  }

  const strategy: Strategy = {
    onStart(ctx) {
      endsAt = ctx.now() + startAfterMs + durationMs;
      ctx.log(
        `TWAP ${side} ${quantity} ${instrumentId} over ${durationMs} ms in ${slices} slices of ${sliceQty}`,
      );
      ctx.setTimer('slice', startAfterMs);
    },

    async onTimer(ctx, name) {
      if (ctx.now() >= endsAt) return;
      if (name === 'slice') {
        sliceIndex++;
        if (sliceIndex < slices) ctx.setTimer('slice', interval);
        else ctx.setTimer('sweep', interval / 4);
        const behind = dueBy(sliceIndex).minus(filled()).minus(open());
        const cap = sliceQty.times(Decimal.of(maxCatchUpSlices));
        await send(ctx, Decimal.min(behind, cap), limitOffsetTicks);
      } else if (name === 'sweep') {
        ctx.setTimer('sweep', interval / 4);
        if (open().isPositive()) return;
        await send(ctx, quantity.minus(filled()), finalOffsetTicks);
      }
    },

    onOrderUpdate(ctx, update: OrderUpdate) {
      filledBy.set(update.orderId, update.filledQuantity);
      if (ENDED.has(update.status)) {
        ended.add(update.orderId);
        working.delete(update.orderId);
      } else {
        working.set(update.orderId, update.leavesQuantity);
      }
      if (filled().gte(quantity)) {
        ctx.clearTimer('slice');
        ctx.clearTimer('sweep');
      }
    },

    onStop(ctx) {
      const done = filled();
      ctx.log(`TWAP executed ${done} of ${quantity} ${instrumentId}`);
    },
  };
  return strategy;
};
