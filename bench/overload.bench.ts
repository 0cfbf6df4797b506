import { SetRiskLimitsCommand } from '@oms/api';
import { EventStore } from '@oms/event-store';
import { runLoad } from './load-generator';
import { BENCH_LIMITS, PLACE_ORDER_BODY, startBenchOms } from './oms';
import { BenchFigure, figure, percentile } from './report';

/**
 * Backpressure under a bounded overload, laid out as docker compose runs it: this process is the API
 * and the execution gateway (with the two simulated venues and their rate limits), the projector and
 * the ledger run in a process of their own, the clients in a third. placeOrder's saturation rate is
 * measured first, on an OMS without intake limits; then twice that is offered for 10 s to a fresh one
 * with the default limits (open loop, 256 connections, a client gives up after 2 s). Reported: the share refused with OVERLOADED, accepted orders' routing lag (acceptance
 * to the first slice submitted, from the log), that every accepted order was routed, `/health`
 * answering throughout, and the API process's memory.
 */
const SECONDS = 10;
const CLIENTS = 256;
const GIVE_UP_MS = 2_000;

/** An OMS as compose runs it: the API here, the projector, ledger and gateway in a worker. */
async function startOms(intake: { intakeLimit: number | null; intakeMaxWaitMs: number }) {
  const oms = await startBenchOms('overload', ['api'], ['projector', 'ledger', 'gateway'], intake);
  const { app, bus, runtime } = oms;
  await bus.execute(
    new SetRiskLimitsCommand('demo', BENCH_LIMITS, { actor: 'bench', correlationId: 'bench' }),
  );
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const authorization = `Bearer ${runtime.credentials?.demo?.trader}`;
  return { oms, base, authorization };
}

const body = PLACE_ORDER_BODY;

export async function run(): Promise<BenchFigure[]> {
  // Saturation, on an OMS that never refuses for its backlog.
  const open = await startOms({ intakeLimit: null, intakeMaxWaitMs: 500 });
  let saturation;
  try {
    saturation = await runLoad({
      url: `${open.base}/graphql`,
      body,
      tag: 'sat',
      seconds: 3,
      clients: 32,
      authorization: open.authorization,
    });
  } finally {
    await open.oms.stop();
  }
  const offered = Math.round(2 * saturation.perSecond);

  // The overload, on a fresh OMS with the default limits.
  const { oms, base, authorization } = await startOms({ intakeLimit: 500, intakeMaxWaitMs: 500 });
  const { runtime } = oms;
  try {
    // /health, polled every 100 ms while the overload runs: each answer's time, and the slowest.
    const health: number[] = [];
    let healthFailures = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const t0 = performance.now();
        const ok = await fetch(`${base}/health`).then(
          (r) => r.status === 200 || r.status === 503,
          () => false,
        );
        if (!ok) healthFailures++;
        health.push(performance.now() - t0);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
    const overload = await runLoad({
      url: `${base}/graphql`,
      body,
      tag: 'over',
      seconds: SECONDS,
      clients: CLIENTS,
      rate: offered,
      timeoutMs: GIVE_UP_MS,
      authorization,
    });
    clearInterval(sampler);
    polling = false;
    await poller;
    if (overload.failures > 0) {
      throw new Error(`overload: ${overload.failures} failed, e.g. ${overload.firstFailure}`);
    }

    // Every order accepted (answered, or not: a client may have given up after its order was recorded)
    // reaches a venue: acceptance and the venue's acknowledgement, from the log.
    const { accepted, submitted, acknowledged, rejected } = await routingFromLog(runtime.store, 30_000);
    const toSubmit = [...accepted]
      .flatMap(([orderId, at]) => (submitted.has(orderId) ? [(submitted.get(orderId) as number) - at] : []))
      .sort((a, b) => a - b);
    const lags = [...accepted].flatMap(([orderId, at]) => {
      const acked = acknowledged.get(orderId);
      return acked === undefined ? [] : [acked - at];
    });
    lags.sort((a, b) => a - b);
    const unrouted = accepted.size - lags.length - rejected.size;
    const answeredAccepted = overload.acceptedIds.length;
    health.sort((a, b) => a - b);

    return [
      figure('placeOrder saturation (32 clients, closed loop)', saturation.perSecond, 'orders/s'),
      figure(`overload offered (twice saturation, ${SECONDS} s, open loop)`, offered, 'orders/s'),
      figure('overload: orders accepted', accepted.size / SECONDS, 'orders/s'),
      figure('overload: share refused with OVERLOADED', overload.refused / overload.sent, 'ratio'),
      figure('overload: requests the clients gave up on (2 s)', overload.abandoned, 'requests'),
      figure('overload: acceptance to routing decision p50', percentile(toSubmit, 50), 'ms'),
      figure('overload: acceptance to routing decision p99', percentile(toSubmit, 99), 'ms'),
      figure(
        'overload: accepted orders, acceptance to venue acknowledgement p50',
        percentile(lags, 50),
        'ms',
      ),
      figure(
        'overload: accepted orders, acceptance to venue acknowledgement p99',
        percentile(lags, 99),
        'ms',
        {
          atMost: 1_000,
        },
      ),
      figure('overload: accepted orders then refused on the way (venue limits)', rejected.size, 'orders', {
        atMost: 0,
      }),
      figure('overload: accepted orders never answered by a venue (lost)', unrouted, 'orders', { atMost: 0 }),
      figure('overload: accepted answers the clients received', answeredAccepted, 'orders'),
      figure('overload: /health slowest answer', health[health.length - 1] ?? NaN, 'ms', { atMost: 1_000 }),
      figure('overload: /health unanswered', healthFailures, 'requests', { atMost: 0 }),
      figure('overload: API process memory at the start', rssBefore / 1e6, 'MB'),
      figure('overload: API process peak memory', rssPeak / 1e6, 'MB'),
      // Before backpressure the same overload took the single process from 131 MB to 936 MB.
      figure('overload: API process memory growth (peak less start)', (rssPeak - rssBefore) / 1e6, 'MB', {
        atMost: 200,
      }),
    ];
  } finally {
    await oms.stop();
  }
}

/**
 * When each order was accepted and when its venue first acknowledged it (or rejected it), from the
 * log, once every accepted order has been answered by a venue or `deadlineMs` has passed (what has
 * not been by then was lost).
 */
async function routingFromLog(
  store: EventStore,
  deadlineMs: number,
): Promise<{
  accepted: Map<string, number>;
  submitted: Map<string, number>;
  acknowledged: Map<string, number>;
  rejected: Set<string>;
}> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const events = await store.readAll({
      filter: {
        streamCategories: ['order'],
        eventTypes: ['OrderAccepted', 'VenueOrderSubmitted', 'OrderAcknowledged', 'OrderRejectedByVenue'],
      },
    });
    const accepted = new Map<string, number>();
    const acknowledged = new Map<string, number>();
    const submitted = new Map<string, number>();
    const rejected = new Set<string>();
    for (const e of events) {
      const at = e.recordedAt.getTime();
      if (e.type === 'OrderAccepted') accepted.set(e.streamName, at);
      else if (e.type === 'OrderRejectedByVenue') rejected.add(e.streamName);
      else if (e.type === 'VenueOrderSubmitted') {
        if (!submitted.has(e.streamName)) submitted.set(e.streamName, at);
      } else if (!acknowledged.has(e.streamName)) acknowledged.set(e.streamName, at);
    }
    const answered = [...accepted.keys()].every((id) => acknowledged.has(id) || rejected.has(id));
    if (answered || Date.now() > deadline) return { accepted, submitted, acknowledged, rejected };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
