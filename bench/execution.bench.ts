import { PlaceOrderCommand, SetRiskLimitsCommand } from '@oms/api';
import { ActiveInstanceLock, PlaceOrderOutcome, PostgresCheckpoints } from '@oms/application';
import { Decimal } from '@oms/domain';
import { ExecutionGateway, PostgresWorkingSlices } from '@oms/gateway';
import { silentLogger, systemClock } from '@oms/platform';
import { OrderUpdate } from '@oms/read-models';
import { MarketDataHandler, MarketEvent, SimulatedVenue } from '@oms/venues';
import { BENCH_LIMITS, startBenchOms } from './oms';
import { BenchFigure, figure, percentile } from './report';

/**
 * The execution path: orders placed in process at a steady 1,000/s for 5 s, routed by the gateway to a
 * simulated venue with no latency and a limit high enough never to wait. Measured: order-to-venue
 * latency inside the gateway after the durable write-ahead append (rate limiter, breaker, hand-over to
 * the venue adapter), projection lag (placeOrder returned → the projector's first commit notification
 * for the order), and routing lag (the order accepted → the gateway's routing decision recorded).
 * The command side, ledger and gateway share a process; the projector runs in its own (as in docker
 * compose), then, for comparison, in the same process (as `npm start` runs it).
 */
const RATE = 1_000;
const SECONDS = 5;
const WARMUP_SECONDS = 1;
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
  // As docker compose runs it (the projector a process of its own; the target applies here), then as
  // `npm start` does, everything in one process.
  const apart = await measure(await startBenchOms('exec', ['api', 'ledger'], ['projector']));
  const together = await measure(await startBenchOms('exec'));
  return [
    figure(`orders placed (open loop at ${RATE}/s, achieved)`, apart.achieved, 'orders/s'),
    figure('order-to-venue in the gateway after the append: p50', percentile(apart.send, 50), 'ms'),
    figure('order-to-venue in the gateway after the append: p99', percentile(apart.send, 99), 'ms', {
      atMost: 1,
    }),
    figure('routing lag (accepted → routed by the gateway): p50', percentile(apart.routing, 50), 'ms'),
    figure('routing lag (accepted → routed by the gateway): p99', percentile(apart.routing, 99), 'ms'),
    figure('projection lag (placed → projected): p50', percentile(apart.lag, 50), 'ms'),
    figure(`projection lag at ${RATE}/s: p99`, percentile(apart.lag, 99), 'ms', { atMost: 250 }),
    figure('projection lag, projector in the API process: p50', percentile(together.lag, 50), 'ms'),
    figure('projection lag, projector in the API process: p99', percentile(together.lag, 99), 'ms'),
    figure('order-to-venue, projector in the API process: p99', percentile(together.send, 99), 'ms'),
  ];
}

async function measure(
  oms: Awaited<ReturnType<typeof startBenchOms>>,
): Promise<{ achieved: number; send: Float64Array; lag: Float64Array; routing: Float64Array }> {
  const { runtime, bus } = oms;
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
  const gateway = new ExecutionGateway({
    store: runtime.store,
    checkpoints: new PostgresCheckpoints(runtime.dataSource),
    lock: new ActiveInstanceLock(runtime.dataSource, 'oms-execution-gateway'),
    workingSlices: new PostgresWorkingSlices(runtime.dataSource),
    venues: [venue],
    marketData: new MarketDataHandler(systemClock),
    clock: systemClock,
    logger: silentLogger,
  });
  const ctx = { actor: 'bench', correlationId: 'bench' };
  try {
    await bus.execute(new SetRiskLimitsCommand('demo', BENCH_LIMITS, ctx));
    await gateway.start();
    // Lag: from placeOrder returning to the projector's first notice for the order. A notice can
    // beat the caller's callback; the order was then in the read model before the caller knew (0),
    // and must not be timed at a later update instead.
    const placedAt = new Map<string, number>();
    const noticedEarly = new Set<string>();
    const lags: number[] = [];
    const onUpdate = (update: OrderUpdate) => {
      const at = placedAt.get(update.orderId);
      if (at === undefined) {
        noticedEarly.add(update.orderId);
        return;
      }
      lags.push(performance.now() - at);
      placedAt.delete(update.orderId);
    };
    runtime.orderUpdates.on('order', onUpdate);

    const started = performance.now();
    const inFlight = new Set<Promise<void>>();
    let placed = 0;
    // The first second warms the path up (code not yet optimised); it is placed but not measured.
    for (let i = 0; i < RATE * (WARMUP_SECONDS + SECONDS); i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const p: Promise<void> = bus
        .execute<PlaceOrderCommand, PlaceOrderOutcome>(
          new PlaceOrderCommand(
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
          ),
        )
        .then((outcome) => {
          placed++;
          const orderId = outcome.order.terms.orderId;
          if (i >= RATE * WARMUP_SECONDS && !noticedEarly.has(orderId))
            placedAt.set(orderId, performance.now());
          else if (i >= RATE * WARMUP_SECONDS) lags.push(0);
          noticedEarly.delete(orderId);
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
    if (placedAt.size > 0) throw new Error(`${placedAt.size} orders were never projected`);
    // Accepted → routed, per order, from the times the log recorded (the gateway keeping up).
    const routing = (await runtime.dataSource.query(
      `SELECT extract(epoch FROM routed.recorded_at - accepted.recorded_at) * 1000 AS ms
         FROM es_events accepted
         JOIN es_events routed ON routed.stream_name = accepted.stream_name AND routed.type = 'OrderRouted'
        WHERE accepted.type = 'OrderAccepted'`,
    )) as { ms: string }[];
    return {
      achieved,
      send: gateway.sendLatencySamples(RATE * SECONDS),
      lag: Float64Array.from(lags).sort(),
      routing: Float64Array.from(routing.map((r) => Number(r.ms))).sort(),
    };
  } finally {
    await gateway.stop();
    venue.stop();
    await oms.stop();
  }
}
