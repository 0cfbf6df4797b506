import { PlaceOrderCommand, SetRiskLimitsCommand } from '@oms/api';
import { accountStream, orderIdFor } from '@oms/application';
import { Decimal } from '@oms/domain';
import { ANY, EventStore, NO_STREAM } from '@oms/event-store';
import { eventStoreAppendSeconds, placeOrderSeconds, preTradeDecisionSeconds } from '@oms/platform';
import { randomUUID } from 'crypto';
import { Histogram } from 'prom-client';
import { ownCpuMs, postgresCpuMs, processCpuMs } from './cpu';
import { LoadResult, runLoad } from './load-generator';
import { BENCH_LIMITS, PLACE_ORDER_BODY, startBenchOms } from './oms';
import { BenchFigure, figure, percentile } from './report';

/**
 * The command path end to end, laid out as docker compose runs it: this process is the API (GraphQL,
 * risk, two appends per order), the projector and the ledger run in a process of their own, and the
 * HTTP clients in a third (a load generator that does not share the server's event loop). Measured:
 * placeOrder beside a no-op mutation on the same server, latency at a steady 100/s beside the no-op's,
 * and at half the no-op's saturation rate (open loop: waiting for a free connection counts), where the
 * time of an order goes at 100/s (risk decision, append to durable commit, the rest of the command, the
 * HTTP and GraphQL stack), CPU per order of each process at saturation, and the command side in process
 * across 100 accounts beside the event store's own rate on the same atomic appends (an account event
 * and a new order stream each). Limits are raised so every order is accepted: rejected orders would be
 * cheaper.
 */
const CLIENTS = 32;
/** Strategies calling the command side at once in process: enough for every account to have some queued. */
const IN_PROCESS_CALLERS = 256;
/** A steady rate well below saturation: latency without queueing. */
const LIGHT_RATE = 100;
const SECONDS = 5;

export async function run(): Promise<BenchFigure[]> {
  const oms = await startBenchOms('api', ['api'], ['projector', 'ledger']);
  const { app, bus } = oms;
  const ctx = { actor: 'bench', correlationId: 'bench' };
  await bus.execute(new SetRiskLimitsCommand('demo', BENCH_LIMITS, ctx));
  await app.listen(0, '127.0.0.1');
  const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/graphql`;
  // The demo trader, as a strategy would be: authenticated on every request like any client.
  const authorization = `Bearer ${oms.runtime.credentials?.demo?.trader}`;
  const noopBody = JSON.stringify({ query: 'mutation { ping }' });
  const placeBody = PLACE_ORDER_BODY;
  const cpu = () => ({
    api: ownCpuMs(),
    worker: oms.workerPid === null ? 0 : processCpuMs(oms.workerPid),
    postgres: postgresCpuMs(oms.dataDir),
  });
  const load = async (body: string, tag: string, rate?: number) => {
    const result: LoadResult = await runLoad({
      url,
      body,
      tag,
      seconds: SECONDS,
      clients: CLIENTS,
      rate,
      authorization,
    });
    if (result.failures > 0)
      throw new Error(`${tag}: ${result.failures} failed, e.g. ${result.firstFailure}`);
    return {
      perSecond: result.perSecond,
      latencies: Float64Array.from(result.latencies),
      answered: result.latencies.length,
      generatorCpuMs: result.cpuMs,
    };
  };

  try {
    await load(placeBody, 'warmup', LIGHT_RATE); // code paths compiled and optimised before anything counts
    const stagesBefore = await stages();
    const light = await load(placeBody, 'light', LIGHT_RATE);
    const breakdown = since(stagesBefore, await stages());
    const noopLight = await load(noopBody, 'noop-light', LIGHT_RATE);
    const noop = await load(noopBody, 'noop');
    const cpuBefore = cpu();
    const placed = await load(placeBody, 'http');
    const cpuAfter = cpu();
    const perOrder = (before: number, after: number) => (after - before) / placed.answered;
    // Half of what the server does with no work per request: the load an OMS should carry calmly.
    const halfRate = Math.max(LIGHT_RATE, Math.round(noop.perSecond / 2));
    const steady = await load(placeBody, 'steady', halfRate);

    // The command side in process, through the CommandBus as the resolvers use it, spread over 100
    // accounts (the projector and ledger still run beside).
    for (let a = 0; a < 100; a++) await bus.execute(new SetRiskLimitsCommand(`acct${a}`, BENCH_LIMITS, ctx));
    const until = performance.now() + SECONDS * 1000;
    const started = performance.now();
    let orders = 0;
    await Promise.all(
      Array.from({ length: IN_PROCESS_CALLERS }, async (_, c) => {
        for (let i = 0; performance.now() < until; i++) {
          await bus.execute(
            new PlaceOrderCommand(
              {
                accountId: `acct${(c * 7 + i) % 100}`,
                clientOrderId: `inproc-${c}-${i}`,
                instrumentId: 'BTCUSDT',
                side: 'BUY',
                type: 'LIMIT',
                quantity: Decimal.parse('0.001'),
                limitPrice: Decimal.parse('9650'),
                timeInForce: 'DAY',
                venueId: null,
              },
              ctx,
            ),
          );
          orders++;
        }
      }),
    );
    const inProcess = orders / ((performance.now() - started) / 1000);
    const storeFloor = await atomicAppendRate(oms.runtime.store);

    return [
      figure('GraphQL no-op mutation (32 clients)', noop.perSecond, 'requests/s'),
      figure('placeOrder over HTTP (32 clients)', placed.perSecond, 'orders/s', {
        ratio: placed.perSecond / noop.perSecond,
        comparedWith: 'no-op mutation (target >= 0.5)',
      }),
      figure('placeOrder vs no-op throughput', placed.perSecond / noop.perSecond, 'ratio', { atLeast: 0.5 }),
      figure('placeOrder p50 (32 clients, saturated)', percentile(placed.latencies, 50), 'ms'),
      figure('placeOrder p99 (32 clients, saturated)', percentile(placed.latencies, 99), 'ms'),
      figure(`no-op mutation p50 at ${LIGHT_RATE}/s (open loop)`, percentile(noopLight.latencies, 50), 'ms'),
      figure(`placeOrder p50 at ${LIGHT_RATE}/s (open loop)`, percentile(light.latencies, 50), 'ms'),
      figure(
        `placeOrder p50 above the no-op's at ${LIGHT_RATE}/s`,
        percentile(light.latencies, 50) - percentile(noopLight.latencies, 50),
        'ms',
        { atMost: 2 },
      ),
      figure(`placeOrder p99 at ${LIGHT_RATE}/s`, percentile(light.latencies, 99), 'ms', { atMost: 10 }),
      figure(
        `placeOrder achieved (open loop at half the no-op's rate, ${halfRate}/s)`,
        steady.perSecond,
        'orders/s',
      ),
      figure(`placeOrder p50 at ${halfRate}/s`, percentile(steady.latencies, 50), 'ms'),
      figure(
        `placeOrder p99 at half the no-op's rate (${halfRate}/s)`,
        percentile(steady.latencies, 99),
        'ms',
        {
          atMost: 25,
        },
      ),
      figure(`command side in process, 100 accounts (${IN_PROCESS_CALLERS} callers)`, inProcess, 'orders/s', {
        ratio: inProcess / storeFloor,
        comparedWith: 'the event store on the same atomic appends (target >= 0.7)',
      }),
      figure(`event store: atomic appends (account + new order), 100 accounts`, storeFloor, 'appends/s'),
      figure('command side in process vs the store on the same appends', inProcess / storeFloor, 'ratio', {
        atLeast: 0.7,
      }),
      figure(`time of an order at ${LIGHT_RATE}/s: risk decision (mean)`, breakdown.decide, 'ms'),
      figure(`time of an order at ${LIGHT_RATE}/s: append to durable commit (mean)`, breakdown.append, 'ms'),
      figure(
        `time of an order at ${LIGHT_RATE}/s: rest of the command (queue, reference data, order decision)`,
        breakdown.command - breakdown.append - breakdown.decide,
        'ms',
      ),
      figure(
        `time of an order at ${LIGHT_RATE}/s: HTTP, GraphQL, authentication, response`,
        mean(light.latencies) - breakdown.command,
        'ms',
      ),
      figure('CPU per order at saturation: API process', perOrder(cpuBefore.api, cpuAfter.api), 'ms'),
      figure(
        'CPU per order at saturation: projector + ledger process',
        perOrder(cpuBefore.worker, cpuAfter.worker),
        'ms',
      ),
      figure(
        'CPU per order at saturation: PostgreSQL',
        perOrder(cpuBefore.postgres, cpuAfter.postgres),
        'ms',
      ),
      figure('CPU per order at saturation: load generator', placed.generatorCpuMs / placed.answered, 'ms'),
    ];
  } finally {
    await oms.stop();
  }
}

/** Sum and count of a histogram, over all its labels (or those with `outcome`). */
async function totals(
  histogram: Histogram<string>,
  outcome?: string,
): Promise<{ sum: number; count: number }> {
  const { values } = await histogram.get();
  const pick = (suffix: string) =>
    values
      .filter(
        (v) => v.metricName?.endsWith(suffix) && (outcome === undefined || v.labels.outcome === outcome),
      )
      .reduce((a, v) => a + v.value, 0);
  return { sum: pick('_sum'), count: pick('_count') };
}

interface Stages {
  decide: { sum: number; count: number };
  append: { sum: number; count: number };
  command: { sum: number; count: number };
}

/** The command path's own histograms, in this (the API) process. */
async function stages(): Promise<Stages> {
  return {
    decide: await totals(preTradeDecisionSeconds),
    append: await totals(eventStoreAppendSeconds, 'ok'),
    command: await totals(placeOrderSeconds, 'accepted'),
  };
}

/** Mean ms of each stage between two readings. */
function since(before: Stages, after: Stages): { decide: number; append: number; command: number } {
  const meanMs = (b: { sum: number; count: number }, a: { sum: number; count: number }) =>
    a.count === b.count ? 0 : ((a.sum - b.sum) / (a.count - b.count)) * 1000;
  return {
    decide: meanMs(before.decide, after.decide),
    append: meanMs(before.append, after.append),
    command: meanMs(before.command, after.command),
  };
}

function mean(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return values.length === 0 ? NaN : total / values.length;
}

/**
 * The event store's own rate on what the command side appends for an order: one atomic append of the
 * account's `ExposureReserved` (any revision: no conflicts to retry) and a new order stream's
 * `OrderAccepted`, the same events the command side wrote (copied from its log, under new ids), from
 * as many callers over as many accounts. The projector and the ledger beside follow them as they
 * followed the command side's.
 */
async function atomicAppendRate(store: EventStore): Promise<number> {
  const [sample] = await store.readStream('order-' + orderIdFor('acct0', 'inproc-0-0'));
  const reserved = (await store.readStream(accountStream('acct0'))).find(
    (e) => e.type === 'ExposureReserved',
  );
  if (!sample || !reserved) throw new Error('the in-process run left no order to copy');
  const until = performance.now() + SECONDS * 1000;
  const started = performance.now();
  let appends = 0;
  await Promise.all(
    Array.from({ length: IN_PROCESS_CALLERS }, async (_, c) => {
      for (let i = 0; performance.now() < until; i++) {
        const accountId = `floor${(c * 7 + i) % 100}`;
        const orderId = randomUUID();
        await store.appendToStreams([
          {
            stream: accountStream(accountId),
            events: [
              {
                type: 'ExposureReserved',
                data: { ...(reserved.data as object), accountId, orderId },
                metadata: reserved.metadata,
              },
            ],
            expectedRevision: ANY,
          },
          {
            stream: `order-${orderId}`,
            events: [
              {
                type: 'OrderAccepted',
                data: { ...(sample.data as object), orderId, accountId },
                metadata: sample.metadata,
              },
            ],
            expectedRevision: NO_STREAM,
          },
        ]);
        appends++;
      }
    }),
  );
  return appends / ((performance.now() - started) / 1000);
}
