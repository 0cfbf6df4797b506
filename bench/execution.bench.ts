import { Decimal } from '@oms/domain';
import { MarketEvent, SimulatedVenue, systemClock } from '@oms/venues';
import { OrderUpdate } from '../apps/api/src/runtime/oms-runtime';
import { ExecutionGateway } from '../apps/gateway/src/execution-gateway';
import { MarketDataHandler } from '../apps/gateway/src/market-data-handler';
import { BENCH_LIMITS, startBenchOms } from './oms';
import { BenchFigure, figure, percentile } from './report';

/**
 * The execution path in one process: orders placed in process at a steady 1,000/s for 5 s, routed by
 * the gateway to a simulated venue with no latency and a limit high enough never to wait. Measured:
 * order-to-venue latency inside the gateway after the durable write-ahead append (rate limiter,
 * breaker, venue call), and projection lag (placeOrder returned → the projector's commit notification).
 */
const RATE = 1_000;
const SECONDS = 5;
const d = (v: string) => Decimal.parse(v);

const BOOK: MarketEvent = {
  kind: 'book',
  exchange: 'bench',
  symbol: 'BTCUSDT',
  timestamp: 1,
  localTimestamp: 1,
  snapshot: true,
  bids: [{ price: d('9679'), quantity: d('1000') }],
  asks: [{ price: d('9681'), quantity: d('1000') }],
};

export async function run(): Promise<BenchFigure[]> {
  const { server, runtime } = await startBenchOms('exec');
  const venue = new SimulatedVenue({
    capabilities: {
      venueId: 'BENCH',
      orderTypes: ['MARKET', 'LIMIT'],
      timesInForce: ['DAY', 'GTC', 'IOC', 'FOK'],
      instruments: { BTCUSDT: { symbol: 'BTCUSDT', tickSize: d('0.01'), lotSize: d('0.001') } },
      rateLimit: { perSecond: 100_000, burst: 100_000 },
      fees: { maker: d('0'), taker: d('0.0004') },
    },
    clock: systemClock,
    seed: 1,
    feeds: { BTCUSDT: [BOOK] },
  });
  const gateway = new ExecutionGateway(
    runtime.store,
    runtime.dataSource,
    [venue],
    new MarketDataHandler(() => systemClock.now()),
    systemClock,
  );
  const ctx = { actor: 'bench', correlationId: 'bench' };
  try {
    await runtime.commands.setRiskLimits('demo', BENCH_LIMITS, ctx);
    await gateway.start();
    const placedAt = new Map<string, number>();
    const lags: number[] = [];
    const onUpdate = (update: OrderUpdate) => {
      const at = placedAt.get(update.orderId);
      if (at === undefined) return;
      lags.push(performance.now() - at);
      placedAt.delete(update.orderId);
    };
    runtime.orderUpdates.on('order', onUpdate);

    const started = performance.now();
    const inFlight = new Set<Promise<void>>();
    let placed = 0;
    for (let i = 0; i < RATE * SECONDS; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const p: Promise<void> = runtime.commands
        .placeOrder(
          {
            accountId: 'demo',
            clientOrderId: `exec-${i}`,
            instrumentId: 'BTCUSDT',
            side: 'BUY',
            type: 'LIMIT',
            quantity: d('0.001'),
            limitPrice: d('9300'),
            timeInForce: 'GTC',
            venueId: null,
          },
          ctx,
        )
        .then((outcome) => {
          placed++;
          placedAt.set(outcome.order.terms.orderId, performance.now());
          inFlight.delete(p);
        });
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    const achieved = placed / ((performance.now() - started) / 1000);
    const deadline = Date.now() + 60_000;
    while (placedAt.size > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    runtime.orderUpdates.off('order', onUpdate);
    const lag = Float64Array.from(lags).sort();
    const send = gateway.sendLatencySamples();

    return [
      figure(`orders placed (open loop at ${RATE}/s, achieved)`, achieved, 'orders/s'),
      figure('order-to-venue in the gateway after the append: p50', percentile(send, 50), 'ms'),
      figure('order-to-venue in the gateway after the append: p99', percentile(send, 99), 'ms', {
        atMost: 1,
      }),
      figure('projection lag (placed → projected): p50', percentile(lag, 50), 'ms'),
      figure(`projection lag at ${RATE}/s: p99`, percentile(lag, 99), 'ms', { atMost: 250 }),
    ];
  } finally {
    await gateway.stop();
    venue.stop();
    await runtime.stop();
    await server.stop();
  }
}
