import {
  AccountCommand,
  AccountEvent,
  AccountState,
  PreTradeRequest,
  accountDecider,
  dec,
  instrumentFromDefinition,
} from '@oms/domain';
import { btcDefinition } from '@oms/domain/testing/fixtures';
import { BenchFigure, RISK_RATE, figure, percentile } from './report';

/**
 * One pre-trade risk decision (every check, all rejections collected) against a warm in-memory
 * account that already holds positions and open orders, as the command side keeps it hot.
 */
const NOW = new Date('2026-11-21T10:00:00.000Z');
const instrument = instrumentFromDefinition(btcDefinition);

function warmAccount(): AccountState {
  const events: AccountEvent[] = [
    {
      type: 'RiskLimitsSet',
      data: {
        accountId: 'bench',
        limits: {
          maxOrderQuantity: '50',
          maxOrderNotional: '1000000',
          maxPosition: '500',
          positionLimits: {},
          maxOpenNotional: '100000000',
          priceCollarPercent: '5',
          staleReferenceAfterMs: 60_000,
          maxOrdersPerWindow: 1_000_000,
          orderRateWindowMs: 1_000,
          maxDailyLoss: '100000',
          reduceOnly: false,
          allowedInstruments: null,
        },
        setAt: NOW.toISOString(),
      },
    },
  ];
  for (let i = 0; i < 200; i++) {
    events.push({
      type: 'ExposureReserved',
      data: {
        accountId: 'bench',
        orderId: `open-${i}`,
        clientOrderId: `c-open-${i}`,
        instrumentId: 'BTCUSDT',
        side: i % 2 ? 'BUY' : 'SELL',
        quantity: '0.5',
        price: '9680',
        notional: '4840',
        reservedAt: new Date(NOW.getTime() - 500 + i).toISOString(),
      },
    });
  }
  for (let i = 0; i < 50; i++) {
    events.push({
      type: 'FillBooked',
      data: {
        accountId: 'bench',
        orderId: `filled-${i}`,
        execId: `x-${i}`,
        instrumentId: 'BTCUSDT',
        side: i % 3 ? 'BUY' : 'SELL',
        quantity: '0.25',
        price: (9600 + i).toString(),
        fee: '0.1',
        executedAt: NOW.toISOString(),
        sourceSequence: String(i + 1),
        position: { quantity: '0', costBasis: '0', averagePrice: '0', realizedPnl: '0', fees: '0' },
      },
    });
  }
  return events.reduce(accountDecider.evolve, accountDecider.initialState());
}

function commands(count: number): AccountCommand[] {
  const reference = { price: dec('9680'), observedAt: NOW.getTime() - 50 };
  return Array.from({ length: count }, (_, i): AccountCommand => {
    const request: PreTradeRequest = {
      order: {
        orderId: `o-${i}`,
        accountId: 'bench',
        clientOrderId: `c-${i}`,
        instrumentId: 'BTCUSDT',
        side: i % 2 ? 'BUY' : 'SELL',
        type: i % 5 === 0 ? 'MARKET' : 'LIMIT',
        timeInForce: 'DAY',
        quantity: ((i % 40) + 1) / 1000 + '',
        limitPrice: i % 5 === 0 ? null : (9650 + (i % 60)).toFixed(2),
        venueId: null,
      },
      instrument,
      instrumentHalt: null,
      globalHalt: null,
      referencePrice: reference,
    };
    return { type: 'ReserveExposure', data: { accountId: 'bench', request }, metadata: { now: NOW } };
  });
}

export async function run(): Promise<BenchFigure[]> {
  const state = warmAccount();
  const batch = commands(4096);
  let accepted = 0;
  const decide = (i: number) => {
    const decision = accountDecider.decide(batch[i & 4095], state);
    if (decision.accepted) accepted++;
  };
  if (!accountDecider.decide(batch[1], state).accepted)
    throw new Error('bench order was unexpectedly rejected');

  for (let i = 0; i < 200_000; i++) decide(i); // JIT warm-up

  // Five trials; the figures are the median trial's, so one noisy neighbour does not decide the result.
  const trials = Array.from({ length: 5 }, () => {
    const samples = 200_000;
    const latencies = new Float64Array(samples);
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      decide(i);
      latencies[i] = (performance.now() - t0) * 1000;
    }
    latencies.sort();
    const iterations = 500_000;
    const started = performance.now();
    for (let i = 0; i < iterations; i++) decide(i);
    const perSecond = iterations / ((performance.now() - started) / 1000);
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      p999: percentile(latencies, 99.9),
      perSecond,
    };
  });
  if (accepted === 0) throw new Error('no decision accepted');
  const median = (pick: (t: (typeof trials)[number]) => number) => trials.map(pick).sort((a, b) => a - b)[2];

  return [
    figure(
      'risk decision p50',
      median((t) => t.p50),
      'µs',
    ),
    figure(
      'risk decision p99',
      median((t) => t.p99),
      'µs',
    ),
    figure(
      'risk decision p99.9',
      median((t) => t.p999),
      'µs',
    ),
    // Judged against the matching engine's rate in the same run (bench/run.ts): checking an order must
    // not cost more than matching it.
    figure(
      RISK_RATE,
      median((t) => t.perSecond),
      'decisions/s',
    ),
  ];
}
