import { PlaceOrderCommand, SetRiskLimitsCommand } from '@oms/api';
import { Decimal } from '@oms/domain';
import { MarketEvent, SimulatedVenue } from '@oms/venues';
import { fork } from 'child_process';
import { join } from 'path';
import { BENCH_LIMITS, startBenchOms } from './oms';
import { BenchFigure, figure, percentile } from './report';

/**
 * Market data fan-out: a venue's quotes change 1,000 times a second while orders are placed at a
 * steady rate and routed by the gateway; measured once with no subscriber, then with 200 graphql-ws
 * subscribers to `quoteUpdated` (at the server's default of 10 updates a second each) and 10 more
 * that stop reading their socket. The gateway's order latency should not move beyond noise, each
 * subscriber should get its 10 a second, and the slow ones should cost nothing that grows.
 */
const FEED_PER_SECOND = 1_000;
const ORDERS_PER_SECOND = 200;
const SECONDS = 5;
const WARMUP_SECONDS = 1;
const SUBSCRIBERS = 200;
const SLOW = 10;
const d = (v: string) => Decimal.parse(v);

export async function run(): Promise<BenchFigure[]> {
  let venue: SimulatedVenue | null = null;
  const oms = await startBenchOms(
    'md',
    ['api', 'projector', 'ledger', 'gateway'],
    [],
    {},
    {
      venues: async (clock) => {
        venue = new SimulatedVenue({
          capabilities: {
            venueId: 'BENCH',
            orderTypes: ['MARKET', 'LIMIT'],
            timesInForce: ['DAY', 'GTC', 'IOC', 'FOK'],
            instruments: { BTCUSDT: { symbol: 'BTCUSDT', tickSize: d('0.01'), lotSize: d('0.001') } },
            rateLimit: { perSecond: 100_000, burst: 100_000 },
            fees: { maker: d('0'), taker: d('0.0004') },
          },
          clock,
          seed: 1,
          feeds: {},
        });
        return [venue];
      },
    },
  );
  const { runtime, bus, app } = oms;
  await app.listen(0, '127.0.0.1');
  const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1').replace('http', 'ws')}/graphql`;
  const feed = startFeed(venue as unknown as SimulatedVenue);
  let subscribers: ReturnType<typeof fork> | null = null;
  try {
    await bus.execute(
      new SetRiskLimitsCommand('demo', BENCH_LIMITS, { actor: 'bench', correlationId: 'md' }),
    );
    await waitUntil(() => runtime.marketDataView.book('BENCH', 'BTCUSDT') !== null, 'the first book');
    const alone = await placeOrders(oms, 'alone');

    subscribers = fork(join(__dirname, 'market-data-subscribers.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      env: {
        ...process.env,
        BENCH_URL: url,
        BENCH_KEY: runtime.credentials?.demo?.trader ?? '',
        BENCH_SUBSCRIBERS: String(SUBSCRIBERS),
        BENCH_SLOW: String(SLOW),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child = subscribers;
    const counts = () =>
      new Promise<number[]>((resolve) => {
        child.once('message', (m) => resolve(m as number[]));
        child.send('counts');
      });
    await new Promise((resolve) => child.once('message', resolve)); // started
    await waitUntilAsync(async () => (await counts()).every((n) => n > 0), 'every subscriber’s first update');
    const heapBefore = heapAfterCollection();
    const before = await counts();
    const feedBefore = feed.published();
    const startedAt = performance.now();
    const watched = await placeOrders(oms, 'watched');
    const seconds = (performance.now() - startedAt) / 1000;
    const after = await counts();
    const feedRate = (feed.published() - feedBefore) / seconds;
    const heapAfter = heapAfterCollection();
    const perSecond = after.map((n, i) => (n - before[i]) / seconds).sort((a, b) => a - b);

    return [
      figure('quote updates fed (achieved)', feedRate, 'updates/s'),
      figure('order-to-venue in the gateway, no subscriber: p50', percentile(alone.send, 50), 'ms'),
      figure('order-to-venue in the gateway, no subscriber: p99', percentile(alone.send, 99), 'ms'),
      figure(
        `order-to-venue in the gateway, ${SUBSCRIBERS + SLOW} subscribers: p50`,
        percentile(watched.send, 50),
        'ms',
        {
          ratio: percentile(watched.send, 50) / percentile(alone.send, 50),
          comparedWith: 'no subscriber',
        },
      ),
      figure(
        `order-to-venue in the gateway, ${SUBSCRIBERS + SLOW} subscribers: p99`,
        percentile(watched.send, 99),
        'ms',
        {
          atMost: 1,
          ratio: percentile(watched.send, 99) / percentile(alone.send, 99),
          comparedWith: 'no subscriber',
        },
      ),
      figure('routing lag (accepted → routed), no subscriber: p99', percentile(alone.routing, 99), 'ms'),
      figure(
        `routing lag (accepted → routed), ${SUBSCRIBERS + SLOW} subscribers: p99`,
        percentile(watched.routing, 99),
        'ms',
        {
          ratio: percentile(watched.routing, 99) / percentile(alone.routing, 99),
          comparedWith: 'no subscriber',
        },
      ),
      figure('updates each subscriber received (default rate 10/s): min', perSecond[0], 'per s'),
      figure('updates each subscriber received: median', percentile(perSecond, 50), 'per s'),
      figure('updates each subscriber received: max', perSecond[perSecond.length - 1], 'per s', {
        atMost: 10.5,
      }),
      figure(
        `heap kept after ${SECONDS + WARMUP_SECONDS} s with ${SLOW} subscribers not reading (after GC)`,
        (heapAfter - heapBefore) / 1e6,
        'MB',
      ),
    ];
  } finally {
    feed.stop();
    if (subscribers) {
      const child = subscribers;
      const stopped = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await stopped;
    }
    await oms.stop();
  }
}

/** Quotes at FEED_PER_SECOND (in bursts every 10 ms), the mid walking a tick at a time. */
function startFeed(venue: SimulatedVenue): { published(): number; stop(): void } {
  let published = 0;
  let mid = 968_000;
  const started = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * FEED_PER_SECOND);
    for (; published < due; published++) {
      mid += published % 7 < 3 ? 1 : -1;
      const micros = Date.now() * 1000;
      const event: MarketEvent = {
        kind: 'quote',
        exchange: 'bench',
        symbol: 'BTCUSDT',
        timestamp: micros,
        localTimestamp: micros,
        bid: { price: Decimal.parse(`${mid - 50}e-2`), quantity: d('1.5') },
        ask: { price: Decimal.parse(`${mid + 50}e-2`), quantity: d('2') },
      };
      venue.publish('BTCUSDT', event);
    }
  }, 10);
  return { published: () => published, stop: () => clearInterval(timer) };
}

/** Orders at ORDERS_PER_SECOND (resting: 9,300 is below the market), the warm-up not measured. */
async function placeOrders(
  oms: Awaited<ReturnType<typeof startBenchOms>>,
  label: string,
): Promise<{ send: Float64Array; routing: Float64Array }> {
  const { bus, runtime } = oms;
  const ctx = { actor: 'bench', correlationId: `md-${label}` };
  const started = performance.now();
  const inFlight: Promise<unknown>[] = [];
  const total = ORDERS_PER_SECOND * (WARMUP_SECONDS + SECONDS);
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / ORDERS_PER_SECOND - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      bus.execute(
        new PlaceOrderCommand(
          {
            accountId: 'demo',
            clientOrderId: `${label}-${i}`,
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
      ),
    );
  }
  await Promise.all(inFlight);
  const measured = ORDERS_PER_SECOND * SECONDS;
  await waitUntilAsync(
    async () =>
      Number(
        (
          (await runtime.dataSource.query(
            `SELECT count(*) AS n FROM es_events WHERE type = 'VenueOrderSubmitted' AND data->>'orderId' IN
               (SELECT data->>'orderId' FROM es_events WHERE type = 'OrderAccepted' AND data->>'clientOrderId' LIKE $1)`,
            [`${label}-%`],
          )) as { n: string }[]
        )[0].n,
      ) >= total,
    'every order routed',
  );
  const routing = (await runtime.dataSource.query(
    `SELECT extract(epoch FROM routed.recorded_at - accepted.recorded_at) * 1000 AS ms
       FROM es_events accepted
       JOIN es_events routed ON routed.stream_name = accepted.stream_name AND routed.type = 'OrderRouted'
      WHERE accepted.type = 'OrderAccepted' AND accepted.data->>'clientOrderId' LIKE $1
      ORDER BY accepted.position DESC LIMIT $2`,
    [`${label}-%`, measured],
  )) as { ms: string }[];
  return {
    send: runtime.gateway!.sendLatencySamples(measured),
    routing: Float64Array.from(routing.map((r) => Number(r.ms))).sort(),
  };
}

async function waitUntil(ok: () => boolean, what: string): Promise<void> {
  await waitUntilAsync(async () => ok(), what);
}

async function waitUntilAsync(ok: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The heap that stays after a full collection (run.ts starts suites with --expose-gc). */
function heapAfterCollection(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}
