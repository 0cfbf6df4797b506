import { Decimal, RiskLimitsData } from '@oms/domain';
import { startEmbeddedPostgres } from '@oms/event-store';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createApiApp } from '../apps/api/src/app';
import { OmsRuntime } from '../apps/api/src/runtime/oms-runtime';
import { DEMO_LIMITS } from '../apps/api/src/runtime/demo-seed';
import { BenchFigure, figure, percentile } from './report';

/**
 * The command path end to end: placeOrder over HTTP (GraphQL, risk, two appends) beside a no-op
 * mutation on the same server, latency at a steady 1,000 orders/s, and the command side in process
 * across 100 accounts. Limits are raised so every order is accepted: rejected orders would be cheaper.
 */
const CLIENTS = 32;
const SECONDS = 5;

const BENCH_LIMITS: RiskLimitsData = {
  ...DEMO_LIMITS,
  maxPosition: '1000000000',
  maxOpenNotional: '1000000000000',
  maxOrdersPerWindow: 1_000_000,
};

const PLACE = `mutation P($input: PlaceOrderInput!) { placeOrder(input: $input) { accepted order { id status } } }`;

async function closedLoop(
  op: (client: number, i: number) => Promise<void>,
): Promise<{ perSecond: number; latencies: Float64Array }> {
  const until = performance.now() + SECONDS * 1000;
  const samples: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = 0; performance.now() < until; i++) {
        const t0 = performance.now();
        await op(client, i);
        samples.push(performance.now() - t0);
      }
    }),
  );
  const latencies = Float64Array.from(samples).sort();
  return { perSecond: samples.length / ((performance.now() - started) / 1000), latencies };
}

export async function run(): Promise<BenchFigure[]> {
  const server = await startEmbeddedPostgres({
    dataDir: mkdtempSync(join(tmpdir(), 'oms-bench-api-')),
    persistent: false,
  });
  const runtime = await OmsRuntime.start({
    roles: new Set(['api', 'projector', 'ledger'] as const),
    port: 0,
    dataDir: '',
    databaseUrl: server.connectionString,
    eventStore: 'postgres',
    seedDemo: true,
  });
  const ctx = { actor: 'bench', correlationId: 'bench' };
  await runtime.commands.setRiskLimits('demo', BENCH_LIMITS, ctx);
  const app = await createApiApp(runtime, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/graphql`;
  const post = async (query: string, variables?: object) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
  };
  const order = (id: string) => ({
    accountId: 'demo',
    clientOrderId: id,
    instrumentId: 'BTCUSDT',
    side: 'BUY',
    type: 'LIMIT',
    quantity: '0.001',
    limitPrice: '9650',
  });

  try {
    const noop = await closedLoop(() => post('mutation { ping }'));
    const place = await closedLoop((c, i) => post(PLACE, { input: order(`http-${c}-${i}`) }));

    // Open loop at 1,000 orders/s: latency when the system is not saturated.
    const rate = 1_000;
    const steady: number[] = [];
    const inFlight = new Set<Promise<void>>();
    const MAX_IN_FLIGHT = 256; // beyond this the client waits: latency then includes queueing, honestly
    const started = performance.now();
    for (let i = 0; i < rate * SECONDS; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      const t0 = due;
      const request: Promise<void> = post(PLACE, { input: order(`steady-${i}`) }).then(() => {
        steady.push(performance.now() - t0);
        inFlight.delete(request);
      });
      inFlight.add(request);
    }
    await Promise.all(inFlight);
    const achieved = steady.length / ((performance.now() - started) / 1000);
    const steadyLatencies = Float64Array.from(steady).sort();

    // The command side alone, in process, spread over 100 accounts.
    for (let a = 0; a < 100; a++) await runtime.commands.setRiskLimits(`acct${a}`, BENCH_LIMITS, ctx);
    const inProcess = await closedLoop((c, i) =>
      runtime.commands
        .placeOrder(
          {
            ...order(`inproc-${c}-${i}`),
            accountId: `acct${(c * 7 + i) % 100}`,
            side: 'BUY',
            type: 'LIMIT',
            quantity: Decimal.parse('0.001'),
            limitPrice: Decimal.parse('9650'),
            timeInForce: 'DAY',
            venueId: null,
          },
          ctx,
        )
        .then(() => undefined),
    );

    return [
      figure('GraphQL no-op mutation (32 clients)', noop.perSecond, 'requests/s'),
      figure('placeOrder over HTTP (32 clients)', place.perSecond, 'orders/s', {
        ratio: place.perSecond / noop.perSecond,
        comparedWith: 'no-op mutation (target >= 0.5)',
      }),
      figure('placeOrder vs no-op throughput', place.perSecond / noop.perSecond, 'ratio', { atLeast: 0.5 }),
      figure('placeOrder p50 (32 clients, saturated)', percentile(place.latencies, 50), 'ms'),
      figure('placeOrder p99 (32 clients, saturated)', percentile(place.latencies, 99), 'ms'),
      figure(`placeOrder achieved rate (open loop at ${rate}/s)`, achieved, 'orders/s'),
      figure(`placeOrder p50 at ${rate}/s`, percentile(steadyLatencies, 50), 'ms'),
      figure(`placeOrder p99 at ${rate}/s`, percentile(steadyLatencies, 99), 'ms', { atMost: 20 }),
      figure('command side in process, 100 accounts (32 callers)', inProcess.perSecond, 'orders/s', {
        atLeast: 10_000,
      }),
    ];
  } finally {
    await app.close();
    await runtime.stop();
    await server.stop();
  }
}
