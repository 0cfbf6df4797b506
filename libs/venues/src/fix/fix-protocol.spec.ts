import { Decimal } from '@oms/domain';
import {
  FixContext,
  FixFields,
  FixVersion,
  Tag,
  childIdOfClOrdId,
  interpretCancelReject,
  interpretExecutionReport,
  interpretMessageReject,
  addMassStatusAnswer,
  newOrderSingle,
  orderCancelReplaceRequest,
  requestClOrdId,
} from './fix-protocol';

const d = (s: string) => Decimal.parse(s);
const CHILD = 'a6f1c1de-0000-4000-8000-000000000001.1';

function fields(values: Record<number, string>): FixFields {
  return { get: (tag) => values[tag] ?? null };
}

function ctx(version: FixVersion = 'FIX.4.4'): FixContext {
  return {
    venueId: 'fix-x',
    version,
    fees: { maker: d('-0.0001'), taker: d('0.0005') },
    instrumentOf: (symbol) => (symbol === 'BTC/USDT' ? 'BTCUSDT' : null),
    at: 1_000,
  };
}

const er = (values: Record<number, string>) =>
  fields({ [Tag.ClOrdID]: CHILD, [Tag.OrderID]: 'V1', [Tag.Side]: '1', [Tag.Symbol]: 'BTC/USDT', ...values });

function reportsOf(meaning: ReturnType<typeof interpretExecutionReport>) {
  if (meaning.kind !== 'reports') throw new Error(`expected reports, got ${JSON.stringify(meaning)}`);
  return meaning.reports;
}

describe('FIX execution reports, FIX 4.4 (ExecType 150)', () => {
  it('New order acknowledged: ExecType 0 → ack with the venue OrderID', () => {
    const [ack] = reportsOf(
      interpretExecutionReport(er({ [Tag.ExecType]: '0', [Tag.OrdStatus]: '0' }), ctx()),
    );
    expect(ack).toEqual({
      venueId: 'fix-x',
      clientOrderId: CHILD,
      at: 1_000,
      kind: 'ack',
      venueOrderId: 'V1',
    });
  });

  it('Filled at once without an acknowledgement (ExecType F, OrdStatus 2): ack, then the fill with exact figures', () => {
    const reports = reportsOf(
      interpretExecutionReport(
        er({
          [Tag.ExecType]: 'F',
          [Tag.OrdStatus]: '2',
          [Tag.ExecID]: 'E7',
          [Tag.LastQty]: '0.123456789',
          [Tag.LastPx]: '96500.10000001',
          [Tag.LeavesQty]: '0',
          [Tag.CumQty]: '0.123456789',
        }),
        ctx(),
      ),
    );
    expect(reports.map((r) => r.kind)).toEqual(['ack', 'fill']);
    const fill = reports[1];
    if (fill.kind !== 'fill') throw new Error('no fill');
    expect(fill.execId).toBe('E7');
    expect(fill.quantity.toString()).toBe('0.123456789');
    expect(fill.price.toString()).toBe('96500.10000001');
    expect(fill.leavesQuantity.isZero()).toBe(true);
    expect(fill.liquidity).toBe('TAKER');
    expect(fill.fee.toString()).toBe(
      d('0.123456789').times(d('96500.10000001')).times(d('0.0005')).toString(),
    );
  });

  it('Partially filled as maker with an absolute commission: the commission is the fee', () => {
    const [, fill] = reportsOf(
      interpretExecutionReport(
        er({
          [Tag.ExecType]: 'F',
          [Tag.OrdStatus]: '1',
          [Tag.ExecID]: 'E8',
          [Tag.LastQty]: '1',
          [Tag.LastPx]: '100',
          [Tag.LeavesQty]: '2',
          [Tag.LastLiquidityInd]: '1',
          [Tag.Commission]: '0.25',
          [Tag.CommType]: '3',
        }),
        ctx(),
      ),
    );
    if (fill.kind !== 'fill') throw new Error('no fill');
    expect(fill.liquidity).toBe('MAKER');
    expect(fill.fee.toString()).toBe('0.25');
    expect(fill.leavesQuantity.toString()).toBe('2');
  });

  it('Canceled (ExecType 4) names the order by OrigClOrdID-bearing cancel id', () => {
    const [canceled] = reportsOf(
      interpretExecutionReport(
        er({
          [Tag.ClOrdID]: requestClOrdId(CHILD, 'cancel', 1),
          [Tag.OrigClOrdID]: CHILD,
          [Tag.ExecType]: '4',
          [Tag.OrdStatus]: '4',
          [Tag.LeavesQty]: '0',
        }),
        ctx(),
      ),
    );
    expect(canceled).toMatchObject({ kind: 'canceled', clientOrderId: CHILD, reason: 'canceled' });
  });

  it('Replaced (ExecType 5): the new quantity and price, and the new ClOrdID becomes current', () => {
    const replaceId = requestClOrdId(CHILD, 'replace', 2);
    const meaning = interpretExecutionReport(
      er({
        [Tag.ClOrdID]: replaceId,
        [Tag.ExecType]: '5',
        [Tag.OrdStatus]: '0',
        [Tag.OrderQty]: '3',
        [Tag.Price]: '101.5',
        [Tag.LeavesQty]: '3',
      }),
      ctx(),
    );
    expect(meaning).toMatchObject({ kind: 'reports', replacedClOrdId: replaceId });
    const [replaced] = reportsOf(meaning);
    if (replaced.kind !== 'replaced') throw new Error('not replaced');
    expect(replaced.clientOrderId).toBe(CHILD);
    expect(replaced.quantity.toString()).toBe('3');
    expect(replaced.limitPrice?.toString()).toBe('101.5');
  });

  it('Rejected (ExecType 8) with its reason; a duplicate ClOrdID is flagged as such', () => {
    const [rejected] = reportsOf(
      interpretExecutionReport(
        er({
          [Tag.ExecType]: '8',
          [Tag.OrdStatus]: '8',
          [Tag.OrdRejReason]: '1',
          [Tag.Text]: 'no such symbol',
        }),
        ctx(),
      ),
    );
    expect(rejected).toMatchObject({ kind: 'rejected', reason: 'no such symbol (unknown symbol)' });
    const [duplicate] = reportsOf(
      interpretExecutionReport(
        er({ [Tag.ExecType]: '8', [Tag.OrdStatus]: '8', [Tag.OrdRejReason]: '6' }),
        ctx(),
      ),
    );
    expect(duplicate).toMatchObject({ kind: 'rejected', duplicateOrderId: true, reason: 'duplicate order' });
  });

  it('Expired (ExecType C)', () => {
    const [expired] = reportsOf(
      interpretExecutionReport(
        er({ [Tag.ExecType]: 'C', [Tag.OrdStatus]: 'C', [Tag.LeavesQty]: '0' }),
        ctx(),
      ),
    );
    expect(expired).toMatchObject({ kind: 'expired', reason: 'expired' });
  });

  it('Restated by the venue (ExecType D): the new order quantity', () => {
    const [restated] = reportsOf(
      interpretExecutionReport(
        er({
          [Tag.ExecType]: 'D',
          [Tag.OrdStatus]: '0',
          [Tag.OrderQty]: '4',
          [Tag.LeavesQty]: '4',
          [Tag.ExecRestatementReason]: '4',
        }),
        ctx(),
      ),
    );
    if (restated.kind !== 'restated') throw new Error('not restated');
    expect(restated.quantity.toString()).toBe('4');
    expect(restated.reason).toContain('reason 4');
  });

  it('Trade bust (ExecType H) names the execution it cancels by ExecRefID', () => {
    const [bust] = reportsOf(
      interpretExecutionReport(
        er({ [Tag.ExecType]: 'H', [Tag.OrdStatus]: '0', [Tag.ExecRefID]: 'E7' }),
        ctx(),
      ),
    );
    expect(bust).toMatchObject({ kind: 'trade-busted', execId: 'E7' });
  });

  it('Trade correction (ExecType G): the execution at its corrected quantity and price', () => {
    const [correction] = reportsOf(
      interpretExecutionReport(
        er({
          [Tag.ExecType]: 'G',
          [Tag.OrdStatus]: '2',
          [Tag.ExecRefID]: 'E7',
          [Tag.LastQty]: '0.5',
          [Tag.LastPx]: '99',
        }),
        ctx(),
      ),
    );
    if (correction.kind !== 'trade-corrected') throw new Error('not corrected');
    expect([correction.execId, correction.quantity.toString(), correction.price.toString()]).toEqual([
      'E7',
      '0.5',
      '99',
    ]);
  });

  it.each([
    ['A', 'pending new'],
    ['6', 'pending cancel'],
    ['E', 'pending replace'],
    ['3', 'done for day'],
    ['7', 'stopped'],
    ['9', 'suspended'],
    ['B', 'calculated'],
  ])('ExecType %s (%s) changes nothing', (execType, what) => {
    expect(interpretExecutionReport(er({ [Tag.ExecType]: execType, [Tag.OrdStatus]: '0' }), ctx())).toEqual({
      kind: 'informational',
      clOrdId: CHILD,
      what,
    });
  });

  it.each([
    ['0', '0', 'NEW'],
    ['1', '1', 'PARTIALLY_FILLED'],
    ['2', '3', 'FILLED'],
    ['4', '1', 'CANCELED'],
    ['8', '0', 'REJECTED'],
    ['C', '0', 'EXPIRED'],
    ['A', '0', 'NEW'],
    ['6', '1', 'PARTIALLY_FILLED'],
    ['E', '0', 'NEW'],
  ])('Order status (ExecType I) with OrdStatus %s and CumQty %s → %s', (ordStatus, cum, state) => {
    const meaning = interpretExecutionReport(
      er({
        [Tag.ExecType]: 'I',
        [Tag.OrdStatus]: ordStatus,
        [Tag.CumQty]: cum,
        [Tag.LeavesQty]: '2',
        [Tag.OrderQty]: '5',
      }),
      ctx(),
    );
    expect(meaning).toMatchObject({
      kind: 'status',
      childId: CHILD,
      status: { state, instrumentId: 'BTCUSDT', side: 'BUY' },
    });
  });

  it('Order status of an order the venue never saw (OrdStatus 8, OrdRejReason 5) → null', () => {
    expect(
      interpretExecutionReport(
        er({ [Tag.ExecType]: 'I', [Tag.OrdStatus]: '8', [Tag.OrdRejReason]: '5' }),
        ctx(),
      ),
    ).toEqual({ kind: 'status', clOrdId: CHILD, childId: CHILD, status: null });
  });

  it('A FIX 4.2 fill ExecType on a 4.4 session is malformed, never applied', () => {
    expect(interpretExecutionReport(er({ [Tag.ExecType]: '2', [Tag.OrdStatus]: '2' }), ctx()).kind).toBe(
      'malformed',
    );
  });

  it('Unknown ExecType, missing ClOrdID, a fill without a price: malformed', () => {
    expect(interpretExecutionReport(er({ [Tag.ExecType]: 'Z', [Tag.OrdStatus]: '0' }), ctx()).kind).toBe(
      'malformed',
    );
    expect(interpretExecutionReport(fields({ [Tag.ExecType]: '0', [Tag.OrdStatus]: '0' }), ctx()).kind).toBe(
      'malformed',
    );
    expect(
      interpretExecutionReport(
        er({ [Tag.ExecType]: 'F', [Tag.OrdStatus]: '1', [Tag.ExecID]: 'E', [Tag.LastQty]: '1' }),
        ctx(),
      ).kind,
    ).toBe('malformed');
  });
});

describe('FIX execution reports, FIX 4.2 (ExecType and ExecTransType 20)', () => {
  const v42 = ctx('FIX.4.2');

  it.each([
    ['1', '1', 'partial fill'],
    ['2', '2', 'fill'],
  ])('ExecType %s, OrdStatus %s (%s) → ack and fill', (execType, ordStatus) => {
    const reports = reportsOf(
      interpretExecutionReport(
        er({
          [Tag.ExecType]: execType,
          [Tag.OrdStatus]: ordStatus,
          [Tag.ExecTransType]: '0',
          [Tag.ExecID]: 'X1',
          [Tag.LastQty]: '10',
          [Tag.LastPx]: '7.25',
        }),
        v42,
      ),
    );
    expect(reports.map((r) => r.kind)).toEqual(['ack', 'fill']);
  });

  it('ExecTransType 1 (cancel) is a trade bust of ExecRefID', () => {
    const [bust] = reportsOf(
      interpretExecutionReport(
        er({ [Tag.ExecType]: '2', [Tag.OrdStatus]: '0', [Tag.ExecTransType]: '1', [Tag.ExecRefID]: 'X1' }),
        v42,
      ),
    );
    expect(bust).toMatchObject({ kind: 'trade-busted', execId: 'X1' });
  });

  it('ExecTransType 2 (correct) is a trade correction', () => {
    const [correction] = reportsOf(
      interpretExecutionReport(
        er({
          [Tag.ExecType]: '2',
          [Tag.OrdStatus]: '2',
          [Tag.ExecTransType]: '2',
          [Tag.ExecRefID]: 'X1',
          [Tag.LastQty]: '9',
          [Tag.LastPx]: '7.2',
        }),
        v42,
      ),
    );
    expect(correction).toMatchObject({ kind: 'trade-corrected', execId: 'X1' });
  });

  it('ExecTransType 3 (status) is an order status answer; 4.2 ExecType 5 (replace) still works there', () => {
    expect(
      interpretExecutionReport(
        er({
          [Tag.ExecType]: '0',
          [Tag.OrdStatus]: '5',
          [Tag.ExecTransType]: '3',
          [Tag.CumQty]: '0',
          [Tag.LeavesQty]: '5',
        }),
        v42,
      ),
    ).toMatchObject({ kind: 'status', status: { state: 'NEW' } });
  });

  it('New, canceled, rejected and replaced read as in 4.4', () => {
    const kind = (execType: string, extra: Record<number, string> = {}) =>
      reportsOf(
        interpretExecutionReport(er({ [Tag.ExecType]: execType, [Tag.OrdStatus]: execType, ...extra }), v42),
      ).map((r) => r.kind);
    expect(kind('0')).toEqual(['ack']);
    expect(kind('4')).toEqual(['canceled']);
    expect(kind('8')).toEqual(['rejected']);
    expect(kind('5', { [Tag.OrderQty]: '2' })).toEqual(['replaced']);
  });
});

describe('Cancel and message rejects', () => {
  it('OrderCancelReject to a cancel (434=1) → cancel rejected with its reason', () => {
    const meaning = interpretCancelReject(
      fields({
        [Tag.ClOrdID]: requestClOrdId(CHILD, 'cancel', 1),
        [Tag.OrigClOrdID]: CHILD,
        [Tag.CxlRejResponseTo]: '1',
        [Tag.CxlRejReason]: '0',
      }),
      ctx(),
    );
    expect(reportsOf(meaning)[0]).toMatchObject({
      kind: 'cancel-rejected',
      clientOrderId: CHILD,
      reason: 'too late to cancel',
    });
  });

  it('OrderCancelReject to a replace (434=2) → replace rejected', () => {
    const meaning = interpretCancelReject(
      fields({
        [Tag.ClOrdID]: requestClOrdId(CHILD, 'replace', 1),
        [Tag.OrigClOrdID]: CHILD,
        [Tag.CxlRejResponseTo]: '2',
        [Tag.Text]: 'no',
      }),
      ctx(),
    );
    expect(reportsOf(meaning)[0]).toMatchObject({ kind: 'replace-rejected', reason: 'no' });
  });

  it('BusinessMessageReject of a NewOrderSingle → the order rejected, with the reason in words', () => {
    const meaning = interpretMessageReject(
      fields({
        [Tag.MsgType]: 'j',
        [Tag.RefMsgType]: 'D',
        [Tag.BusinessRejectReason]: '3',
        [Tag.Text]: 'Unsupported Message Type',
      }),
      { msgType: 'D', clOrdId: CHILD },
      ctx(),
    );
    expect(meaning).toMatchObject({
      kind: 'reports',
      reports: [{ kind: 'rejected', reason: 'Unsupported Message Type (unsupported message type)' }],
    });
  });

  it('Session Reject of a cancel → cancel rejected; of a status request → the request refused', () => {
    const reject = fields({
      [Tag.MsgType]: '3',
      [Tag.RefSeqNum]: '9',
      [Tag.Text]: 'bad tag',
      [Tag.SessionRejectReason]: '5',
    });
    expect(
      interpretMessageReject(reject, { msgType: 'F', clOrdId: requestClOrdId(CHILD, 'cancel', 2) }, ctx()),
    ).toMatchObject({
      kind: 'reports',
      reports: [{ kind: 'cancel-rejected', clientOrderId: CHILD }],
    });
    expect(interpretMessageReject(reject, { msgType: 'H', clOrdId: CHILD }, ctx())).toMatchObject({
      kind: 'request-refused',
    });
  });
});

describe('FIX client order ids and outbound messages', () => {
  it('cancel and replace ids name their child', () => {
    expect(childIdOfClOrdId(requestClOrdId(CHILD, 'replace', 3))).toBe(CHILD);
    expect(childIdOfClOrdId(CHILD)).toBe(CHILD);
  });

  it('FIX 4.4 nests Symbol and OrderQty in their blocks; 4.2 has them flat; amounts go as exact text', () => {
    const request = {
      clientOrderId: CHILD,
      instrumentId: 'BTCUSDT',
      side: 'SELL' as const,
      type: 'LIMIT' as const,
      timeInForce: 'DAY' as const,
      quantity: d('0.000000001'),
      limitPrice: d('96500.123456789'),
    };
    const at = new Date(0);
    expect(newOrderSingle('FIX.4.4', request, 'BTC/USDT', at)).toMatchObject({
      ClOrdID: CHILD,
      Side: '2',
      Instrument: { Symbol: 'BTC/USDT' },
      OrderQtyData: { OrderQty: '0.000000001' },
      OrdType: '2',
      Price: '96500.123456789',
      TimeInForce: '0',
    });
    expect(newOrderSingle('FIX.4.2', request, 'BTC/USDT', at)).toMatchObject({
      Symbol: 'BTC/USDT',
      OrderQty: '0.000000001',
    });
    expect(
      orderCancelReplaceRequest(
        'FIX.4.4',
        'n',
        'o',
        {
          symbol: 'S',
          side: 'BUY',
          quantity: d('2'),
          type: 'LIMIT',
          timeInForce: 'GTC',
          limitPrice: d('1.5'),
        },
        at,
      ),
    ).toMatchObject({ ClOrdID: 'n', OrigClOrdID: 'o', TimeInForce: '1', Price: '1.5' });
  });

  it('a post-only iceberg says so on the order and again on each replace (ExecInst 6, MaxFloor)', () => {
    const at = new Date(0);
    const sent = newOrderSingle(
      'FIX.4.4',
      {
        clientOrderId: CHILD,
        instrumentId: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: d('5'),
        limitPrice: d('100'),
        postOnly: true,
        displayQuantity: d('1'),
      },
      'S',
      at,
    );
    expect(sent).toMatchObject({ ExecInst: '6', MaxFloor: '1' });
    const replace = orderCancelReplaceRequest(
      'FIX.4.4',
      'n',
      CHILD,
      {
        symbol: 'S',
        side: 'BUY',
        quantity: d('5'),
        type: 'LIMIT',
        timeInForce: 'GTC',
        limitPrice: d('101'),
        execInst: sent.ExecInst as string,
        maxFloor: sent.MaxFloor as string,
      },
      at,
    );
    expect(replace).toMatchObject({ ExecInst: '6', MaxFloor: '1', Price: '101' });
  });
});

describe('OrderMassStatusRequest answers (FIX 4.4)', () => {
  const start = { statuses: [], expected: null, done: false };
  const statusOf = (clOrdId: string, extra: Record<number, string> = {}) =>
    fields({
      [Tag.ClOrdID]: clOrdId,
      [Tag.OrderID]: `V-${clOrdId}`,
      [Tag.Side]: '2',
      [Tag.Symbol]: 'BTC/USDT',
      [Tag.ExecType]: 'I',
      [Tag.OrdStatus]: '0',
      [Tag.CumQty]: '0',
      [Tag.LeavesQty]: '1',
      [Tag.MassStatusReqID]: 'm1',
      ...extra,
    });

  it('gathers every open order until TotNumReports came', () => {
    const one = addMassStatusAnswer(start, statusOf('a.1', { [Tag.TotNumReports]: '2' }), ctx());
    expect(one).toMatchObject({ expected: 2, done: false });
    const two = addMassStatusAnswer(one, statusOf('b.1~r1', { [Tag.TotNumReports]: '2' }), ctx());
    expect(two.done).toBe(true);
    expect(two.statuses.map((st) => [st.clientOrderId, st.state, st.side])).toEqual([
      ['a.1', 'NEW', 'SELL'],
      ['b.1', 'NEW', 'SELL'],
    ]);
  });

  it('ends at LastRptRequested Y, and at once when the venue has no open orders (TotNumReports 0)', () => {
    expect(addMassStatusAnswer(start, statusOf('a.1', { [Tag.LastRptRequested]: 'Y' }), ctx())).toMatchObject(
      {
        done: true,
        statuses: [{ clientOrderId: 'a.1' }],
      },
    );
    expect(
      addMassStatusAnswer(
        start,
        fields({ [Tag.ExecType]: 'I', [Tag.OrdStatus]: '8', [Tag.TotNumReports]: '0' }),
        ctx(),
      ),
    ).toEqual({ statuses: [], expected: 0, done: true });
  });
  it('a stop the venue holds goes as a stop-limit (OrdType 4, StopPx) and stays one on each replace', () => {
    const at = new Date(0);
    const sent = newOrderSingle(
      'FIX.4.4',
      {
        clientOrderId: CHILD,
        instrumentId: 'BTCUSDT',
        side: 'SELL',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: d('2'),
        limitPrice: d('95.5'),
        stopPrice: d('99.25'),
      },
      'S',
      at,
    );
    expect(sent).toMatchObject({ OrdType: '4', Price: '95.5', StopPx: '99.25', TimeInForce: '1' });
    const replace = orderCancelReplaceRequest(
      'FIX.4.4',
      'n',
      CHILD,
      {
        symbol: 'S',
        side: 'SELL',
        quantity: d('3'),
        type: 'LIMIT',
        timeInForce: 'GTC',
        limitPrice: d('95'),
        stopPx: sent.StopPx as string,
      },
      at,
    );
    expect(replace).toMatchObject({ OrdType: '4', Price: '95', StopPx: '99.25' });
  });

  it('Stop triggered by the venue (ExecType L) → triggered', () => {
    expect(
      reportsOf(interpretExecutionReport(er({ [Tag.ExecType]: 'L', [Tag.OrdStatus]: '0' }), ctx())),
    ).toEqual([{ venueId: 'fix-x', clientOrderId: CHILD, at: 1_000, kind: 'triggered' }]);
  });
  it('a stop without its limit is never sent: no stop-market (OrdType 3), no stop-limit without a Price', () => {
    const request = {
      clientOrderId: CHILD,
      instrumentId: 'BTCUSDT',
      side: 'SELL' as const,
      timeInForce: 'GTC' as const,
      quantity: d('1'),
      stopPrice: d('9600'),
    };
    expect(() =>
      newOrderSingle('FIX.4.4', { ...request, type: 'MARKET', limitPrice: null }, 'S', new Date(0)),
    ).toThrow(/a stop goes to a venue only as a stop-limit with its limit/);
    expect(() =>
      newOrderSingle('FIX.4.4', { ...request, type: 'LIMIT', limitPrice: null }, 'S', new Date(0)),
    ).toThrow(/a stop goes to a venue only as a stop-limit with its limit/);
    const replace = {
      symbol: 'S',
      side: 'SELL' as const,
      quantity: d('1'),
      type: 'LIMIT' as const,
      timeInForce: 'GTC' as const,
      limitPrice: null,
      stopPx: '9600',
    };
    expect(() => orderCancelReplaceRequest('FIX.4.4', 'n', 'o', replace, new Date(0))).toThrow(
      /a stop goes to a venue only as a stop-limit with its limit/,
    );
  });
});
