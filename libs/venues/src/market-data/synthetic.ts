import { Decimal } from '@oms/domain';
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import { BookUpdate, MarketEvent, PriceLevel } from './market-data';

export interface SyntheticFeedOptions {
  seed: number;
  symbol?: string;
  /** Exchange time of the first event, µs. */
  startMicros: number;
  /** Where the mid starts and the band it stays in (prices in ticks of 0.01). */
  startPrice?: string;
  low?: string;
  high?: string;
  /** Levels per side in each book snapshot. */
  depth?: number;
}

const TICK_DECIMALS = 2;
const LOT_DECIMALS = 3;

/**
 * A deterministic BTCUSDT-like feed for the demo and tests: every 50–250 ms a 5-level book snapshot
 * around a mid that random-walks inside 9,600–9,750 (spread 0.01–0.50, sizes 0.001–2 BTC), and about
 * every other step a trade that takes the touch or sweeps a little through it. The same seed gives
 * the same events; it never ends.
 */
export function* syntheticFeed(options: SyntheticFeedOptions): Generator<MarketEvent> {
  const rng = xoroshiro128plus(options.seed);
  const int = (min: number, max: number) => unsafeUniformIntDistribution(min, max, rng);
  const ticks = (price: string) =>
    Number(Decimal.parse(price).round(TICK_DECIMALS).toFixed(TICK_DECIMALS).replace('.', ''));
  const price = (t: number) => Decimal.parse(`${t}e-${TICK_DECIMALS}`);
  const lots = (n: number) => Decimal.parse(`${n}e-${LOT_DECIMALS}`);
  const symbol = options.symbol ?? 'BTCUSDT';
  const depth = options.depth ?? 5;
  const low = ticks(options.low ?? '9600');
  const high = ticks(options.high ?? '9750');
  let mid = ticks(options.startPrice ?? '9680');
  let now = options.startMicros;
  let tradeId = 1;

  for (;;) {
    now += int(50, 250) * 1_000;
    mid += int(-300, 300);
    if (mid < low) mid = 2 * low - mid;
    if (mid > high) mid = 2 * high - mid;
    const spread = int(1, 50);
    const bestBid = mid - Math.floor(spread / 2);
    const bestAsk = bestBid + spread;
    const side = (best: number, step: 1 | -1): PriceLevel[] => {
      const levels: PriceLevel[] = [];
      let at = best;
      for (let i = 0; i < depth; i++) {
        levels.push({ price: price(at), quantity: lots(int(1, 2_000)) });
        at += step * int(1, 20);
      }
      return levels;
    };
    const book: BookUpdate = {
      kind: 'book',
      exchange: 'synthetic',
      symbol,
      timestamp: now,
      localTimestamp: now,
      snapshot: true,
      bids: side(bestBid, -1),
      asks: side(bestAsk, 1),
    };
    yield book;
    if (int(0, 1) === 1) {
      const buy = int(0, 1) === 1;
      const through = int(0, 3) === 0 ? int(1, 30) : 0;
      const at = buy ? bestAsk + through : bestBid - through;
      now += int(1, 20) * 1_000;
      yield {
        kind: 'trade',
        exchange: 'synthetic',
        symbol,
        timestamp: now,
        localTimestamp: now,
        tradeId: String(tradeId++),
        aggressor: buy ? 'BUY' : 'SELL',
        price: price(at),
        quantity: lots(int(1, 500)),
      };
    }
  }
}

/**
 * A recorded feed played again and again: each pass shifted in time past the previous one, so time
 * keeps moving forward (the demo's OMS_MARKET_DATA file, looped forever).
 */
export function* loopFeed(events: readonly MarketEvent[]): Generator<MarketEvent> {
  if (events.length === 0) return;
  const first = events[0].timestamp;
  const span = events[events.length - 1].timestamp - first + 100_000;
  for (let pass = 0; ; pass++) {
    const shift = pass * span;
    for (const event of events) {
      yield { ...event, timestamp: event.timestamp + shift, localTimestamp: event.localTimestamp + shift };
    }
  }
}
