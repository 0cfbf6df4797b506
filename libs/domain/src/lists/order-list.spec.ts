import fc from 'fast-check';
import { Decimal, dec } from '../decimal/decimal';
import { at } from '../testing/fixtures';
import {
  LegTemplate,
  MemberState,
  OrderListEvent,
  OrderListState,
  legClientOrderId,
  nextLegClientOrderIds,
  orderListDecider,
} from './order-list';

const leg = (
  key: string,
  role: LegTemplate['role'],
  side: 'BUY' | 'SELL',
  type: LegTemplate['terms']['type'],
  extra: Partial<LegTemplate['terms']> = {},
): LegTemplate => ({
  key,
  role,
  terms: {
    instrumentId: 'BTCUSDT',
    side,
    type,
    timeInForce: 'GTC',
    quantity: '1',
    limitPrice: null,
    venueId: null,
    ...extra,
  },
});
const bracketLegs = [
  leg('entry', 'ENTRY', 'BUY', 'LIMIT', { limitPrice: '9700' }),
  leg('tp', 'TAKE_PROFIT', 'SELL', 'LIMIT', { limitPrice: '9800' }),
  leg('sl', 'STOP_LOSS', 'SELL', 'STOP', { stopPrice: '9600' }),
];

/** A list and its members, moved by hand: fills, ends, and what the list decides each time. */
function world(contingency: 'OCO' | 'OTO' | 'BRACKET', legs: LegTemplate[]) {
  let state: OrderListState = orderListDecider.initialState();
  const members: Record<string, MemberState> = {};
  const history: OrderListEvent[] = [];
  const apply = (events: OrderListEvent[]) => {
    for (const event of events) {
      state = orderListDecider.evolve(state, event);
      history.push(event);
      if (event.type === 'ListLegPlaced')
        members[event.data.orderId] = { status: 'NEW', orderQty: event.data.quantity, cumQty: '0' };
      if (event.type === 'ListLegResized')
        members[event.data.orderId] = { ...members[event.data.orderId], orderQty: event.data.quantity };
      if (event.type === 'ListLegCanceled')
        members[event.data.orderId] = { ...members[event.data.orderId], status: 'CANCELED' };
    }
    return events;
  };
  const decide = (command: Parameters<typeof orderListDecider.decide>[0]) => {
    const decision = orderListDecider.decide(command, state);
    if (!decision.accepted) throw new Error(JSON.stringify(decision.rejections));
    return apply(decision.events);
  };
  decide({
    type: 'PlaceOrderList',
    data: { listId: 'L', accountId: 'acc', clientListId: 'b1', contingency, legs },
    metadata: at(),
  });
  const reconcile = () =>
    decide({
      type: 'ReconcileList',
      data: {
        listId: 'L',
        members: { ...members },
        orderIdOf: Object.fromEntries(nextLegClientOrderIds(state).map((c) => [c, `o:${c}`])),
      },
      metadata: at(1),
    });
  const orderOf = (key: string) => {
    if (!state.exists) throw new Error('no list');
    const placed = state.legs[key].placed;
    return placed[placed.length - 1]?.orderId;
  };
  const fill = (key: string, quantity: string) => {
    const m = members[orderOf(key)];
    const cumQty = dec(m.cumQty).plus(dec(quantity));
    members[orderOf(key)] = {
      ...m,
      cumQty: cumQty.toString(),
      status: cumQty.eq(dec(m.orderQty)) ? 'FILLED' : 'PARTIALLY_FILLED',
    };
  };
  const end = (key: string, status: MemberState['status']) =>
    (members[orderOf(key)] = { ...members[orderOf(key)], status });
  return { reconcile, fill, end, members, orderOf, history, apply, state: () => state };
}

const types = (events: OrderListEvent[]) =>
  events.map(
    (e) =>
      `${e.type}${'key' in e.data ? ` ${e.data.key}` : ''}${'quantity' in e.data ? ` ${e.data.quantity}` : ''}`,
  );

describe('order lists', () => {
  it('a bracket: the entry goes out; its fills place both exits at what filled, and they grow with it', () => {
    const w = world('BRACKET', bracketLegs);
    expect(types(w.reconcile())).toEqual(['ListLegPlaced entry 1']);
    expect(w.orderOf('entry')).toBe(`o:${legClientOrderId('b1', 'entry', 1)}`);
    expect(w.reconcile()).toEqual([]); // nothing filled: nothing to protect
    w.fill('entry', '0.4');
    expect(types(w.reconcile())).toEqual(['ListLegPlaced tp 0.4', 'ListLegPlaced sl 0.4']);
    w.fill('entry', '0.6');
    expect(types(w.reconcile())).toEqual(['ListLegResized tp 1', 'ListLegResized sl 1']);
  });

  it('a bracket: the take-profit fills, the stop-loss shrinks with it and is canceled when the position is closed', () => {
    const w = world('BRACKET', bracketLegs);
    w.reconcile();
    w.fill('entry', '1');
    w.reconcile();
    w.fill('tp', '0.3');
    expect(types(w.reconcile())).toEqual(['ListLegResized sl 0.7']);
    w.fill('tp', '0.7');
    const last = w.reconcile();
    expect(types(last)).toEqual(['ListLegCanceled sl']);
    expect(last[0].data).toMatchObject({ reason: 'the position is closed' });
    expect(types(w.reconcile())).toEqual(['OrderListEnded']);
  });

  it('a bracket exit’s resize is asked once: not again while it is on its way, nor after it was refused', () => {
    const w = world('BRACKET', bracketLegs);
    w.reconcile();
    w.fill('entry', '0.4');
    w.reconcile();
    const sl = w.orderOf('sl');
    w.fill('entry', '0.6');
    expect(types(w.reconcile())).toEqual(['ListLegResized tp 1', 'ListLegResized sl 1']);
    // The venue has not answered the stop-loss's resize yet (or refused it): nothing is asked again.
    w.members[sl] = { status: 'PENDING_REPLACE', orderQty: '0.4', cumQty: '0' };
    expect(w.reconcile()).toEqual([]);
    w.members[sl] = { status: 'NEW', orderQty: '0.4', cumQty: '0' }; // refused: it stays at 0.4, under the 1 open
    expect(w.reconcile()).toEqual([]);
  });

  it('a bracket exit whose shrink was refused, holding more than is open, is canceled, then placed again at the open size', () => {
    const w = world('BRACKET', bracketLegs);
    w.reconcile();
    w.fill('entry', '1');
    w.reconcile();
    const sl = w.orderOf('sl');
    w.fill('tp', '0.6');
    expect(types(w.reconcile())).toEqual(['ListLegResized sl 0.4']);
    w.members[sl] = { status: 'NEW', orderQty: '1', cumQty: '0' }; // the shrink was refused
    const canceled = w.reconcile();
    expect(types(canceled)).toEqual(['ListLegCanceled sl']);
    // Once it is gone, a new one protects what is open.
    expect(types(w.reconcile())).toEqual(['ListLegPlaced sl 0.4']);
    expect(w.reconcile()).toEqual([]);
  });

  it('a bracket exit refused before it existed is placed again only when the position has changed', () => {
    const w = world('BRACKET', bracketLegs);
    w.reconcile();
    w.fill('entry', '0.4');
    w.reconcile();
    const s = w.state();
    if (!s.exists) throw new Error('no list');
    const failure = orderListDecider.decide(
      {
        type: 'RecordLegFailure',
        data: { listId: 'L', orderId: w.orderOf('sl'), code: 'OVERLOADED', reason: 'busy' },
        metadata: at(2),
      },
      s,
    );
    if (!failure.accepted) throw new Error('refused');
    w.apply(failure.events);
    expect(w.reconcile()).toEqual([]); // the same size again would only be refused again
    w.fill('entry', '0.6');
    expect(types(w.reconcile())).toEqual(['ListLegResized tp 1', 'ListLegPlaced sl 1']);
  });

  it('a bracket whose entry is canceled unfilled ends with nothing else placed', () => {
    const w = world('BRACKET', bracketLegs);
    w.reconcile();
    w.end('entry', 'CANCELED');
    expect(types(w.reconcile())).toEqual(['OrderListEnded']);
  });

  it('a whole list is replaced through the legs that carry its size: a bracket’s entry, every OCO member', () => {
    const b = world('BRACKET', bracketLegs);
    b.reconcile();
    const replaced = orderListDecider.decide(
      { type: 'ReplaceOrderList', data: { listId: 'L', quantity: '2' }, metadata: at(2) },
      b.state(),
    );
    if (!replaced.accepted) throw new Error('refused');
    expect(types(b.apply(replaced.events))).toEqual([
      'OrderListReplaceRequested 2',
      'ListLegResized entry 2',
    ]);
    // The exits are not placed yet: they follow what the entry fills.
    b.fill('entry', '2');
    expect(types(b.reconcile())).toEqual(['ListLegPlaced tp 2', 'ListLegPlaced sl 2']);

    const o = world('OCO', [
      leg('a', 'MEMBER', 'SELL', 'LIMIT', { limitPrice: '9800' }),
      leg('b', 'MEMBER', 'SELL', 'STOP', { stopPrice: '9600' }),
    ]);
    o.reconcile();
    const both = orderListDecider.decide(
      { type: 'ReplaceOrderList', data: { listId: 'L', quantity: '0.5' }, metadata: at(2) },
      o.state(),
    );
    if (!both.accepted) throw new Error('refused');
    expect(types(both.events)).toEqual([
      'OrderListReplaceRequested 0.5',
      'ListLegResized a 0.5',
      'ListLegResized b 0.5',
    ]);
  });

  it('OCO: one member fills and the others are canceled', () => {
    const w = world('OCO', [
      leg('a', 'MEMBER', 'SELL', 'LIMIT', { limitPrice: '9800' }),
      leg('b', 'MEMBER', 'SELL', 'STOP', { stopPrice: '9600' }),
    ]);
    expect(types(w.reconcile())).toEqual(['ListLegPlaced a 1', 'ListLegPlaced b 1']);
    w.fill('b', '0.2');
    const canceled = w.reconcile();
    expect(types(canceled)).toEqual(['ListLegCanceled a']);
    expect(canceled[0].data).toMatchObject({ reason: 'one cancels other: b filled 0.2' });
  });

  it('OTO: the primary’s first fill places the secondaries', () => {
    const w = world('OTO', [
      leg('p', 'PRIMARY', 'BUY', 'LIMIT', { limitPrice: '9700' }),
      leg('s', 'SECONDARY', 'SELL', 'LIMIT', { limitPrice: '9800' }),
    ]);
    expect(types(w.reconcile())).toEqual(['ListLegPlaced p 1']);
    expect(w.reconcile()).toEqual([]);
    w.fill('p', '0.1');
    expect(types(w.reconcile())).toEqual(['ListLegPlaced s 1']);
  });

  it('a list’s shape is checked: a bracket’s exits on the other side, a take-profit LIMIT, a stop-loss stop', () => {
    const refuse = (contingency: 'OCO' | 'OTO' | 'BRACKET', legs: LegTemplate[]) => {
      const d = orderListDecider.decide(
        {
          type: 'PlaceOrderList',
          data: { listId: 'L', accountId: 'a', clientListId: 'c', contingency, legs },
          metadata: at(),
        },
        orderListDecider.initialState(),
      );
      return d.accepted ? null : d.rejections[0].message;
    };
    expect(refuse('OCO', [bracketLegs[1]])).toMatch(/two or more/);
    expect(
      refuse('BRACKET', [
        bracketLegs[0],
        { ...bracketLegs[1], terms: { ...bracketLegs[1].terms, side: 'BUY' } },
        bracketLegs[2],
      ]),
    ).toMatch(/other side/);
    expect(
      refuse('BRACKET', [
        bracketLegs[0],
        bracketLegs[1],
        { ...bracketLegs[2], terms: { ...bracketLegs[2].terms, type: 'LIMIT', limitPrice: '1' } },
      ]),
    ).toMatch(/STOP_LOSS/);
    expect(refuse('BRACKET', bracketLegs)).toBeNull();
  });

  it('property: a bracket’s exits never hold more than the entry filled and they have not closed', () => {
    const step = fc.record({
      who: fc.constantFrom('entry', 'tp', 'sl'),
      share: fc.integer({ min: 1, max: 10 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const w = world('BRACKET', bracketLegs);
        w.reconcile();
        for (const { who, share } of steps) {
          const orderId = w.orderOf(who);
          const m = orderId ? w.members[orderId] : undefined;
          if (m && !['FILLED', 'CANCELED'].includes(m.status)) {
            // A venue fills at most what the order has open.
            const open = dec(m.orderQty).minus(dec(m.cumQty));
            const qty = Decimal.min(open, dec(`${share}e-1`));
            if (qty.isPositive()) w.fill(who, qty.toString());
          }
          w.reconcile();
          const s = w.state();
          if (!s.exists) throw new Error('no list');
          const filled = (key: string) =>
            s.legs[key].placed.reduce(
              (sum, p) => sum.plus(dec(w.members[p.orderId]?.cumQty ?? '0')),
              Decimal.ZERO,
            );
          const entryFilled = filled('entry');
          const exitsFilled = filled('tp').plus(filled('sl'));
          expect(exitsFilled.lte(entryFilled)).toBe(true);
          for (const key of ['tp', 'sl']) {
            const id = w.orderOf(key);
            const exit = id ? w.members[id] : undefined;
            if (exit && !['FILLED', 'CANCELED'].includes(exit.status)) {
              expect(dec(exit.orderQty).minus(dec(exit.cumQty)).lte(entryFilled.minus(exitsFilled))).toBe(
                true,
              );
            }
          }
        }
      }),
    );
  });

  it('property: once an OCO member fills, every other member is canceled at the next decision', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.nat(), (n, pick) => {
        const w = world(
          'OCO',
          Array.from({ length: n }, (_, i) =>
            leg(`m${i}`, 'MEMBER', 'SELL', 'LIMIT', { limitPrice: `${9800 + i}` }),
          ),
        );
        w.reconcile();
        const filler = `m${pick % n}`;
        w.fill(filler, '0.5');
        w.reconcile();
        for (let i = 0; i < n; i++) {
          const m = w.members[w.orderOf(`m${i}`)];
          if (`m${i}` !== filler) expect(m.status).toBe('CANCELED');
        }
      }),
    );
  });
});
