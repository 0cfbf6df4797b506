import { Decimal } from '@oms/domain';
import { createApiApp } from '../apps/api/src/app';
import { BENCH_LIMITS, startBenchOms } from './oms';
import { BenchFigure, figure, percentile } from './report';

/**
 * The command path end to end: placeOrder over HTTP (GraphQL, risk, two appends) beside a no-op
 * mutation on the same server, latency at a steady 1,000 orders/s, and the command side in process
 * across 100 accounts. Limits are raised so every order is accepted: rejected orders would be cheaper.
 */
const CLIENTS = 32;
/** Strategies calling the command side at once in process: enough for every account to have some queued. */
const IN_PROCESS_CALLERS = 256;
/** An open-loop rate this machine sustains, for latency without queueing beside the 1,000/s target. */
const LIGHT_RATE = 100;
const SECONDS = 5;

const PLACE = `mutation P($input: PlaceOrderInput!) { placeOrder(input: $input) { accepted order { id status } } }`;

async function closedLoop(
  op: (client: number, i: number) => Promise<void>,
  clients = CLIENTS,
): Promise<{ perSecond: number; latencies: Float64Array }> {
  const until = performance.now() + SECONDS * 1000;
  const samples: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
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
  const { server, runtime } = await startBenchOms('api');
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
    // Open loop: orders sent on a fixed schedule whatever the answers, so latency includes any queueing.
    const openLoop = async (rate: number, tag: string) => {
      const latencies: number[] = [];
      const inFlight = new Set<Promise<void>>();
      const MAX_IN_FLIGHT = 256; // beyond this the client waits: latency then includes queueing, honestly
      const started = performance.now();
      for (let i = 0; i < rate * SECONDS; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
        const request: Promise<void> = post(PLACE, { input: order(`${tag}-${i}`) }).then(() => {
          latencies.push(performance.now() - due);
          inFlight.delete(request);
        });
        inFlight.add(request);
      }
      await Promise.all(inFlight);
      return {
        achieved: latencies.length / ((performance.now() - started) / 1000),
        latencies: Float64Array.from(latencies).sort(),
      };
    };
    const light = await openLoop(LIGHT_RATE, 'light'); // first: nothing queued anywhere yet
    const noop = await closedLoop(() => post('mutation { ping }'));
    const place = await closedLoop((c, i) => post(PLACE, { input: order(`http-${c}-${i}`) }));

    const rate = 1_000;
    const steady = await openLoop(rate, 'steady');

    // The command side in process (the projector and the ledger still run), spread over 100 accounts.
    for (let a = 0; a < 100; a++) await runtime.commands.setRiskLimits(`acct${a}`, BENCH_LIMITS, ctx);
    const inProcess = await closedLoop(
      (c, i) =>
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
      IN_PROCESS_CALLERS,
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
      figure(
        `placeOrder p50 at ${LIGHT_RATE}/s (open loop, below capacity)`,
        percentile(light.latencies, 50),
        'ms',
      ),
      figure(`placeOrder p99 at ${LIGHT_RATE}/s`, percentile(light.latencies, 99), 'ms'),
      figure(`placeOrder achieved rate (open loop at ${rate}/s)`, steady.achieved, 'orders/s'),
      figure(`placeOrder p50 at ${rate}/s`, percentile(steady.latencies, 50), 'ms'),
      figure(`placeOrder p99 at ${rate}/s`, percentile(steady.latencies, 99), 'ms', { atMost: 20 }),
      figure(
        `command side in process, 100 accounts (${IN_PROCESS_CALLERS} callers)`,
        inProcess.perSecond,
        'orders/s',
        {
          atLeast: 10_000,
        },
      ),
    ];
  } finally {
    await app.close();
    await runtime.stop();
    await server.stop();
  }
}
