import { dec } from '../decimal/decimal';
import { deciderSpec } from '../testing/decider-spec';
import { T0, at, btc, iso, limits, preTrade } from '../testing/fixtures';
import { AccountEvent, AccountState, RiskLimitsData, bookedFillsOf } from './account';
import { AccountCommand, accountDecider } from './account.decide';
import { PreTradeRequest, RISK_REJECTION_CODES } from './risk-checks';

const spec = deciderSpec(accountDecider);
const accountId = 'acc';

const limitsSet = (overrides: Partial<RiskLimitsData> = {}): AccountEvent => ({
  type: 'RiskLimitsSet',
  data: { accountId, limits: { ...limits, ...overrides }, setAt: iso() },
});
const reserved = (
  orderId: string,
  side: 'BUY' | 'SELL',
  quantity: string,
  price = '9680',
  offset = 0,
): AccountEvent => ({
  type: 'ExposureReserved',
  data: {
    accountId,
    orderId,
    clientOrderId: `c-${orderId}`,
    instrumentId: 'BTCUSDT',
    side,
    quantity,
    price,
    notional: dec(quantity).times(dec(price)).toString(),
    reservedAt: iso(offset),
  },
});
const booked = (
  orderId: string,
  side: 'BUY' | 'SELL',
  quantity: string,
  price: string,
  seq: string,
  fee = '0',
): AccountEvent =>
  ({
    type: 'FillBooked',
    data: {
      accountId,
      orderId,
      execId: `x-${seq}`,
      instrumentId: 'BTCUSDT',
      side,
      quantity,
      price,
      fee,
      executedAt: iso(),
      sourceSequence: seq,
      position: { quantity: '0', averagePrice: '0', realizedPnl: '0', fees: '0' },
    },
  }) as AccountEvent;

const reserve = (request: PreTradeRequest, offset = 0): AccountCommand => ({
  type: 'ReserveExposure',
  data: { accountId, request },
  metadata: at(offset),
});

describe('account: pre-trade risk', () => {
  it('reserves exposure for an order that passes every check', () => {
    const state = spec
      .given(limitsSet())
      .when(reserve(preTrade({ quantity: '1', limitPrice: '9680.5' })))
      .then({
        type: 'ExposureReserved',
        data: {
          accountId,
          orderId: 'o1',
          clientOrderId: 'c1',
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          quantity: '1',
          price: '9680.5',
          notional: '9680.5',
          reservedAt: iso(),
          referencePrice: '9680',
          referenceObservedAt: iso(-100),
        },
      });
    expect(state.openNotional.toString()).toBe('9680.5');
    expect(state.openQuantity.get('BTCUSDT')?.buy.toString()).toBe('1');
  });

  it('reserves a market order at the collar edge (its worst acceptable price)', () => {
    const decision = accountDecider.decide(
      reserve(preTrade({ type: 'MARKET', limitPrice: null, quantity: '2' })),
      accountDecider.evolve(accountDecider.initialState(), limitsSet()),
    );
    expect(
      decision.accepted && decision.events[0].type === 'ExposureReserved' && decision.events[0].data,
    ).toMatchObject({
      price: '10164',
      notional: '20328',
    });
  });

  describe('each rejection code', () => {
    const cases: [string, AccountEvent[], PreTradeRequest, number?][] = [
      [
        'TRADING_HALTED_GLOBAL',
        [limitsSet()],
        preTrade({}, { globalHalt: { reason: 'exchange outage', haltedAt: iso() } }),
      ],
      [
        'TRADING_HALTED_ACCOUNT',
        [
          limitsSet(),
          { type: 'TradingHalted', data: { accountId, reason: 'ops', automatic: false, haltedAt: iso() } },
        ],
        preTrade(),
      ],
      [
        'TRADING_HALTED_INSTRUMENT',
        [limitsSet()],
        preTrade({}, { instrumentHalt: { reason: 'news', haltedAt: iso() } }),
      ],
      [
        'TRADING_REDUCING_GLOBAL',
        [limitsSet()],
        preTrade({}, { globalHalt: { state: 'REDUCING', reason: 'desk limit', haltedAt: iso() } }),
      ],
      [
        'TRADING_REDUCING_ACCOUNT',
        [
          limitsSet(),
          {
            type: 'TradingHalted',
            data: { accountId, reason: 'ops', automatic: false, haltedAt: iso(), state: 'REDUCING' },
          },
        ],
        preTrade(),
      ],
      [
        'TRADING_REDUCING_INSTRUMENT',
        [limitsSet()],
        preTrade({}, { instrumentHalt: { state: 'REDUCING', reason: 'news', haltedAt: iso() } }),
      ],
      ['INSTRUMENT_NOT_TRADABLE', [limitsSet()], preTrade({}, { instrument: { ...btc, tradable: false } })],
      ['INSTRUMENT_NOT_ALLOWED', [limitsSet({ allowedInstruments: ['ETHUSDT'] })], preTrade()],
      ['QUANTITY_NOT_LOT_MULTIPLE', [limitsSet()], preTrade({ quantity: '1.0005' })],
      [
        'QUANTITY_BELOW_MINIMUM',
        [limitsSet()],
        preTrade({ quantity: '0.001' }, { instrument: { ...btc, minQuantity: dec('0.01') } }),
      ],
      [
        'QUANTITY_ABOVE_MAXIMUM',
        [
          limitsSet({
            maxOrderQuantity: '1000',
            maxOrderNotional: '1e12',
            maxPosition: '1000',
            maxOpenNotional: '1e12',
          }),
        ],
        preTrade({ quantity: '101' }),
      ],
      ['LIMIT_PRICE_REQUIRED', [limitsSet()], preTrade({ limitPrice: null })],
      ['EXPIRY_REQUIRED', [limitsSet()], preTrade({ timeInForce: 'GTD' })],
      ['EXPIRY_INVALID', [limitsSet()], preTrade({ timeInForce: 'GTD', expireAt: 'tomorrow' })],
      ['EXPIRY_INVALID', [limitsSet()], preTrade({ timeInForce: 'GTD', expireAt: iso(-1) })],
      ['EXPIRY_INVALID', [limitsSet()], preTrade({ timeInForce: 'GTD', expireAt: iso(367 * 86_400_000) })],
      ['EXPIRY_NOT_ALLOWED', [limitsSet()], preTrade({ timeInForce: 'GTC', expireAt: iso(60_000) })],
      ['LIMIT_PRICE_NOT_ALLOWED', [limitsSet()], preTrade({ type: 'MARKET', limitPrice: '9680' })],
      ['PRICE_NOT_TICK_MULTIPLE', [limitsSet()], preTrade({ limitPrice: '9680.005' })],
      [
        'MAX_ORDER_QUANTITY_EXCEEDED',
        [limitsSet({ maxOrderNotional: '1e9', maxPosition: '100', maxOpenNotional: '1e9' })],
        preTrade({ quantity: '6' }),
      ],
      ['MAX_ORDER_NOTIONAL_EXCEEDED', [limitsSet({ maxOrderNotional: '9000' })], preTrade()],
      ['REFERENCE_PRICE_MISSING', [limitsSet()], preTrade({}, { referencePrice: null })],
      [
        'REFERENCE_PRICE_STALE',
        [limitsSet()],
        preTrade({}, { referencePrice: { price: dec('9680'), observedAt: T0.getTime() - 5_001 } }),
      ],
      [
        'REFERENCE_PRICE_INVALID',
        [limitsSet()],
        preTrade({}, { referencePrice: { price: dec('0'), observedAt: T0.getTime() - 100 } }),
      ],
      ['PRICE_COLLAR_BREACHED', [limitsSet()], preTrade({ limitPrice: '10164.01' })],
      ['POSITION_LIMIT_EXCEEDED', [limitsSet({ maxPosition: '1.5' })], preTrade({ quantity: '2' })],
      ['OPEN_NOTIONAL_LIMIT_EXCEEDED', [limitsSet({ maxOpenNotional: '9000' })], preTrade()],
      ['DUPLICATE_CLIENT_ORDER_ID', [limitsSet(), reserved('o1', 'BUY', '1')], preTrade()],
      ['REDUCE_ONLY_VIOLATION', [limitsSet({ reduceOnly: true })], preTrade()],
    ];

    it.each(cases)('%s', (code, history, request) => {
      spec
        .given(...history)
        .when(reserve(request))
        .thenRejects(code);
    });

    it('covers every code the risk checks can return', () => {
      const covered = new Set([
        ...cases.map(([code]) => code),
        'RISK_LIMITS_NOT_SET',
        'INSTRUMENT_UNKNOWN',
        'QUANTITY_NOT_POSITIVE',
        'PRICE_NOT_POSITIVE',
        'ORDER_RATE_LIMIT_EXCEEDED',
        'REPLACE_RATE_LIMIT_EXCEEDED', // account: replace re-runs pre-trade risk
      ]);
      expect([...RISK_REJECTION_CODES].filter((c) => !covered.has(c))).toEqual([]);
    });

    it('QUANTITY_NOT_POSITIVE for zero, negative and malformed quantities', () => {
      for (const quantity of ['0', '-1', 'abc', 'NaN']) {
        spec
          .given(limitsSet())
          .when(reserve(preTrade({ quantity })))
          .thenRejects('QUANTITY_NOT_POSITIVE');
      }
    });

    it('PRICE_NOT_POSITIVE for a zero, negative or malformed limit price', () => {
      for (const limitPrice of ['0', '-5', 'Infinity']) {
        const [first] = spec.given(limitsSet()).when(reserve(preTrade({ limitPrice }))).decision.accepted
          ? []
          : (
              accountDecider.decide(reserve(preTrade({ limitPrice })), spec.given(limitsSet()).state) as {
                rejections: { code: string }[];
              }
            ).rejections;
        expect(first.code).toBe('PRICE_NOT_POSITIVE');
      }
    });

    it('ORDER_RATE_LIMIT_EXCEEDED within the sliding window, and free again once it slides', () => {
      const history = [
        limitsSet({ maxOrdersPerWindow: 2, orderRateWindowMs: 1000 }),
        reserved('a', 'BUY', '0.1', '9680', -900),
        reserved('b', 'BUY', '0.1', '9680', -100),
      ];
      spec
        .given(...history)
        .when(reserve(preTrade()))
        .thenRejects('ORDER_RATE_LIMIT_EXCEEDED');
      // 150 ms later the first order has left the window.
      const later = preTrade({}, { referencePrice: { price: dec('9680'), observedAt: T0.getTime() + 100 } });
      expect(accountDecider.decide(reserve(later, 150), spec.given(...history).state).accepted).toBe(true);
    });

    it('keeps only the acceptances the throttle can count: inside the window, at most the limit', () => {
      const many = Array.from({ length: 40 }, (_, i) =>
        reserved(`t${i}`, 'BUY', '0.001', '9680', -800 + i * 10),
      );
      const state = spec.given(limitsSet({ maxOrdersPerWindow: 5, orderRateWindowMs: 1000 }), ...many).state;
      expect(state.recentOrderTimes).toHaveLength(6);
      expect(state.recentOrderTimes[5]).toBe(T0.getTime() - 800 + 39 * 10);
      spec
        .given(limitsSet({ maxOrdersPerWindow: 5, orderRateWindowMs: 1000 }), ...many)
        .when(reserve(preTrade()))
        .thenRejects('ORDER_RATE_LIMIT_EXCEEDED');
      // A reservation stamped earlier than the last one (another instance's clock) still counts in order.
      const late = spec.given(
        limitsSet({ maxOrdersPerWindow: 10, orderRateWindowMs: 1000 }),
        reserved('x', 'BUY', '0.001', '9680', -100),
        reserved('y', 'BUY', '0.001', '9680', -300),
      ).state;
      expect(late.recentOrderTimes).toEqual([T0.getTime() - 300, T0.getTime() - 100]);
    });
  });

  describe('fails closed', () => {
    it('refuses everything when the account has no risk limits', () => {
      spec.given().when(reserve(preTrade())).thenRejects('RISK_LIMITS_NOT_SET');
    });

    it('refuses an unknown instrument', () => {
      spec
        .given(limitsSet())
        .when(reserve(preTrade({ instrumentId: 'DOGEUSDT' }, { instrument: null })))
        .thenRejects('INSTRUMENT_UNKNOWN');
    });

    it('refuses a reference price from the future, or observed at no known time', () => {
      for (const observedAt of [T0.getTime() + 60_000, Number.NaN]) {
        spec
          .given(limitsSet())
          .when(reserve(preTrade({}, { referencePrice: { price: dec('9680'), observedAt } })))
          .thenRejects('REFERENCE_PRICE_INVALID');
      }
    });

    it('refuses a reference price of zero or below: a market order would reserve nothing', () => {
      for (const price of ['0', '-1']) {
        spec
          .given(limitsSet())
          .when(
            reserve(
              preTrade(
                { type: 'MARKET', limitPrice: null },
                { referencePrice: { price: dec(price), observedAt: T0.getTime() - 100 } },
              ),
            ),
          )
          .thenRejects('REFERENCE_PRICE_INVALID');
      }
    });

    it('refuses a market order with no reference price (it cannot be priced)', () => {
      spec
        .given(limitsSet())
        .when(reserve(preTrade({ type: 'MARKET', limitPrice: null }, { referencePrice: null })))
        .thenRejects('REFERENCE_PRICE_MISSING');
    });
  });

  it('reports every failing check, not only the first', () => {
    spec
      .given(limitsSet({ maxOrderQuantity: '1', maxOrderNotional: '1000' }))
      .when(
        reserve(
          preTrade(
            { quantity: '2.0005', limitPrice: '20000.001' },
            { globalHalt: { reason: 'x', haltedAt: iso() } },
          ),
        ),
      )
      .thenRejects(
        'TRADING_HALTED_GLOBAL',
        'QUANTITY_NOT_LOT_MULTIPLE',
        'PRICE_NOT_TICK_MULTIPLE',
        'MAX_ORDER_QUANTITY_EXCEEDED',
        'PRICE_COLLAR_BREACHED',
        'MAX_ORDER_NOTIONAL_EXCEEDED',
      );
  });

  it('accepts the collar edges exactly', () => {
    expect(
      accountDecider.decide(reserve(preTrade({ limitPrice: '10164' })), spec.given(limitsSet()).state)
        .accepted,
    ).toBe(true);
    expect(
      accountDecider.decide(reserve(preTrade({ limitPrice: '9196' })), spec.given(limitsSet()).state)
        .accepted,
    ).toBe(true);
  });

  describe('position limit counts open orders, not only fills', () => {
    const history = [
      limitsSet({ maxPosition: '3' }),
      booked('f', 'BUY', '1', '9680', '0001'),
      reserved('o9', 'BUY', '1.5'),
    ];

    it('refuses a buy that would pass the limit once the open buys fill', () => {
      spec
        .given(...history)
        .when(reserve(preTrade({ quantity: '0.6' })))
        .thenRejects('POSITION_LIMIT_EXCEEDED');
    });

    it('allows a buy up to the limit', () => {
      expect(
        accountDecider.decide(reserve(preTrade({ quantity: '0.5' })), spec.given(...history).state).accepted,
      ).toBe(true);
    });

    it('open buys do not count against a sell', () => {
      expect(
        accountDecider.decide(
          reserve(preTrade({ side: 'SELL', quantity: '4' })),
          spec.given(...history).state,
        ).accepted,
      ).toBe(true);
      spec
        .given(...history)
        .when(reserve(preTrade({ side: 'SELL', quantity: '4.001' })))
        .thenRejects('POSITION_LIMIT_EXCEEDED');
    });

    it('a flip through zero is judged on where it ends: long 10, limit lowered to 5, a SELL of 18 is refused', () => {
      const long10 = [
        limitsSet({ maxPosition: '10' }),
        booked('f', 'BUY', '10', '9680', '0001'),
        limitsSet({ maxPosition: '5', maxOrderQuantity: '20', maxOrderNotional: '1000000' }),
      ];
      spec
        .given(...long10)
        .when(reserve(preTrade({ side: 'SELL', quantity: '18' })))
        .thenRejects('POSITION_LIMIT_EXCEEDED');
      // Reducing towards zero, or through it to within the limit, is always allowed.
      for (const quantity of ['7', '10', '15']) {
        expect(
          accountDecider.decide(reserve(preTrade({ side: 'SELL', quantity })), spec.given(...long10).state)
            .accepted,
        ).toBe(true);
      }
    });

    it('per-instrument override replaces the default', () => {
      spec
        .given(limitsSet({ maxPosition: '100', positionLimits: { BTCUSDT: '0.5' } }))
        .when(reserve(preTrade({ quantity: '1' })))
        .thenRejects('POSITION_LIMIT_EXCEEDED');
    });
  });

  describe('reduce-only', () => {
    const long2 = [limitsSet({ reduceOnly: true }), booked('f', 'BUY', '2', '9680', '0001')];
    it('lets a sell reduce a long', () => {
      expect(
        accountDecider.decide(reserve(preTrade({ side: 'SELL', quantity: '2' })), spec.given(...long2).state)
          .accepted,
      ).toBe(true);
    });
    it('refuses a sell that would flip the position, counting open sells', () => {
      spec
        .given(...long2)
        .when(reserve(preTrade({ side: 'SELL', quantity: '2.001' })))
        .thenRejects('REDUCE_ONLY_VIOLATION');
      spec
        .given(...long2, reserved('s1', 'SELL', '1.5'))
        .when(reserve(preTrade({ side: 'SELL', quantity: '0.6' })))
        .thenRejects('REDUCE_ONLY_VIOLATION');
    });
    it('refuses a buy that adds to a long', () => {
      spec
        .given(...long2)
        .when(reserve(preTrade({ side: 'BUY', quantity: '0.001' })))
        .thenRejects('REDUCE_ONLY_VIOLATION');
    });
  });
});

describe('trading states: REDUCING lets a position shrink, HALTED lets nothing trade (issue 12, halts)', () => {
  const long2 = [limitsSet(), booked('f', 'BUY', '2', '9680', '0001')];
  const reducing = { state: 'REDUCING' as const, reason: 'risk review', haltedAt: iso() };
  const accountReducing: AccountEvent = {
    type: 'TradingHalted',
    data: { accountId, reason: 'risk review', automatic: false, haltedAt: iso(), state: 'REDUCING' },
  };
  const accepted = (history: AccountEvent[], command: AccountCommand) =>
    accountDecider.decide(command, spec.given(...history).state).accepted;

  it('an account in REDUCING can flatten, and cannot grow or flip', () => {
    expect(accepted([...long2, accountReducing], reserve(preTrade({ side: 'SELL', quantity: '2' })))).toBe(
      true,
    );
    spec
      .given(...long2, accountReducing)
      .when(reserve(preTrade({ side: 'BUY', quantity: '0.001' })))
      .thenRejects('TRADING_REDUCING_ACCOUNT');
    spec
      .given(...long2, accountReducing)
      .when(reserve(preTrade({ side: 'SELL', quantity: '2.001' })))
      .thenRejects('TRADING_REDUCING_ACCOUNT');
    // Open sells count: 1.5 working and 0.6 more would take it past flat.
    spec
      .given(...long2, accountReducing, reserved('s1', 'SELL', '1.5'))
      .when(reserve(preTrade({ side: 'SELL', quantity: '0.6' })))
      .thenRejects('TRADING_REDUCING_ACCOUNT');
  });

  it('an instrument or the whole market in REDUCING: the same, per account position', () => {
    expect(
      accepted(long2, reserve(preTrade({ side: 'SELL', quantity: '1' }, { instrumentHalt: reducing }))),
    ).toBe(true);
    spec
      .given(...long2)
      .when(reserve(preTrade({ side: 'BUY', quantity: '1' }, { instrumentHalt: reducing })))
      .thenRejects('TRADING_REDUCING_INSTRUMENT');
    spec
      .given(...long2)
      .when(reserve(preTrade({ side: 'BUY', quantity: '1' }, { globalHalt: reducing })))
      .thenRejects('TRADING_REDUCING_GLOBAL');
    // A flat account can only stay flat.
    spec
      .given(limitsSet())
      .when(reserve(preTrade({ side: 'SELL', quantity: '1' }, { globalHalt: reducing })))
      .thenRejects('TRADING_REDUCING_GLOBAL');
  });

  it('HALTED refuses even a reducing order; a halt at another level is a new event, the same one is not', () => {
    const halted: AccountEvent = {
      type: 'TradingHalted',
      data: { accountId, reason: 'stop', automatic: false, haltedAt: iso(), state: 'HALTED' },
    };
    spec
      .given(...long2, halted)
      .when(reserve(preTrade({ side: 'SELL', quantity: '1' })))
      .thenRejects('TRADING_HALTED_ACCOUNT');
    const halt = (state: 'REDUCING' | 'HALTED'): AccountCommand => ({
      type: 'HaltTrading',
      data: { accountId, reason: 'stop', state },
      metadata: at(),
    });
    spec
      .given(...long2, accountReducing)
      .when(halt('REDUCING'))
      .thenNothing();
    spec
      .given(...long2, accountReducing)
      .when(halt('HALTED'))
      .then({
        type: 'TradingHalted',
        data: {
          accountId,
          reason: 'stop',
          automatic: false,
          haltedAt: iso(),
          state: 'HALTED',
          cancelWorking: true,
        },
      });
  });
});

describe('account: limits and halts', () => {
  it('sets risk limits (canonical decimals) and ignores an identical repeat', () => {
    const state = spec
      .given()
      .when({
        type: 'SetRiskLimits',
        data: { accountId, limits: { ...limits, maxOrderQuantity: '5.00' } },
        metadata: at(),
      })
      .then(limitsSet());
    spec
      .given(limitsSet())
      .when({ type: 'SetRiskLimits', data: { accountId, limits }, metadata: at() })
      .thenNothing();
    expect(state.limits?.maxOrderQuantity.toString()).toBe('5');
  });

  it('refuses malformed limits with every problem named', () => {
    const [r] = spec
      .given()
      .when({
        type: 'SetRiskLimits',
        data: {
          accountId,
          limits: { ...limits, maxOrderQuantity: '-1', priceCollarPercent: 'abc', maxOrdersPerWindow: 0 },
        },
        metadata: at(),
      })
      .thenRejects('INVALID_RISK_LIMITS');
    expect(r.message).toContain('maxOrderQuantity');
    expect(r.message).toContain('priceCollarPercent');
    expect(r.message).toContain('maxOrdersPerWindow');
  });

  it('halts and resumes the account; repeats are no-ops', () => {
    const halted: AccountEvent = {
      type: 'TradingHalted',
      data: {
        accountId,
        reason: 'ops',
        automatic: false,
        haltedAt: iso(),
        state: 'HALTED',
        cancelWorking: true,
      },
    };
    spec
      .given(limitsSet())
      .when({ type: 'HaltTrading', data: { accountId, reason: 'ops' }, metadata: at() })
      .then(halted);
    spec
      .given(limitsSet(), halted)
      .when({ type: 'HaltTrading', data: { accountId, reason: 'again' }, metadata: at() })
      .thenNothing();
    const state = spec
      .given(limitsSet(), halted)
      .when({ type: 'ResumeTrading', data: { accountId }, metadata: at() })
      .then({ type: 'TradingResumed', data: { accountId, resumedAt: iso() } });
    expect(state.halt).toBeNull();
  });
});

describe('account: ledger (fills and releases)', () => {
  const bookFill = (
    orderId: string,
    side: 'BUY' | 'SELL',
    quantity: string,
    price: string,
    seq: string,
    fee = '0',
  ): AccountCommand => ({
    type: 'BookFill',
    data: {
      accountId,
      orderId,
      execId: `x-${seq}`,
      instrumentId: 'BTCUSDT',
      side,
      quantity,
      price,
      fee,
      executedAt: iso(),
      sourceSequence: seq,
    },
    metadata: at(),
  });

  it('a fee in another currency is booked apart: not in realised net, not in the loss limit', () => {
    const command = bookFill('o2', 'SELL', '1', '9600', '0002', '7');
    const decision = accountDecider.decide(
      { ...command, data: { ...command.data, feeCurrency: 'BNB' } } as AccountCommand,
      [limitsSet({ maxDailyLoss: '85' }), booked('o1', 'BUY', '1', '9680', '0001')].reduce(
        accountDecider.evolve,
        accountDecider.initialState(),
      ),
    );
    if (!decision.accepted) throw new Error('refused');
    // Realised −80 in USDT, the 7 BNB beside it: the limit of 85 is not reached.
    expect(decision.events.map((e) => e.type)).toEqual(['FillBooked']);
    expect(decision.events[0].data).toMatchObject({
      feeCurrency: 'BNB',
      position: { realizedPnl: '-80', fees: '0', otherFees: { BNB: '7' } },
    });
  });

  it('books a fill into the position and consumes the reservation', () => {
    const state = spec
      .given(limitsSet(), reserved('o1', 'BUY', '2'))
      .when(bookFill('o1', 'BUY', '0.5', '9679', '0010', '0.2'))
      .then({
        type: 'FillBooked',
        data: {
          accountId,
          orderId: 'o1',
          execId: 'x-0010',
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          quantity: '0.5',
          price: '9679',
          fee: '0.2',
          executedAt: iso(),
          sourceSequence: '0010',
          position: {
            quantity: '0.5',
            costBasis: '4839.5',
            averagePrice: '9679',
            realizedPnl: '0',
            fees: '0.2',
          },
        },
      });
    expect(state.reservations.get('o1')?.quantity.toString()).toBe('1.5');
    expect(state.openNotional.toString()).toBe('14520');
    expect(state.openQuantity.get('BTCUSDT')?.buy.toString()).toBe('1.5');
  });

  it('a fill that completes an order releases its reservation: account state is bounded by open orders', () => {
    const filled = spec.given(
      limitsSet(),
      reserved('o1', 'BUY', '1'),
      reserved('o2', 'BUY', '2'),
      booked('o1', 'BUY', '0.4', '9680', '0001'),
      booked('o1', 'BUY', '0.6', '9680', '0002'),
    ).state;
    expect([...filled.reservations.keys()]).toEqual(['o2']);
    expect(filled.openQuantity.get('BTCUSDT')?.buy.toString()).toBe('2');
    expect(filled.openNotional.toString()).toBe('19360');
  });

  it('ignores a redelivered event (sequence at or below the last booked)', () => {
    spec
      .given(limitsSet(), booked('o1', 'BUY', '1', '9680', '0010'))
      .when(bookFill('o1', 'BUY', '1', '9680', '0010'))
      .thenNothing();
    spec
      .given(limitsSet(), booked('o1', 'BUY', '1', '9680', '0010'))
      .when(bookFill('o1', 'BUY', '1', '9680', '0009'))
      .thenNothing();
  });

  it('releases what is left of a reservation on cancel, reject or expiry', () => {
    const state = spec
      .given(limitsSet(), reserved('o1', 'BUY', '2'))
      .when({
        type: 'ReleaseExposure',
        data: { accountId, orderId: 'o1', reason: 'OrderCanceled', sourceSequence: '0011' },
        metadata: at(),
      })
      .then({
        type: 'ExposureReleased',
        data: {
          accountId,
          orderId: 'o1',
          quantity: '2',
          notional: '19360',
          reason: 'OrderCanceled',
          releasedAt: iso(),
          sourceSequence: '0011',
        },
      });
    expect(state.openNotional.isZero()).toBe(true);
    expect(state.openQuantity.size).toBe(0);
    spec
      .given(limitsSet())
      .when({
        type: 'ReleaseExposure',
        data: { accountId, orderId: 'nope', reason: 'x', sourceSequence: '0012' },
        metadata: at(),
      })
      .thenNothing();
  });

  it('sets a reservation to what works at the venue after a replace ended, once, with no limit check', () => {
    const adjust = (quantity: string, price: string | null, sourceSequence: string): AccountCommand => ({
      type: 'AdjustReservation',
      data: { accountId, orderId: 'o1', quantity, price, reason: 'OrderReplaceRejected', sourceSequence },
      metadata: at(),
    });
    // Risk reserved 1 @ 9680 for a requested downsize; the venue refused, so 2 @ 9700 still work.
    const state = spec
      .given(limitsSet({ maxOpenNotional: '10000' }), reserved('o1', 'BUY', '1', '9680'))
      .when(adjust('2', '9700', '0020'))
      .then({
        type: 'ExposureAdjusted',
        data: {
          accountId,
          orderId: 'o1',
          quantity: '2',
          price: '9700',
          notional: '19400',
          reason: 'OrderReplaceRejected',
          adjustedAt: iso(),
          sourceSequence: '0020',
        },
      });
    // Beyond the credit limit, and recorded all the same: the exposure exists.
    expect(state.openNotional.toString()).toBe('19400');
    expect(state.openQuantity.get('BTCUSDT')?.buy.toString()).toBe('2');
    expect(state.reservations.get('o1')?.price.toString()).toBe('9700');
    const after = [
      {
        type: 'ExposureAdjusted',
        data: {
          accountId,
          orderId: 'o1',
          quantity: '2',
          price: '9700',
          notional: '19400',
          reason: 'r',
          adjustedAt: iso(),
          sourceSequence: '0020',
        },
      },
    ] as const;
    // Redelivered (at or below the last applied sequence), unchanged, or for a released order: nothing.
    spec
      .given(limitsSet(), reserved('o1', 'BUY', '1', '9680'), ...after)
      .when(adjust('3', '9700', '0020'))
      .thenNothing();
    spec
      .given(limitsSet(), reserved('o1', 'BUY', '2', '9700'))
      .when(adjust('2', '9700', '0021'))
      .thenNothing();
    spec
      .given(limitsSet())
      .when(adjust('2', '9700', '0022'))
      .thenNothing();
    spec
      .given(limitsSet(), reserved('o1', 'BUY', '1'))
      .when(adjust('-1', null, '0023'))
      .thenRejects('INVALID_ADJUSTMENT');
  });

  it('puts the account in REDUCING automatically when the day’s loss reaches the limit', () => {
    const history = [limitsSet({ maxDailyLoss: '100' }), booked('o1', 'BUY', '1', '9680', '0001')];
    spec
      .given(...history)
      .when(bookFill('o2', 'SELL', '1', '9585', '0002', '5'))
      .then(
        {
          type: 'FillBooked',
          data: {
            accountId,
            orderId: 'o2',
            execId: 'x-0002',
            instrumentId: 'BTCUSDT',
            side: 'SELL',
            quantity: '1',
            price: '9585',
            fee: '5',
            executedAt: iso(),
            sourceSequence: '0002',
            position: { quantity: '0', costBasis: '0', averagePrice: '0', realizedPnl: '-95', fees: '5' },
          },
        },
        {
          type: 'TradingHalted',
          data: {
            accountId,
            reason: `MAX_DAILY_LOSS_BREACHED: P&L -100 on ${iso().slice(0, 10)} (realised net -100, unrealised losses 0) reached the limit −100`,
            automatic: true,
            haltedAt: iso(),
            state: 'REDUCING',
            cancelWorking: true,
          },
        },
      );
  });

  it('counts unrealised P&L at the mark: a breach puts the account in REDUCING, canceling what grows', () => {
    const command = bookFill('o2', 'BUY', '1', '9600', '0002');
    const decision = accountDecider.decide(
      { ...command, data: { ...command.data, marks: { BTCUSDT: '9580' } } } as AccountCommand,
      spec.given(limitsSet({ maxDailyLoss: '100' }), booked('o1', 'BUY', '1', '9680', '0001')).state,
    );
    if (!decision.accepted) throw new Error('refused');
    // Nothing realised; long 2 that cost 19,280, marked at 9,580: −120 against a limit of 100.
    expect(decision.events.map((e) => e.type)).toEqual(['FillBooked', 'TradingHalted']);
    expect(decision.events[1].data).toMatchObject({
      automatic: true,
      state: 'REDUCING',
      cancelWorking: true,
      reason: expect.stringMatching(/^MAX_DAILY_LOSS_BREACHED: P&L -120 /),
    });
    expect(decision.events[0].data).not.toHaveProperty('marks');
  });

  it('an unrealised gain does not hide a realised loss: only unrealised losses count against the limit', () => {
    const eth: AccountEvent = {
      ...booked('e1', 'BUY', '1', '1000', '0001'),
      data: {
        ...(booked('e1', 'BUY', '1', '1000', '0001').data as object),
        instrumentId: 'ETHUSDT',
        execId: 'x-eth',
      },
    } as AccountEvent;
    const command = bookFill('o2', 'SELL', '1', '9430', '0003');
    const decision = accountDecider.decide(
      {
        ...command,
        data: { ...command.data, marks: { ETHUSDT: '2000', BTCUSDT: '9430' } },
      } as AccountCommand,
      spec.given(limitsSet({ maxDailyLoss: '100' }), eth, booked('o1', 'BUY', '1', '9680', '0002')).state,
    );
    if (!decision.accepted) throw new Error('refused');
    // BTC realises −250 today; ETH is 1,000 up on paper, which does not offset it.
    expect(decision.events.map((e) => e.type)).toEqual(['FillBooked', 'TradingHalted']);
  });

  it('a market moving against a position breaches the limit without a fill (CheckLossLimit at the marks)', () => {
    const history = [limitsSet({ maxDailyLoss: '100' }), booked('o1', 'BUY', '1', '9680', '0001')];
    const check = (mark: string): AccountCommand => ({
      type: 'CheckLossLimit',
      data: { accountId, marks: { BTCUSDT: mark } },
      metadata: at(),
    });
    spec
      .given(...history)
      .when(check('9600'))
      .thenNothing();
    const halted = spec
      .given(...history)
      .when(check('9580'))
      .thenEvents();
    expect(halted).toHaveLength(1);
    expect(halted[0].data).toMatchObject({ state: 'REDUCING', automatic: true, cancelWorking: true });
  });

  it('does not halt below the loss limit', () => {
    spec
      .given(limitsSet({ maxDailyLoss: '100' }), booked('o1', 'BUY', '1', '9680', '0001'))
      .when(bookFill('o2', 'SELL', '1', '9600', '0002'))
      .then({
        type: 'FillBooked',
        data: {
          accountId,
          orderId: 'o2',
          execId: 'x-0002',
          instrumentId: 'BTCUSDT',
          side: 'SELL',
          quantity: '1',
          price: '9600',
          fee: '0',
          executedAt: iso(),
          sourceSequence: '0002',
          position: { quantity: '0', costBasis: '0', averagePrice: '0', realizedPnl: '-80', fees: '0' },
        },
      });
  });

  it('a new day starts a new loss tally', () => {
    const state: AccountState = [
      limitsSet(),
      booked('o1', 'BUY', '1', '9680', '0001'),
      booked('o2', 'SELL', '1', '9580', '0002'),
    ].reduce(accountDecider.evolve, accountDecider.initialState());
    expect(state.dailyPnl.realizedNet.toString()).toBe('-100');
    const nextDay = accountDecider.evolve(state, {
      ...(booked('o3', 'BUY', '1', '9600', '0003') as { type: 'FillBooked'; data: Record<string, unknown> }),
      data: {
        ...(booked('o3', 'BUY', '1', '9600', '0003').data as object),
        executedAt: '2026-11-22T00:00:01.000Z',
      },
    } as AccountEvent);
    expect(nextDay.dailyPnl).toEqual({ day: '2026-11-22', realizedNet: dec('0') });
  });
});

describe('account: replace re-runs pre-trade risk', () => {
  const replacement = (
    quantity: string,
    limitPrice = '9680',
    filledQuantity = '0',
    offset = 0,
  ): AccountCommand => ({
    type: 'ReserveReplacement',
    data: { accountId, request: { ...preTrade({ quantity, limitPrice }), filledQuantity } },
    metadata: at(offset),
  });

  it('resizes the order’s reservation instead of adding a second one', () => {
    const state = spec
      .given(limitsSet(), reserved('o1', 'BUY', '1'))
      .when(replacement('2', '9690'))
      .then({
        type: 'ExposureReserved',
        data: {
          accountId,
          orderId: 'o1',
          clientOrderId: 'c1',
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          quantity: '2',
          price: '9690',
          notional: '19380',
          reservedAt: iso(),
          replace: true,
          referencePrice: '9680',
          referenceObservedAt: iso(-100),
        },
      });
    expect(state.reservations.size).toBe(1);
    expect(state.openNotional.toString()).toBe('19380');
    expect(state.openQuantity.get('BTCUSDT')?.buy.toString()).toBe('2');
  });

  it('refuses an up-size that breaks a limit, with the usual codes', () => {
    spec
      .given(limitsSet({ maxPosition: '2' }), reserved('o1', 'BUY', '1'))
      .when(replacement('3'))
      .thenRejects('POSITION_LIMIT_EXCEEDED');
    spec
      .given(limitsSet(), reserved('o1', 'BUY', '1'))
      .when(replacement('1', '11000'))
      .thenRejects('PRICE_COLLAR_BREACHED');
  });

  it('judges order size on the new total, not on what is left to fill: max 5, 4.9 filled, a replace to 9.9 is refused', () => {
    spec
      .given(limitsSet({ maxOrderNotional: '1000000' }), reserved('o1', 'BUY', '0.1'))
      .when(replacement('9.9', '9680', '4.9'))
      .thenRejects('MAX_ORDER_QUANTITY_EXCEEDED');
    // The open part (5) is what exposure is held for, and the total (9.9) what size limits judge.
    expect(
      accountDecider.decide(
        replacement('5', '9680', '4.9'),
        spec.given(limitsSet(), reserved('o1', 'BUY', '0.1')).state,
      ).accepted,
    ).toBe(true);
  });

  it('while the replace is pending the account holds the larger of the old and the new exposure', () => {
    const state = spec.given(limitsSet(), reserved('o1', 'BUY', '2', '9690')).state;
    const decision = accountDecider.decide(replacement('1', '9680'), state);
    if (!decision.accepted) throw new Error(JSON.stringify(decision.rejections));
    const after = decision.events.reduce(accountDecider.evolve, state);
    const held = after.reservations.get('o1');
    expect([held?.quantity.toString(), held?.notional.toString()]).toEqual(['2', '19380']);
    expect(after.openQuantity.get('BTCUSDT')?.buy.toString()).toBe('2');
  });

  it('replaces have their own throttle, apart from new orders', () => {
    const busy = [
      limitsSet({ maxOrdersPerWindow: 2, maxReplacesPerWindow: 1 }),
      reserved('o1', 'BUY', '1'),
      reserved('o2', 'BUY', '1'),
    ];
    // New orders used up their window; a replace still goes.
    const state = spec.given(...busy).state;
    const first = accountDecider.decide(replacement('1.5', '9680', '0', 10), state);
    if (!first.accepted) throw new Error(JSON.stringify(first.rejections));
    const afterFirst = first.events.reduce(accountDecider.evolve, state);
    // The second replace within the window is refused by the replace throttle.
    const second = accountDecider.decide(replacement('1.2', '9680', '0', 20), afterFirst);
    expect(second.accepted ? [] : second.rejections.map((r) => r.code)).toEqual([
      'REPLACE_RATE_LIMIT_EXCEEDED',
    ]);
  });
});

describe('account: a busted or corrected execution is taken out of the books exactly (FIX ExecType H and G)', () => {
  // buy 1@90, buy 1@110 (average 100), sell 1@120 (realises 20): then the venue busts the buy at 110.
  const history = [
    limitsSet(),
    booked('o1', 'BUY', '1', '90', '0001', '1'),
    booked('o2', 'BUY', '1', '110', '0002', '2'),
    booked('o3', 'SELL', '1', '120', '0003', '3'),
  ];
  const bookedFills = [
    { orderId: 'o1', execId: 'x-0001', side: 'BUY' as const, quantity: '1', price: '90', fee: '1' },
    { orderId: 'o2', execId: 'x-0002', side: 'BUY' as const, quantity: '1', price: '110', fee: '2' },
    { orderId: 'o3', execId: 'x-0003', side: 'SELL' as const, quantity: '1', price: '120', fee: '3' },
  ];
  const restate = (corrected: { quantity: string; price: string } | null, seq = '0004'): AccountCommand => ({
    type: 'RestateFill',
    data: {
      accountId,
      orderId: 'o2',
      execId: 'x-0002',
      instrumentId: 'BTCUSDT',
      corrected,
      reason: 'clearly erroneous',
      bookedFills,
      sourceSequence: seq,
    },
    metadata: at(),
  });

  it('a bust recomputes the position as if the execution never happened, fees and P&L included', () => {
    const state = spec
      .given(...history)
      .when(restate(null))
      .then({
        type: 'FillRestated',
        data: {
          accountId,
          orderId: 'o2',
          execId: 'x-0002',
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          previous: { quantity: '1', price: '110', fee: '2' },
          busted: true,
          quantity: '0',
          price: '110',
          fee: '0',
          reason: 'clearly erroneous',
          restatedAt: iso(),
          sourceSequence: '0004',
          // buy 1@90, sell 1@120: flat, realised 30, fees 1 + 3.
          position: { quantity: '0', costBasis: '0', averagePrice: '0', realizedPnl: '30', fees: '4' },
        },
      }) as AccountState;
    // The day's realised net moves by the difference: 20 − 6 before, 30 − 4 after.
    expect(state.dailyPnl.realizedNet.toString()).toBe('26');
  });

  it('a correction recomputes it with the execution as the venue now reports it', () => {
    const state = spec
      .given(...history)
      .when(restate({ quantity: '1', price: '100' }))
      .then({
        type: 'FillRestated',
        data: {
          accountId,
          orderId: 'o2',
          execId: 'x-0002',
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          previous: { quantity: '1', price: '110', fee: '2' },
          busted: false,
          quantity: '1',
          price: '100',
          fee: '2',
          reason: 'clearly erroneous',
          restatedAt: iso(),
          sourceSequence: '0004',
          // buy 1@90, buy 1@100 (average 95), sell 1@120: realised 25, 1 left at 95.
          position: { quantity: '1', costBasis: '95', averagePrice: '95', realizedPnl: '25', fees: '6' },
        },
      }) as AccountState;
    expect(state.positions.get('BTCUSDT')?.costBasis.toString()).toBe('95');
    expect(state.dailyPnl.realizedNet.toString()).toBe('19');
  });

  it('a correction that takes the day past the loss limit halts the account', () => {
    const decision = accountDecider.decide(
      {
        ...restate(null),
        data: {
          ...restate(null).data,
          orderId: 'o3',
          execId: 'x-0003',
          corrected: { quantity: '1', price: '95' },
        },
      } as AccountCommand,
      [limitsSet({ maxDailyLoss: '10' }), ...history.slice(1)].reduce(
        accountDecider.evolve,
        accountDecider.initialState(),
      ),
    );
    // buy 1@90, buy 1@110, sell 1@95: realises −5, fees 6.
    expect(decision.accepted && decision.events.map((e) => e.type)).toEqual([
      'FillRestated',
      'TradingHalted',
    ]);
    expect(JSON.stringify(decision)).toMatch(/MAX_DAILY_LOSS_BREACHED: P&L -11 /);
  });

  it('an execution is known by its order and its id: two venues may use the same id', () => {
    const a = {
      ...booked('oa', 'BUY', '1', '100', '0001'),
      data: { ...(booked('oa', 'BUY', '1', '100', '0001').data as object), execId: 'E1' },
    } as AccountEvent;
    const b = {
      ...booked('ob', 'BUY', '2', '200', '0002'),
      data: { ...(booked('ob', 'BUY', '2', '200', '0002').data as object), execId: 'E1' },
    } as AccountEvent;
    const fills = bookedFillsOf([a, b], 'BTCUSDT');
    const decision = accountDecider.decide(
      {
        type: 'RestateFill',
        data: {
          accountId,
          orderId: 'ob',
          execId: 'E1',
          instrumentId: 'BTCUSDT',
          corrected: null,
          reason: 'bust',
          bookedFills: fills,
          sourceSequence: '0003',
        },
        metadata: at(),
      },
      spec.given(limitsSet(), a, b).state,
    );
    if (!decision.accepted) throw new Error(JSON.stringify(decision.rejections));
    expect(decision.events[0].data).toMatchObject({
      orderId: 'ob',
      previous: { quantity: '2', price: '200' },
      position: { quantity: '1', costBasis: '100' },
    });
    expect(bookedFillsOf([a, b, decision.events[0]], 'BTCUSDT').map((f) => f.orderId)).toEqual(['oa']);
  });

  it('refuses bookings that do not add up to the position it holds (read before a later booking)', () => {
    const stale = bookedFills.slice(0, 2);
    spec
      .given(...history)
      .when({ ...restate(null), data: { ...restate(null).data, bookedFills: stale } } as AccountCommand)
      .thenRejects('STALE_BOOKINGS');
  });

  it('refuses an execution it never booked; a redelivered restatement changes nothing', () => {
    spec
      .given(...history)
      .when({ ...restate(null), data: { ...restate(null).data, execId: 'x-9' } } as AccountCommand)
      .thenRejects('UNKNOWN_EXECUTION');
    spec
      .given(...history)
      .when(restate(null, '0003'))
      .thenNothing();
  });
});
