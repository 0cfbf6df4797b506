import fc from 'fast-check';
import { Decimal, dec } from '../decimal/decimal';
import { at, terms } from '../testing/fixtures';
import { Order, OrderEvent, OrderState, computeTotals, isWorking } from './order';
import { OrderCommand, orderDecider } from './order.decide';
import { fromOrderSnapshot, toOrderSnapshot } from './order.snapshot';

const orderId = 'o1';
const execIds = ['E1', 'E2', 'E3', 'E4', 'E5', 'E6'];
const lots = fc.integer({ min: 1, max: 6 }).map((n) => (n / 2).toString()); // 0.5 .. 3
const price = fc.integer({ min: 9600, max: 9700 }).map(String);

const command: fc.Arbitrary<(step: number) => OrderCommand> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(fc.constantFrom(...execIds), lots, price).map(
      ([execId, quantity, px]) =>
        (step: number) =>
          ({
            type: 'RecordFill',
            data: {
              orderId,
              execId,
              venueId: 'SIM-A',
              quantity,
              price: px,
              fee: '0.01',
              liquidity: 'TAKER',
              executedAt: new Date(step).toISOString(),
            },
            metadata: at(step),
          }) as OrderCommand,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      (step: number) =>
        ({
          type: 'AcknowledgeOrder',
          data: { orderId, venueId: 'SIM-A', venueOrderId: 'V1' },
          metadata: at(step),
        }) as OrderCommand,
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constant(
      (step: number) => ({ type: 'RequestCancel', data: { orderId }, metadata: at(step) }) as OrderCommand,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      (step: number) => ({ type: 'ConfirmCancel', data: { orderId }, metadata: at(step) }) as OrderCommand,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      (step: number) =>
        ({ type: 'RejectCancel', data: { orderId, reason: 'late' }, metadata: at(step) }) as OrderCommand,
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 20 }), fc.option(price)).map(
      ([q, px]) =>
        (step: number) =>
          ({
            type: 'RequestReplace',
            data: { orderId, quantity: (q / 2).toString(), limitPrice: px },
            metadata: at(step),
          }) as OrderCommand,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      (step: number) => ({ type: 'ConfirmReplace', data: { orderId }, metadata: at(step) }) as OrderCommand,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      (step: number) =>
        ({ type: 'RejectReplace', data: { orderId, reason: 'no' }, metadata: at(step) }) as OrderCommand,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      (step: number) =>
        ({ type: 'ExpireOrder', data: { orderId, reason: 'eod' }, metadata: at(step) }) as OrderCommand,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...execIds).map(
      (execId) => (step: number) =>
        ({
          type: 'BustTrade',
          data: { orderId, execId, reason: 'bust' },
          metadata: at(step),
        }) as OrderCommand,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...execIds), lots, price).map(
      ([execId, quantity, px]) =>
        (step: number) =>
          ({
            type: 'CorrectTrade',
            data: { orderId, execId, quantity, price: px, reason: 'fix' },
            metadata: at(step),
          }) as OrderCommand,
    ),
  },
);

function checkInvariants(order: Order, executions: Map<string, { quantity: Decimal; price: Decimal }>): void {
  // cumQty never exceeds orderQty; what does not fit is overfill, and the two account for every live execution.
  expect(order.cumQty.lte(order.orderQty)).toBe(true);
  const executed = Decimal.sum([...executions.values()].map((e) => e.quantity));
  expect(order.cumQty.plus(order.overfilledQty).eq(executed)).toBe(true);
  if (isWorking(order.status)) {
    expect(order.cumQty.plus(order.leavesQty).eq(order.orderQty)).toBe(true);
  } else {
    expect(order.leavesQty.isZero()).toBe(true);
  }
  if (order.cumQty.isPositive()) {
    expect(order.avgPx?.eq(order.executedNotional.dividedBy(order.cumQty))).toBe(true);
    const low = [...executions.values()].map((e) => e.price).reduce((a, b) => Decimal.min(a, b));
    const high = [...executions.values()].map((e) => e.price).reduce((a, b) => Decimal.max(a, b));
    expect(order.avgPx!.gte(low) && order.avgPx!.lte(high)).toBe(true);
  } else {
    expect(order.avgPx).toBeNull();
  }
  expect(order.status === 'FILLED').toBe(order.cumQty.eq(order.orderQty));
}

describe('order invariants (property)', () => {
  it('hold for random sequences of fills, duplicates, cancels, replaces, busts and corrections', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 40 }), (steps) => {
        const acceptedEvent: OrderEvent = {
          type: 'OrderAccepted',
          data: { ...terms({ quantity: '5' }), acceptedAt: at().now.toISOString() },
        };
        let state: OrderState = orderDecider.evolve(orderDecider.initialState(), acceptedEvent);
        const executions = new Map<string, { quantity: Decimal; price: Decimal }>();
        const seenExecIds = new Set<string>();
        steps.forEach((make, i) => {
          const cmd = make(i + 1);
          const decision = orderDecider.decide(cmd, state);
          if (!decision.accepted) {
            for (const r of decision.rejections) expect(r.message.length).toBeGreaterThan(0);
            return;
          }
          for (const event of decision.events) {
            if (event.type === 'OrderFilled') {
              // never applied twice
              expect(seenExecIds.has(event.data.execId)).toBe(false);
              seenExecIds.add(event.data.execId);
              executions.set(event.data.execId, {
                quantity: dec(event.data.quantity),
                price: dec(event.data.price),
              });
            }
            if (event.type === 'TradeBusted') executions.delete(event.data.execId);
            if (event.type === 'TradeCorrected') {
              executions.set(event.data.execId, {
                quantity: dec(event.data.quantity),
                price: dec(event.data.price),
              });
            }
            state = orderDecider.evolve(state, event);
          }
          const order = state as Order;
          checkInvariants(order, executions);
          // Events report the same cumulative figures the state holds.
          const last = decision.events.find((e) => e.type === 'OrderFilled');
          if (last && last.type === 'OrderFilled') {
            expect(last.data.cumQty).toBe(order.cumQty.toString());
            expect(last.data.leavesQty).toBe(order.leavesQty.toString());
          }
          // A fill repeated is a no-op.
          if (cmd.type === 'RecordFill') {
            const again = orderDecider.decide(cmd, state);
            expect(again).toEqual({ accepted: true, events: [] });
          }
          // The JSON snapshot round-trips to the same state.
          const snapshot = JSON.parse(JSON.stringify(toOrderSnapshot(order)));
          expect(fromOrderSnapshot(snapshot)).toEqual(order);
          expect(toOrderSnapshot(fromOrderSnapshot(snapshot))).toEqual(snapshot);
          // State equals a full replay of its recomputed totals.
          const totals = computeTotals(order.fills, order.orderQty);
          expect(totals.cumQty.eq(order.cumQty)).toBe(true);
        });
      }),
      { numRuns: 400 },
    );
  });
});
