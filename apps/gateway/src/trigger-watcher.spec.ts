import { Decimal, MarketObservation } from '@oms/domain';
import { VirtualClock, silentLogger } from '@oms/platform';
import { MarketDataHandler, MarketEvent } from '@oms/venues';
import { GatewayOrders } from './gateway-orders';
import { TriggerWatcher } from './trigger-watcher';

const d = (v: string) => Decimal.parse(v);
const book = (bid: string, ask: string, ts: number): MarketEvent => ({
  kind: 'book',
  exchange: 'x',
  symbol: 'BTCUSDT',
  timestamp: ts,
  localTimestamp: ts,
  snapshot: true,
  bids: [{ price: d(bid), quantity: d('1') }],
  asks: [{ price: d(ask), quantity: d('1') }],
});

describe('the trigger watcher’s view of the market', () => {
  it('a venue whose line is down is no market: its last book does not hold back a BID_ASK stop', () => {
    const clock = new VirtualClock(0);
    const md = new MarketDataHandler(clock);
    md.onMarketData('SIM-A', 'BTCUSDT', book('100', '101', 1_000_000)); // then SIM-A's line went down
    md.onMarketData('SIM-B', 'BTCUSDT', book('89', '90', 60_000_000)); // the live venue: the market fell
    const watcher = new TriggerWatcher(
      md,
      {} as GatewayOrders,
      { trigger: async () => undefined, tickSize: () => d('0.01') },
      clock,
      silentLogger,
      () => undefined,
      (venueId) => venueId === 'SIM-B',
    );
    const market = (watcher as unknown as { observe(id: string): MarketObservation }).observe('BTCUSDT');
    watcher.stop();
    expect([market.bid, market.ask]).toEqual(['89', '90']);
  });
});
