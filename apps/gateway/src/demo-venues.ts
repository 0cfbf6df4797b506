import { Decimal } from '@oms/domain';
import { Clock } from '@oms/platform';
import {
  MarketEvent,
  SimulatedVenue,
  VenueCapabilities,
  loopFeed,
  readTardisFile,
  syntheticFeed,
} from '@oms/venues';

const d = (v: string) => Decimal.parse(v);

const capabilities = (
  venueId: string,
  fees: { maker: string; taker: string },
  perSecond: number,
): VenueCapabilities => ({
  venueId,
  orderTypes: ['MARKET', 'LIMIT'],
  timesInForce: ['DAY', 'GTC', 'GTD', 'IOC', 'FOK'],
  instruments: { BTCUSDT: { symbol: 'BTCUSDT', tickSize: d('0.01'), lotSize: d('0.001') } },
  rateLimit: { perSecond, burst: perSecond },
  fees: { maker: d(fees.maker), taker: d(fees.taker) },
});

/**
 * The demo's two venues on one BTCUSDT market: SIM-A with the full book, fast, 5 bp taker; SIM-B a
 * quarter of the book, slower, 3 bp taker. The feed is the tardis file named by OMS_MARKET_DATA
 * (looped), or the project's own synthetic feed.
 */
export async function demoVenues(clock: Clock, marketDataFile: string | null): Promise<SimulatedVenue[]> {
  let feed: () => Iterable<MarketEvent>;
  if (marketDataFile) {
    const events: MarketEvent[] = [];
    for await (const event of readTardisFile(marketDataFile)) events.push(event);
    feed = () => loopFeed(events);
  } else {
    const startMicros = clock.now() * 1000;
    feed = () => syntheticFeed({ seed: 9680, startMicros });
  }
  return [
    new SimulatedVenue({
      capabilities: capabilities('SIM-A', { maker: '0.0002', taker: '0.0005' }, 50),
      clock,
      seed: 1,
      latency: { fixedMs: 2, jitterMs: 3 },
      feeds: { BTCUSDT: feed() },
    }),
    new SimulatedVenue({
      capabilities: capabilities('SIM-B', { maker: '0', taker: '0.0003' }, 20),
      clock,
      seed: 2,
      latency: { fixedMs: 8, jitterMs: 10 },
      feeds: { BTCUSDT: feed() },
      liquidityScale: d('0.25'),
    }),
  ];
}
