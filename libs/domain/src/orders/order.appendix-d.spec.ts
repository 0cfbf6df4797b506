import { at, terms } from '../testing/fixtures';
import { Order, OrderEvent, OrderState } from './order';
import { OrderCommand, orderDecider } from './order.decide';

/**
 * FIX 4.4 Appendix D, "Order State Change Matrices" (numbered as in FIX 4.2's D1–D16), one test per
 * scenario the OMS supports, through the order decider: each step is a command a client, the gateway
 * or a venue report would give, and each row checks OrdStatus, OrderQty, CumQty and LeavesQty as the
 * matrix does. Scenarios for parts of FIX the OMS does not offer say so in their name.
 */

const orderId = 'o1';
let clock = 0;
const now = () => at(++clock);

type Step = { command: OrderCommand; expect?: Row | string };
/** [OrdStatus, OrderQty, CumQty, LeavesQty] after a step, or the refusal code. */
type Row = [string, string, string, string];

const place = (quantity = '10000', over: Record<string, unknown> = {}): OrderCommand => ({
  type: 'PlaceOrder',
  data: { terms: terms({ quantity, limitPrice: '100', ...over }), rejections: [] },
  metadata: now(),
});
const ack = (): OrderCommand => ({
  type: 'AcknowledgeOrder',
  data: { orderId, venueId: 'V', venueOrderId: 'V-1' },
  metadata: now(),
});
const fill = (execId: string, quantity: string, price = '100'): OrderCommand => ({
  type: 'RecordFill',
  data: {
    orderId,
    execId,
    venueId: 'V',
    quantity,
    price,
    fee: '0',
    liquidity: 'MAKER',
    executedAt: now().now.toISOString(),
  },
  metadata: now(),
});
const cancel = (): OrderCommand => ({ type: 'RequestCancel', data: { orderId }, metadata: now() });
const canceled = (reason?: string): OrderCommand => ({
  type: 'ConfirmCancel',
  data: { orderId, reason },
  metadata: now(),
});
const cancelReject = (): OrderCommand => ({
  type: 'RejectCancel',
  data: { orderId, reason: 'too late to cancel' },
  metadata: now(),
});
const replace = (quantity: string | null, limitPrice: string | null = null): OrderCommand => ({
  type: 'RequestReplace',
  data: { orderId, quantity, limitPrice },
  metadata: now(),
});
const replaced = (): OrderCommand => ({ type: 'ConfirmReplace', data: { orderId }, metadata: now() });
const replaceReject = (): OrderCommand => ({
  type: 'RejectReplace',
  data: { orderId, reason: 'unable to replace' },
  metadata: now(),
});

/** Runs the steps in order, checking each row, and returns the order and every event recorded. */
function scenario(...steps: Step[]): { order: Order; events: OrderEvent[] } {
  let state: OrderState = orderDecider.initialState();
  const events: OrderEvent[] = [];
  steps.forEach(({ command, expect: row }, i) => {
    const decision = orderDecider.decide(command, state);
    if (typeof row === 'string') {
      expect([i, decision.accepted ? 'accepted' : decision.rejections[0].code]).toEqual([i, row]);
      return;
    }
    if (!decision.accepted)
      throw new Error(`step ${i} (${command.type}) refused: ${decision.rejections[0].message}`);
    state = decision.events.reduce(orderDecider.evolve, state);
    events.push(...decision.events);
    if (row && state.exists) {
      expect([
        i,
        state.status,
        state.orderQty.toString(),
        state.cumQty.toString(),
        state.leavesQty.toString(),
      ]).toEqual([i, ...row]);
    }
  });
  return { order: state as Order, events };
}

describe('FIX 4.4 Appendix D through the order decider', () => {
  it('D1 – filled order', () => {
    scenario(
      { command: place(), expect: ['PENDING_NEW', '10000', '0', '10000'] },
      { command: ack(), expect: ['NEW', '10000', '0', '10000'] },
      { command: fill('X1', '2000'), expect: ['PARTIALLY_FILLED', '10000', '2000', '8000'] },
      { command: fill('X2', '1000'), expect: ['PARTIALLY_FILLED', '10000', '3000', '7000'] },
      { command: fill('X3', '7000'), expect: ['FILLED', '10000', '10000', '0'] },
    );
  });

  it('D2 – part-filled day order, done for day (expired at its session end)', () => {
    const day = (): OrderCommand => ({
      type: 'PlaceOrder',
      data: {
        terms: terms({ quantity: '10000', limitPrice: '100' }),
        rejections: [],
        sessionEnd: at(10).now.toISOString(),
      },
      metadata: at(0),
    });
    clock = 0;
    scenario(
      { command: day(), expect: ['PENDING_NEW', '10000', '0', '10000'] },
      { command: ack() },
      { command: fill('X1', '2000') },
      {
        command: { type: 'ExpireOrder', data: { orderId, reason: 'session end' }, metadata: at(5) },
        expect: 'ORDER_NOT_YET_EXPIRED',
      },
      {
        command: { type: 'ExpireOrder', data: { orderId, reason: 'session end' }, metadata: at(10) },
        expect: ['EXPIRED', '10000', '2000', '0'],
      },
    );
  });

  it('D3 – cancel request issued for a zero-filled order', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: cancel(), expect: ['PENDING_CANCEL', '10000', '0', '10000'] },
      { command: canceled(), expect: ['CANCELED', '10000', '0', '0'] },
    );
  });

  it('D4 – cancel request issued for a part-filled order, executions occur whilst the cancel request is active', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: fill('X1', '2000') },
      { command: cancel(), expect: ['PENDING_CANCEL', '10000', '2000', '8000'] },
      { command: fill('X2', '5000'), expect: ['PENDING_CANCEL', '10000', '7000', '3000'] },
      { command: canceled(), expect: ['CANCELED', '10000', '7000', '0'] },
    );
  });

  it('D4, then the venue busts the fill that completed the order while the cancel was pending: recorded, and the order ends canceled', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: fill('X1', '4000') },
      { command: cancel() },
      { command: fill('X2', '6000'), expect: ['FILLED', '10000', '10000', '0'] },
      {
        command: {
          type: 'BustTrade',
          data: { orderId, execId: 'X2', reason: 'clearly erroneous' },
          metadata: now(),
        },
        // The venue's order was done when it filled, and a busted quantity is not worked again.
        expect: ['CANCELED', '10000', '4000', '0'],
      },
    );
  });

  it('D7, with the fills reaching the old quantity before the venue confirms the replace up: PARTIALLY_FILLED at the new quantity', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: replace('12000') },
      { command: fill('X1', '10000'), expect: ['FILLED', '10000', '10000', '0'] },
      { command: replaced(), expect: ['PARTIALLY_FILLED', '12000', '10000', '2000'] },
    );
  });

  it('D5 – cancel request issued for an order that becomes filled before the cancel can be accepted', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: fill('X1', '2000') },
      { command: cancel(), expect: ['PENDING_CANCEL', '10000', '2000', '8000'] },
      { command: fill('X2', '8000'), expect: ['FILLED', '10000', '10000', '0'] },
      { command: cancelReject(), expect: ['FILLED', '10000', '10000', '0'] },
    );
  });

  it('D6 – zero-filled order, cancel/replace request issued to increase order qty', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: replace('11000'), expect: ['PENDING_REPLACE', '10000', '0', '10000'] },
      { command: replaced(), expect: ['NEW', '11000', '0', '11000'] },
    );
  });

  it('D7 – part-filled order, replace to increase qty, execution occurs whilst the order is pending replace', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: fill('X1', '1000') },
      { command: replace('12000'), expect: ['PENDING_REPLACE', '10000', '1000', '9000'] },
      { command: fill('X2', '100'), expect: ['PENDING_REPLACE', '10000', '1100', '8900'] },
      { command: replaced(), expect: ['PARTIALLY_FILLED', '12000', '1100', '10900'] },
      { command: fill('X3', '10900'), expect: ['FILLED', '12000', '12000', '0'] },
    );
  });

  it('D8 – filled order followed by a replace to increase qty (not offered: a filled order is done)', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: fill('X1', '10000'), expect: ['FILLED', '10000', '10000', '0'] },
      { command: replace('12000'), expect: 'ORDER_ALREADY_FILLED' },
    );
  });

  it('D9 – cancel/replace request not for a quantity change, rejected as a fill has occurred', () => {
    const { order } = scenario(
      { command: place() },
      { command: ack() },
      { command: replace(null, '101'), expect: ['PENDING_REPLACE', '10000', '0', '10000'] },
      { command: fill('X1', '10000'), expect: ['FILLED', '10000', '10000', '0'] },
      { command: replaceReject(), expect: ['FILLED', '10000', '10000', '0'] },
    );
    expect(order.limitPrice?.toString()).toBe('100');
  });

  it('D10 – replace to decrease qty while an execution is reported: the new qty exceeds cum qty; replaced, then filled', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: replace('8000'), expect: ['PENDING_REPLACE', '10000', '0', '10000'] },
      { command: fill('X1', '1000'), expect: ['PENDING_REPLACE', '10000', '1000', '9000'] },
      { command: replaced(), expect: ['PARTIALLY_FILLED', '8000', '1000', '7000'] },
      { command: fill('X2', '7000'), expect: ['FILLED', '8000', '8000', '0'] },
    );
  });

  it('D11 – replace to decrease qty while an execution is reported: the new qty equals cum qty; order qty is cum qty', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: replace('7000') },
      { command: fill('X1', '7000'), expect: ['PENDING_REPLACE', '10000', '7000', '3000'] },
      { command: replaced(), expect: ['FILLED', '7000', '7000', '0'] },
    );
  });

  it('D12 – replace to decrease qty while an execution is reported: the new qty is below cum qty; order qty is cum qty', () => {
    const { order } = scenario(
      { command: place() },
      { command: ack() },
      { command: replace('7000') },
      { command: fill('X1', '8000'), expect: ['PENDING_REPLACE', '10000', '8000', '2000'] },
      // 8000 traded reads 8000, not 7000 with a hidden overfill.
      { command: replaced(), expect: ['FILLED', '8000', '8000', '0'] },
    );
    expect(order.overfilledQty.toString()).toBe('0');
  });

  it('D13 – one replace is accepted, then another is also accepted', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: replace('8000') },
      { command: replaced(), expect: ['NEW', '8000', '0', '8000'] },
      { command: replace('7000'), expect: ['PENDING_REPLACE', '8000', '0', '8000'] },
      { command: replaced(), expect: ['NEW', '7000', '0', '7000'] },
    );
  });

  it('D14 – one replace is refused before the order becomes pending replace (by pre-trade risk), then another is accepted', () => {
    const refused: OrderCommand = {
      type: 'RequestReplace',
      data: {
        orderId,
        quantity: '90000',
        rejections: [{ code: 'MAX_ORDER_QUANTITY_EXCEEDED', message: 'too big' }],
      },
      metadata: now(),
    };
    const { events } = scenario(
      { command: place() },
      { command: ack() },
      { command: refused, expect: ['NEW', '10000', '0', '10000'] },
      { command: replace('8000'), expect: ['PENDING_REPLACE', '10000', '0', '10000'] },
      { command: replaced(), expect: ['NEW', '8000', '0', '8000'] },
    );
    expect(events.map((e) => e.type)).toContain('OrderReplaceRefused');
  });

  it('D15 – one replace is rejected after it is pending replace, then another is accepted', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: replace('8000'), expect: ['PENDING_REPLACE', '10000', '0', '10000'] },
      { command: replaceReject(), expect: ['NEW', '10000', '0', '10000'] },
      { command: replace('7000') },
      { command: replaced(), expect: ['NEW', '7000', '0', '7000'] },
    );
  });

  it('D16 – one replace is followed at once by another: the OMS works one at a time and refuses the second', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: replace('8000') },
      { command: replace('7000'), expect: 'REPLACE_ALREADY_PENDING' },
      { command: replaced(), expect: ['NEW', '8000', '0', '8000'] },
    );
  });

  it('cancel request while a replace is pending: the cancel wins', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: fill('X1', '1000') },
      { command: replace('8000'), expect: ['PENDING_REPLACE', '10000', '1000', '9000'] },
      { command: cancel(), expect: ['PENDING_CANCEL', '10000', '1000', '9000'] },
      { command: canceled(), expect: ['CANCELED', '10000', '1000', '0'] },
    );
  });

  it('fill received after the cancel was confirmed (reordered channels): booked, never dropped', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: cancel() },
      { command: canceled(), expect: ['CANCELED', '10000', '0', '0'] },
      { command: fill('X1', '3000'), expect: ['CANCELED', '10000', '3000', '0'] },
    );
  });

  it('duplicate ExecID: the second report of an execution changes nothing', () => {
    const { events } = scenario(
      { command: place() },
      { command: ack() },
      { command: fill('X1', '3000'), expect: ['PARTIALLY_FILLED', '10000', '3000', '7000'] },
      { command: fill('X1', '3000'), expect: ['PARTIALLY_FILLED', '10000', '3000', '7000'] },
    );
    expect(events.filter((e) => e.type === 'OrderFilled')).toHaveLength(1);
  });

  it('unsolicited cancel of a part-filled order (the venue cancels on its own)', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: fill('X1', '3000') },
      { command: canceled('venue canceled: market closed'), expect: ['CANCELED', '10000', '3000', '0'] },
    );
  });

  it('cancel request issued for an order that has not yet been acknowledged', () => {
    scenario(
      { command: place() },
      { command: cancel(), expect: ['PENDING_CANCEL', '10000', '0', '10000'] },
      { command: ack(), expect: ['PENDING_CANCEL', '10000', '0', '10000'] },
      { command: canceled(), expect: ['CANCELED', '10000', '0', '0'] },
    );
  });

  it('cancel rejected by the venue (35=9): the order is again what it was', () => {
    scenario(
      { command: place() },
      { command: ack() },
      { command: fill('X1', '3000') },
      { command: cancel(), expect: ['PENDING_CANCEL', '10000', '3000', '7000'] },
      { command: cancelReject(), expect: ['PARTIALLY_FILLED', '10000', '3000', '7000'] },
    );
  });

  it('IOC: what does not fill at once is canceled by the venue', () => {
    scenario(
      { command: place('10000', { timeInForce: 'IOC' }) },
      { command: ack() },
      { command: fill('X1', '4000'), expect: ['PARTIALLY_FILLED', '10000', '4000', '6000'] },
      { command: canceled('IOC: unfilled rest canceled'), expect: ['CANCELED', '10000', '4000', '0'] },
    );
  });

  it('FOK: a fill-or-kill that cannot fill whole is canceled with nothing filled', () => {
    scenario(
      { command: place('10000', { timeInForce: 'FOK' }) },
      { command: ack() },
      { command: canceled('FOK: not fillable in full'), expect: ['CANCELED', '10000', '0', '0'] },
    );
  });

  it('rejected by the venue', () => {
    scenario(
      { command: place() },
      {
        command: {
          type: 'RecordVenueReject',
          data: { orderId, venueId: 'V', reason: 'unknown symbol' },
          metadata: now(),
        },
        expect: ['REJECTED', '10000', '0', '0'],
      },
    );
  });
});
