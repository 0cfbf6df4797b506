import fc from 'fast-check';
import { dec } from '../decimal/decimal';
import { deciderSpec } from '../testing/decider-spec';
import { at, iso, limits, preTrade, terms } from '../testing/fixtures';
import { Order, OrderEvent, OrderTerms, RouteSlice, heldByOms, workingTermsOf } from './order';
import { accountDecider } from '../accounts/account.decide';
import { OrderCommand, orderDecider } from './order.decide';
import {
  MarketObservation,
  TypedOrderFields,
  orderFieldProblem,
  reachesTrigger,
  trail,
} from './order.triggers';

const spec = deciderSpec(orderDecider);
const orderId = 'o1';
const market = (
  last: string | null,
  bid: string | null = null,
  ask: string | null = null,
): MarketObservation => ({
  last,
  bid,
  ask,
  mark: null,
  marketTime: iso(),
});

const acceptedAs = (t: Partial<OrderTerms>): OrderEvent => ({
  type: 'OrderAccepted',
  data: { ...terms({ limitPrice: null, ...t }), acceptedAt: iso() },
});
const sellStop = acceptedAs({ side: 'SELL', type: 'STOP', stopPrice: '9600', triggerType: 'LAST' });
const armed = (stopPrice: string, watermark: string | null = null, m = market('9680')): OrderEvent => ({
  type: 'OrderArmed',
  data: { orderId, triggerType: 'LAST', stopPrice, watermark, market: m, armedAt: iso(1) },
});
const arm = (stopPrice: string, watermark: string | null = null, m = market('9680')): OrderCommand => ({
  type: 'ArmOrder',
  data: { orderId, stopPrice, watermark, market: m },
  metadata: at(1),
});
const trigger = (
  price: string,
  rejections: { code: string; message: string }[] = [],
  protectionPrice: string | null = '9500',
): OrderCommand => ({
  type: 'TriggerOrder',
  data: { orderId, price, market: market(price), rejections, protectionPrice },
  metadata: at(5),
});

describe('orders the OMS holds until their trigger', () => {
  it('a STOP is accepted, then armed: working (NEW) at the OMS, nothing at a venue', () => {
    const state = spec.given(sellStop).when(arm('9600')).then(armed('9600')) as Order;
    expect(state.status).toBe('NEW');
    expect(state.trigger).toMatchObject({ status: 'ARMED', triggerType: 'LAST' });
    expect(state.trigger?.stopPrice?.toString()).toBe('9600');
    // Arming again records nothing.
    spec.given(sellStop, armed('9600')).when(arm('9600')).thenNothing();
  });

  it('a sell STOP triggers at or below its price, and is released as a protected MARKET order', () => {
    spec.given(sellStop, armed('9600')).when(trigger('9600.01')).thenRejects('TRIGGER_NOT_REACHED');
    const state = spec
      .given(sellStop, armed('9600'))
      .when(trigger('9600'))
      .then(
        {
          type: 'OrderTriggered',
          data: { orderId, stopPrice: '9600', price: '9600', market: market('9600'), triggeredAt: iso(5) },
        },
        {
          type: 'OrderReleased',
          data: { orderId, type: 'MARKET', limitPrice: null, protectionPrice: '9500', releasedAt: iso(5) },
        },
      ) as Order;
    expect(state.trigger?.status).toBe('RELEASED');
    expect(state.protectionPrice?.toString()).toBe('9500');
    // Released once: a second trigger is refused.
    spec
      .given(
        sellStop,
        armed('9600'),
        ...spec.given(sellStop, armed('9600')).when(trigger('9590')).thenEvents(),
      )
      .when(trigger('9580'))
      .thenRejects('ORDER_NOT_ARMED');
  });

  it('a STOP_LIMIT is released as a LIMIT order at its limit', () => {
    const stopLimit = acceptedAs({ side: 'BUY', type: 'STOP_LIMIT', stopPrice: '9700', limitPrice: '9705' });
    const [, released] = spec.given(stopLimit, armed('9700')).when(trigger('9700.5')).thenEvents();
    expect(released).toMatchObject({ type: 'OrderReleased', data: { type: 'LIMIT', limitPrice: '9705' } });
  });

  it('if-touched orders trigger the other way: a buy MIT when the price falls to it', () => {
    const mit = acceptedAs({ side: 'BUY', type: 'MARKET_IF_TOUCHED', stopPrice: '9650' });
    spec.given(mit, armed('9650')).when(trigger('9651')).thenRejects('TRIGGER_NOT_REACHED');
    expect(spec.given(mit, armed('9650')).when(trigger('9650')).thenEvents()[1].type).toBe('OrderReleased');
    const lit = acceptedAs({ side: 'SELL', type: 'LIMIT_IF_TOUCHED', stopPrice: '9750', limitPrice: '9748' });
    const [, released] = spec.given(lit, armed('9750')).when(trigger('9751')).thenEvents();
    expect(released).toMatchObject({ data: { type: 'LIMIT', limitPrice: '9748' } });
  });

  it('a release that fails risk is recorded with its reasons and the order is canceled', () => {
    const halted = [{ code: 'TRADING_HALTED_ACCOUNT', message: 'Trading is halted for this account: desk.' }];
    const state = spec
      .given(sellStop, armed('9600'))
      .when(trigger('9590', halted, null))
      .then(
        {
          type: 'OrderTriggered',
          data: { orderId, stopPrice: '9600', price: '9590', market: market('9590'), triggeredAt: iso(5) },
        },
        { type: 'OrderReleaseRefused', data: { orderId, rejections: halted, refusedAt: iso(5) } },
        {
          type: 'OrderCanceled',
          data: {
            orderId,
            canceledQty: '1',
            reason: 'release refused by pre-trade risk: TRADING_HALTED_ACCOUNT',
            canceledAt: iso(5),
          },
        },
      ) as Order;
    expect(state.status).toBe('CANCELED');
    expect(state.rejections.map((r) => r.code)).toEqual(['TRADING_HALTED_ACCOUNT']);
  });

  it('canceling a held order ends it at once (nothing is at a venue); it can no longer trigger', () => {
    const state = spec
      .given(sellStop, armed('9600'))
      .when({ type: 'RequestCancel', data: { orderId, reason: 'trader' }, metadata: at(3) })
      .then(
        { type: 'OrderCancelRequested', data: { orderId, reason: 'trader', requestedAt: iso(3) } },
        { type: 'OrderCanceled', data: { orderId, canceledQty: '1', reason: 'trader', canceledAt: iso(3) } },
      ) as Order;
    expect(state.status).toBe('CANCELED');
    const events = spec
      .given(sellStop, armed('9600'))
      .when({ type: 'RequestCancel', data: { orderId }, metadata: at(3) })
      .thenEvents();
    spec
      .given(sellStop, armed('9600'), ...events)
      .when(trigger('9500'))
      .thenRejects('ORDER_CLOSED');
  });

  it('a held order is replaced at once (nothing is at a venue): its new quantity is what triggers', () => {
    const state = spec
      .given(sellStop, armed('9600'))
      .when({ type: 'RequestReplace', data: { orderId, quantity: '2' }, metadata: at(3) })
      .then(
        {
          type: 'OrderReplaceRequested',
          data: { orderId, quantity: '2', limitPrice: null, requestedAt: iso(3) },
        },
        {
          type: 'OrderReplaced',
          data: {
            orderId,
            quantity: '2',
            limitPrice: null,
            replacedAt: iso(3),
            cumQty: '0',
            leavesQty: '2',
            avgPx: null,
          },
        },
      ) as Order;
    expect([state.status, state.orderQty.toString(), state.trigger?.status]).toEqual(['NEW', '2', 'ARMED']);
  });

  it('a held stop’s stop price is replaced at once (moving a stop-loss): it triggers at the new price only', () => {
    const moveStop = (stopPrice: string, quantity?: string): OrderCommand => ({
      type: 'RequestReplace',
      data: { orderId, stopPrice, ...(quantity ? { quantity } : {}) },
      metadata: at(3),
    });
    const state = spec
      .given(sellStop, armed('9600'))
      .when(moveStop('9550'))
      .then(
        {
          type: 'OrderReplaceRequested',
          data: { orderId, quantity: '1', limitPrice: null, stopPrice: '9550', requestedAt: iso(3) },
        },
        {
          type: 'OrderReplaced',
          data: {
            orderId,
            quantity: '1',
            limitPrice: null,
            stopPrice: '9550',
            replacedAt: iso(3),
            cumQty: '0',
            leavesQty: '1',
            avgPx: null,
          },
        },
      ) as Order;
    expect([state.terms.stopPrice, state.trigger?.stopPrice?.toString(), state.trigger?.status]).toEqual([
      '9550',
      '9550',
      'ARMED',
    ]);
    const moved = spec.given(sellStop, armed('9600')).when(moveStop('9550')).thenEvents();
    spec
      .given(sellStop, armed('9600'), ...moved)
      .when(trigger('9560'))
      .thenRejects('TRIGGER_NOT_REACHED');
    spec
      .given(sellStop, armed('9600'), ...moved)
      .when(trigger('9550'))
      .thenEvents();
    // Not armed yet: armed at the stop it has, even by a watcher that still saw the old one.
    const notArmed = spec.given(sellStop).when(moveStop('9550', '2')).thenEvents();
    const after = spec
      .given(sellStop, ...notArmed)
      .when(arm('9600'))
      .thenEvents();
    expect(after[0]).toMatchObject({ type: 'OrderArmed', data: { stopPrice: '9550' } });
  });

  it('a stop price is replaced only where there is one to move, and only to a positive new one', () => {
    const moveStop = (stopPrice: string): OrderCommand => ({
      type: 'RequestReplace',
      data: { orderId, stopPrice },
      metadata: at(3),
    });
    const messages = (given: OrderEvent[], stopPrice = '9550') =>
      spec
        .given(...given)
        .when(moveStop(stopPrice))
        .thenRejects('INVALID_REPLACE')
        .map((r) => r.message)
        .join(' ');
    expect(messages([sellStop, armed('9600')], '0')).toMatch(/must be a positive decimal/);
    expect(messages([sellStop, armed('9600')], '9600')).toMatch(/changes neither/);
    expect(messages([acceptedAs({ side: 'SELL', type: 'LIMIT', limitPrice: '9500' })])).toMatch(
      /A LIMIT order has no stop price/,
    );
    const trailing = acceptedAs({ side: 'SELL', type: 'TRAILING_STOP', trailingOffset: '20' });
    expect(messages([trailing])).toMatch(/follows the market/);
    const released = spec.given(sellStop, armed('9600')).when(trigger('9600')).thenEvents();
    expect(messages([sellStop, armed('9600'), ...released])).toMatch(/already triggered/);
  });

  describe('stops a venue holds (sent natively)', () => {
    // Accepted with its protection price: the collar edge beyond its stop, the limit it goes out at.
    const protectedStop: OrderEvent = {
      type: 'OrderAccepted',
      data: { ...(sellStop.data as OrderTerms), acceptedAt: iso(), protectionPrice: '9500' },
    };
    const native: RouteSlice = {
      childId: 'o1.1',
      venueId: 'SIM-A',
      quantity: '1',
      limitPrice: '9500',
      stopPrice: '9600',
    };
    const route = (slice: RouteSlice): OrderCommand => ({
      type: 'RouteOrder',
      data: { orderId, slices: [slice], rationale: 'native stop' },
      metadata: at(1),
    });
    const routed: OrderEvent[] = [
      {
        type: 'OrderRouted',
        data: { orderId, slices: [native], rationale: 'native stop', routedAt: iso(1) },
      },
      { type: 'VenueOrderSubmitted', data: { ...native, orderId, submittedAt: iso(1) } },
    ];
    const acknowledged: OrderEvent = {
      type: 'OrderAcknowledged',
      data: { orderId, venueId: 'SIM-A', childId: 'o1.1', venueOrderId: 'V1', acknowledgedAt: iso(2) },
    };
    const venueTrigger: OrderCommand = {
      type: 'RecordVenueTrigger',
      data: { orderId, childId: 'o1.1', venueId: 'SIM-A' },
      metadata: at(3),
    };

    it('a STOP routed natively goes to its venue with its stop price: AT_VENUE, no longer held by the OMS', () => {
      const state = spec
        .given(protectedStop)
        .when(route(native))
        .then(...routed) as Order;
      expect(state.trigger?.status).toBe('AT_VENUE');
      expect(heldByOms(state)).toBe(false);
      expect(state.children['o1.1']).toMatchObject({
        stopPrice: '9600',
        limitPrice: '9500',
        status: 'SUBMITTED',
      });
    });

    it('a held order is never routed plain (it would trade before its trigger), nor with another stop price', () => {
      const { stopPrice, ...plain } = native;
      void stopPrice;
      expect(
        spec.given(protectedStop).when(route(plain)).thenRejects('INVALID_TRANSITION')[0].message,
      ).toMatch(/must carry its stop price 9600/);
      spec
        .given(protectedStop)
        .when(route({ ...native, stopPrice: '9601' }))
        .thenRejects('INVALID_TRANSITION');
      // Armed: the OMS watches it; it stays the OMS's until released.
      spec.given(protectedStop, armed('9600')).when(route(native)).thenRejects('INVALID_TRANSITION');
      // A trailing stop, or a stop watching the touch, is not one a venue triggers as asked.
      const bidAskStop = acceptedAs({
        side: 'SELL',
        type: 'STOP',
        stopPrice: '9600',
        triggerType: 'BID_ASK',
      });
      spec.given(bidAskStop).when(route(native)).thenRejects('INVALID_TRANSITION');
      // A leg of a list stays with the OMS: its list reconciles it before it is released.
      const listStop = acceptedAs({ side: 'SELL', type: 'STOP', stopPrice: '9600', listId: 'l1' });
      spec.given(listStop).when(route(native)).thenRejects('INVALID_TRANSITION');
      // And an order not waiting for a trigger carries no stop price.
      const limitOrder = acceptedAs({ side: 'SELL', type: 'LIMIT', limitPrice: '9500' });
      spec.given(limitOrder).when(route(native)).thenRejects('INVALID_TRANSITION');
    });

    it('the venue triggers it: recorded once in its history, its fills follow as for any working order', () => {
      const given = [protectedStop, ...routed, acknowledged];
      const triggered: OrderEvent = {
        type: 'VenueOrderTriggered',
        data: { orderId, childId: 'o1.1', venueId: 'SIM-A', triggeredAt: iso(3) },
      };
      const state = spec
        .given(...given)
        .when(venueTrigger)
        .then(triggered) as Order;
      expect(state.trigger).toMatchObject({ status: 'AT_VENUE', triggeredAt: iso(3) });
      spec
        .given(...given, triggered)
        .when(venueTrigger)
        .thenNothing();
      const filled = spec
        .given(...given, triggered)
        .when({
          type: 'RecordFill',
          data: {
            orderId,
            execId: 'E1',
            venueId: 'SIM-A',
            childId: 'o1.1',
            quantity: '1',
            price: '9580',
            fee: '0',
            liquidity: 'TAKER',
            executedAt: iso(4),
          },
          metadata: at(4),
        })
        .thenEvents();
      expect(filled.map((e) => e.type)).toContain('OrderFilled');
    });

    it('a venue that refuses to hold it hands it back to the OMS, which watches it from then on, and routes it afresh once released', () => {
      const refused: OrderCommand = {
        type: 'CloseVenueOrder',
        data: { orderId, childId: 'o1.1', outcome: 'REJECTED', reason: 'stop would trigger immediately' },
        metadata: at(2),
      };
      const state = spec
        .given(protectedStop, ...routed)
        .when(refused)
        .then(
          {
            type: 'VenueOrderClosed',
            data: {
              orderId,
              childId: 'o1.1',
              venueId: 'SIM-A',
              outcome: 'REJECTED',
              unfilledQty: '1',
              reason: 'stop would trigger immediately',
              closedAt: iso(2),
            },
          },
          {
            type: 'NativeStopReturned',
            data: {
              orderId,
              childId: 'o1.1',
              venueId: 'SIM-A',
              reason: 'stop would trigger immediately',
              returnedAt: iso(2),
            },
          },
        ) as Order;
      expect(state.closure).toBeNull();
      expect(state.trigger?.status).toBe('ACCEPTED');
      expect(heldByOms(state)).toBe(true);
      const returned = spec
        .given(protectedStop, ...routed)
        .when(refused)
        .thenEvents();
      // Not natively again (it went to a venue once); the OMS arms it, triggers it, releases it...
      spec
        .given(protectedStop, ...routed, ...returned)
        .when(route(native))
        .thenRejects('INVALID_TRANSITION');
      const armedAgain = spec
        .given(protectedStop, ...routed, ...returned)
        .when(arm('9600'))
        .thenEvents();
      const released = spec
        .given(protectedStop, ...routed, ...returned, ...armedAgain)
        .when(trigger('9590'))
        .thenEvents();
      // ... and it is routed afresh, under a new slice id.
      const { stopPrice, ...plain } = native;
      void stopPrice;
      const given = [protectedStop, ...routed, ...returned, ...armedAgain, ...released];
      spec
        .given(...given)
        .when(route({ ...plain, limitPrice: '9500' }))
        .thenRejects('INVALID_TRANSITION');
      const again = spec
        .given(...given)
        .when(route({ ...plain, childId: 'o1.2', limitPrice: '9500' }))
        .thenEvents();
      expect(again.map((e) => e.type)).toEqual(['OrderRouted', 'VenueOrderSubmitted']);
    });

    it('handed back after its venue acknowledged it (a reject after the ack, or found at reconciliation), it is armed all the same', () => {
      const refused: OrderCommand = {
        type: 'CloseVenueOrder',
        data: { orderId, childId: 'o1.1', outcome: 'REJECTED', reason: 'venue reports REJECTED' },
        metadata: at(3),
      };
      const returned = spec
        .given(protectedStop, ...routed, acknowledged)
        .when(refused)
        .thenEvents();
      expect(returned.map((e) => e.type)).toEqual(['VenueOrderClosed', 'NativeStopReturned']);
      const armedAfter = spec
        .given(protectedStop, ...routed, acknowledged, ...returned)
        .when(arm('9600'))
        .thenEvents();
      expect(armedAfter.map((e) => e.type)).toEqual(['OrderArmed']);
    });

    it('a replace under way when its venue refuses it is settled at once, as for any order the OMS holds', () => {
      const replaceAsked: OrderEvent = {
        type: 'OrderReplaceRequested',
        data: { orderId, quantity: '2', limitPrice: null, requestedAt: iso(2) },
      };
      const refused: OrderCommand = {
        type: 'CloseVenueOrder',
        data: { orderId, childId: 'o1.1', outcome: 'REJECTED', reason: 'no' },
        metadata: at(3),
      };
      const events = spec
        .given(protectedStop, ...routed, replaceAsked)
        .when(refused)
        .thenEvents();
      expect(events.map((e) => e.type)).toEqual(['VenueOrderClosed', 'NativeStopReturned', 'OrderReplaced']);
      const after = [protectedStop, ...routed, replaceAsked, ...events].reduce(
        orderDecider.evolve,
        orderDecider.initialState(),
      ) as Order;
      expect([after.orderQty.toString(), after.pendingReplace, after.trigger?.status]).toEqual([
        '2',
        null,
        'ACCEPTED',
      ]);
    });

    it('a late fill of the slice it handed back is booked; the rest stays held by the OMS', () => {
      const refused: OrderCommand = {
        type: 'CloseVenueOrder',
        data: { orderId, childId: 'o1.1', outcome: 'REJECTED', reason: 'no' },
        metadata: at(3),
      };
      const returned = spec
        .given(protectedStop, ...routed)
        .when(refused)
        .thenEvents();
      const types = spec
        .given(protectedStop, ...routed, ...returned)
        .when({
          type: 'RecordFill',
          data: {
            orderId,
            execId: 'E1',
            venueId: 'SIM-A',
            childId: 'o1.1',
            quantity: '0.4',
            price: '9590',
            fee: '0',
            liquidity: 'TAKER',
            executedAt: iso(5),
          },
          metadata: at(5),
        })
        .thenEvents()
        .map((e) => e.type);
      expect(types).toEqual(['OrderFilled']);
    });

    it('one refused while a cancel is pending ends as any order its venue refuses', () => {
      const refused: OrderCommand = {
        type: 'CloseVenueOrder',
        data: { orderId, childId: 'o1.1', outcome: 'REJECTED', reason: 'no' },
        metadata: at(4),
      };
      const canceling: OrderEvent = {
        type: 'OrderCancelRequested',
        data: { orderId, reason: 'trader', requestedAt: iso(3) },
      };
      const types = spec
        .given(protectedStop, ...routed, canceling)
        .when(refused)
        .thenEvents()
        .map((e) => e.type);
      expect(types).not.toContain('NativeStopReturned');
    });

    it('its stop price is not replaced while its venue holds it: cancel it and place it again', () => {
      spec
        .given(protectedStop, ...routed, acknowledged)
        .when({ type: 'RequestReplace', data: { orderId, stopPrice: '9550' }, metadata: at(3) })
        .thenRejects('INVALID_REPLACE');
    });

    it('canceling it asks its venue (the stop may be triggering there); the OMS’s own trigger commands do nothing to it', () => {
      const given = [protectedStop, ...routed, acknowledged];
      spec
        .given(...given)
        .when({ type: 'RequestCancel', data: { orderId, reason: 'trader' }, metadata: at(3) })
        .then({ type: 'OrderCancelRequested', data: { orderId, reason: 'trader', requestedAt: iso(3) } });
      spec
        .given(...given)
        .when(arm('9600'))
        .thenNothing();
      spec
        .given(...given)
        .when(trigger('9500'))
        .thenRejects('ORDER_NOT_ARMED');
    });
  });

  describe('trailing stops', () => {
    const trailingSell = acceptedAs({
      side: 'SELL',
      type: 'TRAILING_STOP',
      trailingOffset: '20',
      trailingOffsetType: 'PRICE',
      triggerType: 'LAST',
    });
    const move = (stopPrice: string, watermark: string): OrderCommand => ({
      type: 'MoveTrailingStop',
      data: { orderId, stopPrice, watermark, market: market(watermark) },
      metadata: at(2),
    });

    it('a sell trailing stop follows the highest price, never back down', () => {
      const state = spec
        .given(trailingSell, armed('9660', '9680'))
        .when(move('9690', '9710'))
        .then({
          type: 'TrailingStopMoved',
          data: { orderId, stopPrice: '9690', watermark: '9710', market: market('9710'), movedAt: iso(2) },
        }) as Order;
      expect(state.trigger?.stopPrice?.toString()).toBe('9690');
      spec.given(trailingSell, armed('9660', '9680')).when(move('9650', '9670')).thenNothing();
    });

    it('the trail itself: the stop at the offset behind the best price, on a tick no closer', () => {
      const sell = {
        side: 'SELL' as const,
        offset: dec('20'),
        offsetType: 'PRICE' as const,
        tickSize: dec('0.01'),
      };
      let t = trail(sell, null, dec('9680'));
      expect([t.watermark.toString(), t.stopPrice.toString()]).toEqual(['9680', '9660']);
      t = trail(sell, t.watermark, dec('9700'));
      expect(t.stopPrice.toString()).toBe('9680');
      t = trail(sell, t.watermark, dec('9690')); // a dip does not move it back
      expect(t.stopPrice.toString()).toBe('9680');
      const buyBps = {
        side: 'BUY' as const,
        offset: dec('10'),
        offsetType: 'BASIS_POINTS' as const,
        tickSize: dec('0.01'),
      };
      // 10 bp of 9683.33 is 9.683333 above: 9693.013333 rounds up to 9693.02.
      expect(trail(buyBps, null, dec('9683.33')).stopPrice.toString()).toBe('9693.02');
    });

    it('a trailing stop-limit is released with its limit the limit offset beyond the stop', () => {
      const tsl = acceptedAs({
        side: 'SELL',
        type: 'TRAILING_STOP_LIMIT',
        trailingOffset: '20',
        trailingOffsetType: 'PRICE',
        limitOffset: '5',
      });
      const [, released] = spec.given(tsl, armed('9660', '9680')).when(trigger('9659')).thenEvents();
      expect(released).toMatchObject({ data: { type: 'LIMIT', limitPrice: '9655' } });
    });

    it('property: a trailing stop only ever moves in the order’s favour, and stays its offset from the best price', () => {
      fc.assert(
        fc.property(
          fc.constantFrom('BUY' as const, 'SELL' as const),
          fc.array(fc.integer({ min: 900_000, max: 1_000_000 }), { minLength: 1, maxLength: 60 }),
          (side, cents) => {
            const terms = { side, offset: dec('15.5'), offsetType: 'PRICE' as const, tickSize: dec('0.01') };
            let state: { watermark: ReturnType<typeof dec> | null; stop: ReturnType<typeof dec> | null } = {
              watermark: null,
              stop: null,
            };
            for (const c of cents) {
              const next = trail(terms, state.watermark, dec(`${c}e-2`));
              if (state.stop)
                expect(
                  side === 'SELL' ? next.stopPrice.gte(state.stop) : next.stopPrice.lte(state.stop),
                ).toBe(true);
              expect(next.stopPrice.minus(next.watermark).abs().toString()).toBe('15.5');
              state = { watermark: next.watermark, stop: next.stopPrice };
            }
          },
        ),
      );
    });
  });

  it('a released order is replaced as what it became: a STOP_LIMIT is a LIMIT (the collar applies), a trailing stop-limit keeps its limit', () => {
    const releasedAs = (
      t: Partial<OrderTerms>,
      stop: string,
      price: string,
      watermark: string | null = null,
    ) => {
      const given = spec.given(acceptedAs(t), armed(stop, watermark));
      return spec.given(acceptedAs(t), armed(stop, watermark), ...given.when(trigger(price)).thenEvents())
        .state as Order;
    };
    const stopLimit = releasedAs(
      { side: 'BUY', type: 'STOP_LIMIT', stopPrice: '9685', limitPrice: '9690' },
      '9685',
      '9685',
    );
    expect(workingTermsOf(stopLimit)).toMatchObject({ type: 'LIMIT', limitPrice: '9690' });
    expect(workingTermsOf(stopLimit).stopPrice).toBeUndefined();
    const account = accountDecider.evolve(accountDecider.initialState(), {
      type: 'RiskLimitsSet',
      data: { accountId: 'acc', limits, setAt: iso() },
    });
    const replaceRisk = (order: Order, quantity: string, limitPrice: string | null) =>
      accountDecider.decide(
        {
          type: 'ReserveReplacement',
          data: {
            accountId: 'acc',
            request: {
              ...preTrade(),
              order: { ...workingTermsOf(order), quantity, limitPrice },
              filledQuantity: '0',
            },
          },
          metadata: at(10),
        },
        account,
      );
    // 20 % through the reference (9680): refused by the collar, as on a plain LIMIT.
    const refused = replaceRisk(stopLimit, '0.3', '11616');
    expect(!refused.accepted && refused.rejections.map((r) => r.code)).toContain('PRICE_COLLAR_BREACHED');
    const trailingLimit = releasedAs(
      {
        side: 'SELL',
        type: 'TRAILING_STOP_LIMIT',
        trailingOffset: '20',
        trailingOffsetType: 'PRICE',
        limitOffset: '5',
      },
      '9660',
      '9659',
      '9680',
    );
    expect(workingTermsOf(trailingLimit)).toMatchObject({ type: 'LIMIT', limitPrice: '9655' });
    expect(replaceRisk(trailingLimit, '0.5', '9655').accepted).toBe(true);
    // A held STOP has no limit to replace.
    spec
      .given(sellStop, armed('9600'))
      .when({ type: 'RequestReplace', data: { orderId, limitPrice: '9590' }, metadata: at(3) })
      .thenRejects('INVALID_REPLACE');
  });

  it('which way each type triggers', () => {
    const p = dec;
    expect(reachesTrigger('STOP', 'BUY', p('100'), p('100'))).toBe(true);
    expect(reachesTrigger('STOP', 'BUY', p('100'), p('99.99'))).toBe(false);
    expect(reachesTrigger('TRAILING_STOP', 'SELL', p('100'), p('100.01'))).toBe(false);
    expect(reachesTrigger('LIMIT_IF_TOUCHED', 'BUY', p('100'), p('99'))).toBe(true);
    expect(reachesTrigger('MARKET_IF_TOUCHED', 'SELL', p('100'), p('99'))).toBe(false);
  });

  it('each order type refuses the fields it cannot use, and asks for those it needs, with a code', () => {
    const none: Omit<TypedOrderFields, 'type'> = {
      limitPrice: null,
      stopPrice: null,
      trailingOffset: null,
      trailingOffsetType: null,
      limitOffset: null,
      triggerType: null,
      postOnly: false,
      displayQuantity: null,
    };
    const problem = (fields: Partial<typeof none> & { type: OrderTerms['type'] }) =>
      orderFieldProblem({ ...none, ...fields })?.code ?? null;
    expect(problem({ type: 'MARKET', limitPrice: dec('1') })).toBe('FIELD_NOT_ALLOWED');
    expect(problem({ type: 'MARKET', stopPrice: dec('1') })).toBe('FIELD_NOT_ALLOWED');
    expect(problem({ type: 'LIMIT' })).toBe('LIMIT_PRICE_REQUIRED');
    expect(problem({ type: 'LIMIT', limitPrice: dec('1'), triggerType: 'LAST' })).toBe('FIELD_NOT_ALLOWED');
    expect(
      problem({ type: 'LIMIT', limitPrice: dec('1'), postOnly: true, displayQuantity: dec('1') }),
    ).toBeNull();
    expect(problem({ type: 'STOP' })).toBe('STOP_PRICE_REQUIRED');
    expect(problem({ type: 'STOP', stopPrice: dec('1'), postOnly: true })).toBe('FIELD_NOT_ALLOWED');
    expect(problem({ type: 'STOP_LIMIT', stopPrice: dec('1') })).toBe('LIMIT_PRICE_REQUIRED');
    expect(problem({ type: 'TRAILING_STOP' })).toBe('TRAILING_OFFSET_REQUIRED');
    expect(problem({ type: 'TRAILING_STOP', trailingOffset: dec('5'), stopPrice: dec('1') })).toBe(
      'FIELD_NOT_ALLOWED',
    );
    expect(problem({ type: 'TRAILING_STOP', trailingOffset: dec('5'), limitOffset: dec('1') })).toBe(
      'FIELD_NOT_ALLOWED',
    );
    expect(
      problem({ type: 'TRAILING_STOP_LIMIT', trailingOffset: dec('5'), limitOffset: dec('1') }),
    ).toBeNull();
    expect(
      problem({ type: 'TRAILING_STOP', trailingOffset: dec('10000'), trailingOffsetType: 'BASIS_POINTS' }),
    ).toBe('INVALID_PRICE');
    expect(problem({ type: 'MARKET_IF_TOUCHED', stopPrice: dec('-1') })).toBe('INVALID_PRICE');
    expect(problem({ type: 'LIMIT_IF_TOUCHED', stopPrice: dec('1'), limitPrice: dec('1') })).toBeNull();
  });
});
