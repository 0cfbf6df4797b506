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

/**
 * What the decider's own rules allow, the state machine must allow too: a refusal by the table alone
 * would drop a fact (a venue's fill, bust or answer) or a request the rest of the decider accepts.
 */
function expectNoTableGap(cmd: OrderCommand, rejections: { code: string; message: string }[]): void {
  const gap = rejections.find(
    (r) => r.code === 'INVALID_TRANSITION' && /cannot (happen to|take)/.test(r.message),
  );
  expect(gap ? `${cmd.type} ${JSON.stringify(cmd.data)}: ${gap.message}` : null).toBeNull();
}

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
            expectNoTableGap(cmd, decision.rejections);
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

// ---- an order routed as venue slices ----

type Make = (step: number, order: Order) => OrderCommand | null;
const childIds = ['o1.1', 'o1.2'];
const sliceFill: fc.Arbitrary<Make> = fc
  .tuple(fc.constantFrom(...childIds), fc.constantFrom(...execIds), lots, price)
  .map(([childId, execId, quantity, px]) => (step) => ({
    type: 'RecordFill',
    data: {
      orderId,
      execId,
      venueId: childId === 'o1.1' ? 'SIM-A' : 'SIM-B',
      childId,
      quantity,
      price: px,
      fee: '0.01',
      liquidity: 'MAKER',
      executedAt: new Date(step).toISOString(),
    },
    metadata: at(step),
  }));
const sliceCommand: fc.Arbitrary<Make> = fc.oneof(
  { weight: 6, arbitrary: sliceFill },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...childIds).map((childId): Make => (step) => ({
      type: 'AcknowledgeOrder',
      data: {
        orderId,
        venueId: childId === 'o1.1' ? 'SIM-A' : 'SIM-B',
        childId,
        venueOrderId: `V-${childId}`,
      },
      metadata: at(step),
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...childIds),
        fc.constantFrom('CANCELED', 'EXPIRED', 'REJECTED') as fc.Arbitrary<
          'CANCELED' | 'EXPIRED' | 'REJECTED'
        >,
      )
      .map(([childId, outcome]): Make => (step) => ({
        type: 'CloseVenueOrder',
        data: { orderId, childId, outcome, reason: 'venue' },
        metadata: at(step),
      })),
  },
  {
    weight: 2,
    arbitrary: fc.constant<Make>((step) => ({
      type: 'RequestCancel',
      data: { orderId },
      metadata: at(step),
    })),
  },
  {
    weight: 1,
    arbitrary: fc.constant<Make>((step) => ({
      type: 'RejectCancel',
      data: { orderId, reason: 'late' },
      metadata: at(step),
    })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 16 }), fc.option(price)).map(([q, px]): Make => (step) => ({
      type: 'RequestReplace',
      data: { orderId, quantity: (q / 2).toString(), limitPrice: px },
      metadata: at(step),
    })),
  },
  {
    // The gateway's plan: the change of quantity on the first working slice, the new price on all.
    weight: 2,
    arbitrary: fc.constant<Make>((step, order) => {
      if (!order.pendingReplace) return null;
      const working = Object.values(order.children).filter((c) =>
        ['SUBMITTED', 'UNCONFIRMED', 'ACKNOWLEDGED'].includes(c.status),
      );
      if (working.length === 0) return null;
      const delta = order.pendingReplace.quantity.minus(order.orderQty);
      return {
        type: 'RouteReplace',
        data: {
          orderId,
          rationale: 'test plan',
          slices: working.map((c, i) => ({
            childId: c.childId,
            quantity: (i === 0 ? dec(c.quantity).plus(delta) : dec(c.quantity)).toString(),
            limitPrice: (order.pendingReplace?.limitPrice ?? order.limitPrice)?.toString() ?? null,
          })),
        },
        metadata: at(step),
      };
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...childIds),
        fc.constantFrom('REPLACED', 'REJECTED') as fc.Arbitrary<'REPLACED' | 'REJECTED'>,
      )
      .map(([childId, outcome]): Make => (step) => ({
        type: 'RecordSliceReplace',
        data: { orderId, childId, outcome, reason: outcome === 'REJECTED' ? 'no' : null },
        metadata: at(step),
      })),
  },
  {
    weight: 1,
    arbitrary: fc.constant<Make>((step) => ({
      type: 'ExpireOrder',
      data: { orderId, reason: 'session end' },
      metadata: at(step),
    })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...execIds).map((execId): Make => (step) => ({
      type: 'BustTrade',
      data: { orderId, execId, reason: 'bust' },
      metadata: at(step),
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...execIds), lots, price)
      .map(([execId, quantity, px]): Make => (step) => ({
        type: 'CorrectTrade',
        data: { orderId, execId, quantity, price: px, reason: 'fix' },
        metadata: at(step),
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...childIds), fc.integer({ min: 0, max: 8 }))
      .map(([childId, q]): Make => (step) => ({
        type: 'RestateSlice',
        data: { orderId, childId, quantity: (q / 2).toString(), reason: 'venue risk' },
        metadata: at(step),
      })),
  },
);

describe('order invariants over venue slices (property)', () => {
  it('hold for random routed sequences: slice fills, slice closes, busts, corrections, replaces, cancels, expiries, restatements', () => {
    fc.assert(
      fc.property(fc.array(sliceCommand, { minLength: 1, maxLength: 50 }), (steps) => {
        // A DAY order of 5, expiring at step 25, routed as 3 at SIM-A and 2 at SIM-B.
        let state: OrderState = [
          {
            type: 'OrderAccepted',
            data: {
              ...terms({ quantity: '5' }),
              acceptedAt: at().now.toISOString(),
              expireAt: at(25).now.toISOString(),
            },
          } as OrderEvent,
        ].reduce(orderDecider.evolve, orderDecider.initialState());
        const routed = orderDecider.decide(
          {
            type: 'RouteOrder',
            data: {
              orderId,
              rationale: 'split',
              slices: [
                { childId: 'o1.1', venueId: 'SIM-A', quantity: '3', limitPrice: '9680' },
                { childId: 'o1.2', venueId: 'SIM-B', quantity: '2', limitPrice: '9680' },
              ],
            },
            metadata: at(0),
          },
          state,
        );
        if (!routed.accepted) throw new Error('not routed');
        state = routed.events.reduce(orderDecider.evolve, state);

        // The oracle: live executions per slice, from the events alone.
        const live = new Map<string, { childId: string; quantity: Decimal }>();
        let alerted = Decimal.ZERO;
        const trace: string[] = [];
        steps.forEach((make, i) => {
          const cmd = make(i + 1, state as Order);
          if (!cmd) return;
          const decision = orderDecider.decide(cmd, state);
          if (!decision.accepted) {
            try {
              expectNoTableGap(cmd, decision.rejections);
            } catch (error) {
              throw new Error(`${(error as Error).message}\nafter:\n${trace.join('\n')}`);
            }
            return;
          }
          trace.push(
            `${cmd.type} ${JSON.stringify(cmd.data)} → ${decision.events.map((e) => e.type).join(', ')}`,
          );
          for (const event of decision.events) {
            if (event.type === 'OrderFilled')
              live.set(event.data.execId, {
                childId: event.data.childId ?? '',
                quantity: dec(event.data.quantity),
              });
            if (event.type === 'TradeBusted') live.delete(event.data.execId);
            if (event.type === 'TradeCorrected') {
              const known = live.get(event.data.execId);
              if (known) live.set(event.data.execId, { ...known, quantity: dec(event.data.quantity) });
            }
            if (event.type === 'OrderOverfilled') alerted = alerted.plus(dec(event.data.overfillQty));
            state = orderDecider.evolve(state, event);
          }
          const order = state as Order;
          try {
            checkSlices(order);
          } catch (error) {
            throw new Error(
              `${(error as Error).message}\nafter:\n${trace.join('\n')}\n${order.status} ${JSON.stringify(order.children)}`,
            );
          }
        });
        function checkSlices(order: Order): void {
          const executed = Decimal.sum([...live.values()].map((e) => e.quantity));
          // Every execution is counted once: filled within the order, or overfill beyond it.
          expect(order.cumQty.plus(order.overfilledQty).eq(executed)).toBe(true);
          // Never above the order quantity without an alert.
          expect(executed.minus(order.orderQty).lte(Decimal.max(alerted, Decimal.ZERO))).toBe(true);
          // The slices' executions add up to the parent's.
          for (const childId of childIds) {
            const mine = Decimal.sum(
              [...live.values()].filter((e) => e.childId === childId).map((e) => e.quantity),
            );
            expect([childId, order.children[childId].cumQty]).toEqual([childId, mine.toString()]);
          }
          if (isWorking(order.status)) {
            expect(order.cumQty.plus(order.leavesQty).eq(order.orderQty)).toBe(true);
            // A working order has something working at a venue.
            const working = Object.values(order.children).some((c) =>
              ['SUBMITTED', 'UNCONFIRMED', 'ACKNOWLEDGED'].includes(c.status),
            );
            expect([order.status, working]).toEqual([order.status, true]);
          } else {
            expect(order.leavesQty.isZero()).toBe(true);
          }
        }
      }),
      { numRuns: 600 },
    );
  });
});
