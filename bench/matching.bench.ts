import { Decimal } from '@oms/domain';
import { EngineOrder, MatchingEngine } from '@oms/venues';
import { OrderBook, Side } from 'nodejs-order-book';
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import { BenchFigure, MATCHING_RATE, figure } from './report';

/**
 * Matching-engine throughput beside nodejs-order-book on the same order flow: limit orders around a
 * mid (half of them crossing), market orders, and cancels of resting orders, generated from one seed.
 * Our engine also prices fees on every fill; nodejs-order-book does not.
 */
const ORDERS = 200_000;
const TRIALS = 5;

type Step =
  | { kind: 'limit'; id: string; buy: boolean; lots: number; ticks: number }
  | { kind: 'market'; id: string; buy: boolean; lots: number }
  | { kind: 'cancel'; id: string };

function flow(): Step[] {
  const rng = xoroshiro128plus(20260222);
  const int = (min: number, max: number) => unsafeUniformIntDistribution(min, max, rng);
  const steps: Step[] = [];
  const resting: string[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const roll = int(0, 99);
    const id = `o${i}`;
    if (roll < 70) {
      const buy = int(0, 1) === 1;
      // Prices in ticks of 0.01 around 9,680.00: buys mostly below, sells mostly above, some crossing.
      const ticks = 968_000 + (buy ? -1 : 1) * int(-20, 200);
      steps.push({ kind: 'limit', id, buy, lots: int(1, 100), ticks });
      resting.push(id);
    } else if (roll < 85) {
      steps.push({ kind: 'market', id, buy: int(0, 1) === 1, lots: int(1, 300) });
    } else if (resting.length > 0) {
      steps.push({ kind: 'cancel', id: resting.splice(int(0, resting.length - 1), 1)[0] });
    }
  }
  return steps;
}

function timeIt(run: () => void): number {
  const rates: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const started = process.hrtime.bigint();
    run();
    rates.push(ORDERS / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  return rates.sort((a, b) => a - b)[Math.floor(TRIALS / 2)];
}

export async function run(): Promise<BenchFigure[]> {
  const steps = flow();
  // Inputs are built before the clock starts, in each engine's own number type.
  const ours = steps.map((s) =>
    s.kind === 'cancel'
      ? s
      : {
          ...s,
          order: {
            orderId: s.id,
            side: s.buy ? 'BUY' : 'SELL',
            type: s.kind === 'limit' ? 'LIMIT' : 'MARKET',
            timeInForce: s.kind === 'limit' ? 'GTC' : 'IOC',
            quantity: Decimal.parse(`${s.lots}e-3`),
            limitPrice: s.kind === 'limit' ? Decimal.parse(`${s.ticks}e-2`) : null,
          } as EngineOrder,
        },
  );
  const theirs = steps.map((s) =>
    s.kind === 'cancel'
      ? s
      : {
          ...s,
          side: s.buy ? Side.BUY : Side.SELL,
          size: s.lots / 1000,
          price: s.kind === 'limit' ? s.ticks / 100 : 0,
        },
  );

  let ourFills = 0;
  const oursRate = timeIt(() => {
    const engine = new MatchingEngine({
      makerFee: Decimal.parse('0.0002'),
      takerFee: Decimal.parse('0.0005'),
    });
    ourFills = 0;
    for (const s of ours) {
      const reports = s.kind === 'cancel' ? engine.cancel(s.id) : engine.submit(s.order);
      for (const r of reports) if (r.type === 'fill') ourFills++;
    }
  });
  const theirRate = timeIt(() => {
    const book = new OrderBook();
    for (const s of theirs) {
      if (s.kind === 'cancel') book.cancel(s.id);
      else if (s.kind === 'limit') book.limit({ side: s.side, id: s.id, size: s.size, price: s.price });
      else book.market({ side: s.side, size: s.size });
    }
  });

  return [
    figure(MATCHING_RATE, oursRate, 'orders/s', {
      ratio: oursRate / theirRate,
      comparedWith: 'nodejs-order-book, same flow (target >= 1.0)',
    }),
    figure('nodejs-order-book, same flow', theirRate, 'orders/s'),
    figure('matching engine vs nodejs-order-book', oursRate / theirRate, 'ratio', { atLeast: 1.0 }),
    figure('matching engine fills in the flow', ourFills, 'fills'),
  ];
}
