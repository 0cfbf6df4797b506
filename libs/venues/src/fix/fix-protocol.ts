import { Decimal, Liquidity, Side, TimeInForce, VenueOrderType } from '@oms/domain';
import { ExecutionReport, VenueOrderRequest, VenueOrderState, VenueOrderStatus } from '../venue';

/**
 * FIX 4.2 and 4.4 application messages, in one place: the outbound requests the OMS sends (D, F, G,
 * H, and AF to a 4.4 venue that declares it) and what the venue's answers mean in the venue-neutral
 * terms the gateway understands. Pure: no session, no clock, no I/O. Inbound messages are read tag by tag as the text on the wire (never as JS numbers),
 * so prices and quantities stay exact.
 */
export type FixVersion = 'FIX.4.2' | 'FIX.4.4';
export const FIX_VERSIONS: readonly FixVersion[] = ['FIX.4.2', 'FIX.4.4'];

/** The tags this adapter reads or writes. */
export const Tag = {
  AvgPx: 6,
  ClOrdID: 11,
  Commission: 12,
  CommType: 13,
  CumQty: 14,
  ExecID: 17,
  ExecRefID: 19,
  ExecTransType: 20,
  LastPx: 31,
  LastQty: 32,
  MsgSeqNum: 34,
  MsgType: 35,
  OrderID: 37,
  OrderQty: 38,
  OrdStatus: 39,
  OrigClOrdID: 41,
  PossDupFlag: 43,
  Price: 44,
  RefSeqNum: 45,
  SendingTime: 52,
  Side: 54,
  Symbol: 55,
  Text: 58,
  CxlRejReason: 102,
  OrdRejReason: 103,
  LeavesQty: 151,
  ExecType: 150,
  RefMsgType: 372,
  SessionRejectReason: 373,
  BusinessRejectRefID: 379,
  BusinessRejectReason: 380,
  CxlRejResponseTo: 434,
  LastLiquidityInd: 851,
  ExecRestatementReason: 378,
  MassStatusReqID: 584,
  TotNumReports: 911,
  LastRptRequested: 912,
} as const;

/** An inbound message as the session parsed it: each tag's text, null when absent. */
export interface FixFields {
  get(tag: number): string | null;
}

/** Message types this adapter sends. */
export const MsgType = {
  NewOrderSingle: 'D',
  OrderCancelRequest: 'F',
  OrderCancelReplaceRequest: 'G',
  OrderStatusRequest: 'H',
  OrderMassStatusRequest: 'AF',
  ExecutionReport: '8',
  OrderCancelReject: '9',
  Reject: '3',
  BusinessMessageReject: 'j',
} as const;

// ---------------------------------------------------------------------------------------------
// Client order ids

/**
 * The gateway's child id is the order's ClOrdID. A cancel or a replace needs an id of its own
 * (FIX requires a new ClOrdID per request), so those are the child id and a suffix: `~c<n>` for the
 * n-th cancel, `~r<n>` for the n-th replace. Child ids never contain `~`.
 */
export function childIdOfClOrdId(clOrdId: string): string {
  const at = clOrdId.indexOf('~');
  return at < 0 ? clOrdId : clOrdId.slice(0, at);
}

export function requestClOrdId(childId: string, kind: 'cancel' | 'replace', n: number): string {
  return `${childId}~${kind === 'cancel' ? 'c' : 'r'}${n}`;
}

// ---------------------------------------------------------------------------------------------
// Outbound

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** UTCTimestamp as FIX writes it (YYYYMMDD-HH:MM:SS.sss): text, so a journaled message re-sends as it was. */
export function fixTimestamp(date: Date): string {
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}-${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
}

const SIDE_CODE: Record<Side, string> = { BUY: '1', SELL: '2' };
const ORD_TYPE_CODE: Record<VenueOrderType, string> = { MARKET: '1', LIMIT: '2' };

/**
 * OrdType (40): market 1, limit 2; with a stop price, stop-limit 4 — never a stop-market (3), which
 * could trade outside the protection band, nor a stop-limit without its Price.
 */
function ordTypeCode(
  type: VenueOrderType,
  stopPrice: Decimal | string | null,
  limitPrice: Decimal | null,
): string {
  if (stopPrice === null) return ORD_TYPE_CODE[type];
  if (type !== 'LIMIT' || limitPrice === null)
    throw new Error(
      `a stop goes to a venue only as a stop-limit with its limit (got ${type}${limitPrice === null ? ' without a limit' : ''})`,
    );
  return '4';
}
const TIF_CODE: Record<TimeInForce, string> = { DAY: '0', GTC: '1', IOC: '3', FOK: '4', GTD: '6' };

/** An outbound message body in jspurefix's object form (field names; amounts and times as text). */
export type FixBody = Record<string, unknown>;

/** What an outbound order message says about the order: the same fields on D, F and G. */
export interface OrderFields {
  symbol: string;
  side: Side;
  quantity: Decimal;
}

/** FIX 4.4 puts Symbol in the Instrument block and OrderQty in OrderQtyData; 4.2 has them flat. */
function instrumentAndQuantity(version: FixVersion, symbol: string, quantity: Decimal): FixBody {
  return version === 'FIX.4.4'
    ? { Instrument: { Symbol: symbol }, OrderQtyData: { OrderQty: quantity.toString() } }
    : { Symbol: symbol, OrderQty: quantity.toString() };
}

export function newOrderSingle(
  version: FixVersion,
  request: VenueOrderRequest,
  symbol: string,
  transactTime: Date,
): FixBody {
  return {
    ClOrdID: request.clientOrderId,
    HandlInst: '1',
    ...(version === 'FIX.4.2' ? { Symbol: symbol } : {}),
    Side: SIDE_CODE[request.side],
    TransactTime: fixTimestamp(transactTime),
    ...instrumentAndQuantity(version, symbol, request.quantity),
    OrdType: ordTypeCode(request.type, request.stopPrice ?? null, request.limitPrice),
    ...(request.limitPrice === null ? {} : { Price: request.limitPrice.toString() }),
    ...(request.stopPrice ? { StopPx: request.stopPrice.toString() } : {}),
    TimeInForce: TIF_CODE[request.timeInForce],
    ...(request.timeInForce === 'GTD' && request.expireAt
      ? { ExpireTime: fixTimestamp(new Date(request.expireAt)) }
      : {}),
    // Participate don't initiate: rest only.
    ...(request.postOnly ? { ExecInst: '6' } : {}),
    ...(request.displayQuantity ? { MaxFloor: request.displayQuantity.toString() } : {}),
  };
}

export function orderCancelRequest(
  version: FixVersion,
  clOrdId: string,
  origClOrdId: string,
  order: OrderFields,
  transactTime: Date,
): FixBody {
  return {
    OrigClOrdID: origClOrdId,
    ClOrdID: clOrdId,
    ...(version === 'FIX.4.2' ? { Symbol: order.symbol } : {}),
    Side: SIDE_CODE[order.side],
    TransactTime: fixTimestamp(transactTime),
    ...instrumentAndQuantity(version, order.symbol, order.quantity),
  };
}

export function orderCancelReplaceRequest(
  version: FixVersion,
  clOrdId: string,
  origClOrdId: string,
  order: OrderFields & {
    type: VenueOrderType;
    timeInForce: TimeInForce;
    limitPrice: Decimal | null;
    /** GTD: the order's ExpireTime as first sent (a replace restates every term). */
    expireTime?: string | null;
    /** As first sent: post-only (ExecInst 6) and the iceberg's MaxFloor, restated too. */
    execInst?: string | null;
    maxFloor?: string | null;
    /** A stop-limit's StopPx as first sent: it stays a stop-limit (OrdType 4) with the same stop. */
    stopPx?: string | null;
  },
  transactTime: Date,
): FixBody {
  return {
    OrigClOrdID: origClOrdId,
    ClOrdID: clOrdId,
    HandlInst: '1',
    ...(version === 'FIX.4.2' ? { Symbol: order.symbol } : {}),
    Side: SIDE_CODE[order.side],
    TransactTime: fixTimestamp(transactTime),
    ...instrumentAndQuantity(version, order.symbol, order.quantity),
    OrdType: ordTypeCode(order.type, order.stopPx ?? null, order.limitPrice),
    ...(order.limitPrice === null ? {} : { Price: order.limitPrice.toString() }),
    ...(order.stopPx ? { StopPx: order.stopPx } : {}),
    TimeInForce: TIF_CODE[order.timeInForce],
    ...(order.timeInForce === 'GTD' && order.expireTime ? { ExpireTime: order.expireTime } : {}),
    ...(order.execInst ? { ExecInst: order.execInst } : {}),
    ...(order.maxFloor ? { MaxFloor: order.maxFloor } : {}),
  };
}

export function orderStatusRequest(version: FixVersion, clOrdId: string, order: OrderFields): FixBody {
  return {
    ClOrdID: clOrdId,
    ...(version === 'FIX.4.2' ? { Symbol: order.symbol } : { Instrument: { Symbol: order.symbol } }),
    Side: SIDE_CODE[order.side],
  };
}

/** Every order of the session (MassStatusReqType 7), FIX 4.4. */
export function orderMassStatusRequest(requestId: string): FixBody {
  return { MassStatusReqID: requestId, MassStatusReqType: 7 };
}

// ---------------------------------------------------------------------------------------------
// Inbound

/** What the adapter knows that the message does not say. */
export interface FixContext {
  venueId: string;
  version: FixVersion;
  /** The venue's fees, for a fill that carries no commission. */
  fees: { maker: Decimal; taker: Decimal };
  /** Venue symbol → OMS instrument id. */
  instrumentOf(symbol: string): string | null;
  /** Venue time of the message, ms since the epoch. */
  at: number;
}

/** What one inbound application message means. */
export type FixMeaning =
  /** Reports for the gateway, in order (an order's first fill also acknowledges it). */
  | { kind: 'reports'; reports: ExecutionReport[]; clOrdId: string; replacedClOrdId?: string }
  /** The answer to an OrderStatusRequest (ExecType I; 4.2: ExecTransType 3); null: the venue never saw it. */
  | { kind: 'status'; clOrdId: string; childId: string; status: VenueOrderStatus | null }
  /** Understood, changes nothing (pending new/cancel/replace, done for day, stopped, ...). */
  | { kind: 'informational'; clOrdId: string; what: string }
  /** Not understood: logged and counted, never applied. */
  | { kind: 'malformed'; problem: string };

const ORD_REJ_REASONS: Record<string, string> = {
  '0': 'broker option',
  '1': 'unknown symbol',
  '2': 'exchange closed',
  '3': 'order exceeds limit',
  '4': 'too late to enter',
  '5': 'unknown order',
  '6': 'duplicate order',
  '7': 'duplicate of a verbally communicated order',
  '8': 'stale order',
  '9': 'trade along required',
  '10': 'invalid investor id',
  '11': 'unsupported order characteristic',
  '13': 'incorrect quantity',
  '14': 'incorrect allocated quantity',
  '15': 'unknown account',
  '18': 'invalid price increment',
  '99': 'other',
};

const CXL_REJ_REASONS: Record<string, string> = {
  '0': 'too late to cancel',
  '1': 'unknown order',
  '2': 'broker option',
  '3': 'order already in pending cancel or pending replace status',
  '4': 'unable to process order mass cancel request',
  '5': 'OrigOrdModTime did not match',
  '6': 'duplicate ClOrdID received',
  '99': 'other',
};

const BUSINESS_REJECT_REASONS: Record<string, string> = {
  '0': 'other',
  '1': 'unknown id',
  '2': 'unknown security',
  '3': 'unsupported message type',
  '4': 'application not available',
  '5': 'conditionally required field missing',
  '6': 'not authorized',
  '7': 'DeliverTo firm not available at this time',
  '18': 'invalid price increment',
};

const INFORMATIONAL_EXEC_TYPES: Record<string, string> = {
  '3': 'done for day',
  '6': 'pending cancel',
  '7': 'stopped',
  '9': 'suspended',
  A: 'pending new',
  B: 'calculated',
  E: 'pending replace',
};

/** Why, in words: the venue's text, else its coded reason, else the fallback. */
function reasonOf(
  fields: FixFields,
  codeTag: number,
  codes: Record<string, string>,
  fallback: string,
): string {
  const text = fields.get(Tag.Text);
  const code = fields.get(codeTag);
  const coded = code === null ? null : (codes[code] ?? `reason ${code}`);
  if (text && coded) return `${text} (${coded})`;
  return text || coded || fallback;
}

/** A decimal the venue sent, or null when absent or not a number. */
function decimalOf(fields: FixFields, tag: number): Decimal | null {
  const text = fields.get(tag);
  if (text === null || !Decimal.isValid(text)) return null;
  return Decimal.parse(text);
}

const SIDE_OF: Record<string, Side> = { '1': 'BUY', '2': 'SELL' };

/** OrdStatus → the venue-neutral state of a status answer (working states by what has filled). */
function stateOf(ordStatus: string, cumQty: Decimal): VenueOrderState | null {
  switch (ordStatus) {
    case '0':
    case 'A':
    case 'D':
      return cumQty.isPositive() ? 'PARTIALLY_FILLED' : 'NEW';
    case '1':
      return 'PARTIALLY_FILLED';
    case '2':
      return 'FILLED';
    case '4':
      return 'CANCELED';
    case '8':
      return 'REJECTED';
    case 'C':
      return 'EXPIRED';
    // Still working at the venue: replaced (4.2), pending cancel/replace, stopped, suspended, calculated.
    case '3':
    case '5':
    case '6':
    case '7':
    case '9':
    case 'B':
    case 'E':
      return cumQty.isPositive() ? 'PARTIALLY_FILLED' : 'NEW';
    default:
      return null;
  }
}

/**
 * An ExecutionReport (35=8) in venue-neutral terms. FIX 4.4 says what happened in ExecType (150);
 * FIX 4.2 in ExecType with 1/2 for partial and full fills, and in ExecTransType (20) for trade
 * busts (1), corrections (2) and status answers (3).
 */
export function interpretExecutionReport(fields: FixFields, ctx: FixContext): FixMeaning {
  const clOrdId = fields.get(Tag.ClOrdID) ?? fields.get(Tag.OrigClOrdID);
  const execType = fields.get(Tag.ExecType);
  const ordStatus = fields.get(Tag.OrdStatus);
  if (!clOrdId) return { kind: 'malformed', problem: 'execution report without ClOrdID' };
  if (execType === null || ordStatus === null)
    return { kind: 'malformed', problem: `execution report for ${clOrdId} without ExecType or OrdStatus` };
  const childId = childIdOfClOrdId(clOrdId);
  const venueOrderId = fields.get(Tag.OrderID) ?? '';
  const base = { venueId: ctx.venueId, clientOrderId: childId, at: ctx.at };
  const leaves = decimalOf(fields, Tag.LeavesQty) ?? Decimal.ZERO;
  const transType = ctx.version === 'FIX.4.2' ? (fields.get(Tag.ExecTransType) ?? '0') : '0';

  if (execType === 'I' || transType === '3') return statusAnswer(fields, ctx, clOrdId, childId, ordStatus);
  if (transType === '1' || execType === 'H') {
    const execId = fields.get(Tag.ExecRefID);
    if (!execId) return { kind: 'malformed', problem: `trade cancel for ${clOrdId} without ExecRefID` };
    const reason = fields.get(Tag.Text) || 'the venue canceled the execution';
    return { kind: 'reports', clOrdId, reports: [{ ...base, kind: 'trade-busted', execId, reason }] };
  }
  if (transType === '2' || execType === 'G') {
    const execId = fields.get(Tag.ExecRefID);
    const quantity = decimalOf(fields, Tag.LastQty);
    const price = decimalOf(fields, Tag.LastPx);
    if (!execId || !quantity || !price)
      return {
        kind: 'malformed',
        problem: `trade correction for ${clOrdId} without ExecRefID, LastQty or LastPx`,
      };
    const reason = fields.get(Tag.Text) || 'the venue corrected the execution';
    return {
      kind: 'reports',
      clOrdId,
      reports: [{ ...base, kind: 'trade-corrected', execId, quantity, price, reason }],
    };
  }
  if (transType !== '0') return { kind: 'malformed', problem: `ExecTransType ${transType} for ${clOrdId}` };

  switch (execType) {
    case '0':
      if (!venueOrderId)
        return { kind: 'malformed', problem: `acknowledgement of ${clOrdId} without OrderID` };
      return { kind: 'reports', clOrdId, reports: [{ ...base, kind: 'ack', venueOrderId }] };
    case '1':
    case '2':
    case 'F':
      if (execType !== 'F' && ctx.version !== 'FIX.4.2')
        return {
          kind: 'malformed',
          problem: `ExecType ${execType} is FIX 4.2's; this session is ${ctx.version}`,
        };
      return fillOf(fields, ctx, base, clOrdId, venueOrderId, leaves);
    case '4':
      return {
        kind: 'reports',
        clOrdId,
        reports: [
          { ...base, kind: 'canceled', leavesQuantity: leaves, reason: fields.get(Tag.Text) || 'canceled' },
        ],
      };
    case 'C':
      return {
        kind: 'reports',
        clOrdId,
        reports: [
          { ...base, kind: 'expired', leavesQuantity: leaves, reason: fields.get(Tag.Text) || 'expired' },
        ],
      };
    case '8': {
      const duplicate = fields.get(Tag.OrdRejReason) === '6';
      const reason = reasonOf(fields, Tag.OrdRejReason, ORD_REJ_REASONS, 'rejected by the venue');
      return {
        kind: 'reports',
        clOrdId,
        reports: [{ ...base, kind: 'rejected', reason, ...(duplicate ? { duplicateOrderId: true } : {}) }],
      };
    }
    case '5': {
      const quantity = decimalOf(fields, Tag.OrderQty);
      if (!quantity) return { kind: 'malformed', problem: `replace of ${clOrdId} without OrderQty` };
      return {
        kind: 'reports',
        clOrdId,
        replacedClOrdId: clOrdId,
        reports: [
          {
            ...base,
            kind: 'replaced',
            quantity,
            limitPrice: decimalOf(fields, Tag.Price),
            leavesQuantity: leaves,
          },
        ],
      };
    }
    case 'L':
      // Triggered or activated by system (FIX 5.0; venues on 4.x send it too): a stop was reached.
      return { kind: 'reports', clOrdId, reports: [{ ...base, kind: 'triggered' }] };
    case 'D': {
      const quantity = decimalOf(fields, Tag.OrderQty);
      if (!quantity) return { kind: 'malformed', problem: `restatement of ${clOrdId} without OrderQty` };
      const reason =
        fields.get(Tag.Text) ||
        `restated by the venue (reason ${fields.get(Tag.ExecRestatementReason) ?? 'not given'})`;
      return {
        kind: 'reports',
        clOrdId,
        reports: [{ ...base, kind: 'restated', quantity, leavesQuantity: leaves, reason }],
      };
    }
    default: {
      const what = INFORMATIONAL_EXEC_TYPES[execType];
      return what
        ? { kind: 'informational', clOrdId, what }
        : { kind: 'malformed', problem: `unknown ExecType ${execType} for ${clOrdId}` };
    }
  }
}

function fillOf(
  fields: FixFields,
  ctx: FixContext,
  base: { venueId: string; clientOrderId: string; at: number },
  clOrdId: string,
  venueOrderId: string,
  leaves: Decimal,
): FixMeaning {
  const execId = fields.get(Tag.ExecID);
  const quantity = decimalOf(fields, Tag.LastQty);
  const price = decimalOf(fields, Tag.LastPx);
  if (!execId || !quantity || !price || !quantity.isPositive())
    return { kind: 'malformed', problem: `fill of ${clOrdId} without ExecID, a positive LastQty or LastPx` };
  const liquidity: Liquidity = fields.get(Tag.LastLiquidityInd) === '1' ? 'MAKER' : 'TAKER';
  const commission = decimalOf(fields, Tag.Commission);
  // CommType 3 is an absolute amount; otherwise (or absent) the venue's configured fee applies.
  const fee =
    commission !== null && fields.get(Tag.CommType) === '3'
      ? commission
      : quantity.times(price).times(liquidity === 'MAKER' ? ctx.fees.maker : ctx.fees.taker);
  const reports: ExecutionReport[] = [];
  // A venue may fill without acknowledging first (QuickFIX's executor does): the fill says it has the order.
  if (venueOrderId) reports.push({ ...base, kind: 'ack', venueOrderId });
  reports.push({ ...base, kind: 'fill', execId, price, quantity, fee, liquidity, leavesQuantity: leaves });
  return { kind: 'reports', clOrdId, reports };
}

function statusAnswer(
  fields: FixFields,
  ctx: FixContext,
  clOrdId: string,
  childId: string,
  ordStatus: string,
): FixMeaning {
  // OrdStatus 8 with OrdRejReason 5: the venue has no order under this id.
  if (ordStatus === '8' && fields.get(Tag.OrdRejReason) === '5')
    return { kind: 'status', clOrdId, childId, status: null };
  const cumQty = decimalOf(fields, Tag.CumQty) ?? Decimal.ZERO;
  const leaves = decimalOf(fields, Tag.LeavesQty) ?? Decimal.ZERO;
  const state = stateOf(ordStatus, cumQty);
  const side = SIDE_OF[fields.get(Tag.Side) ?? ''];
  const symbol = fields.get(Tag.Symbol);
  const instrumentId = symbol === null ? null : ctx.instrumentOf(symbol);
  if (state === null || !side || instrumentId === null)
    return {
      kind: 'malformed',
      problem: `status of ${clOrdId} with OrdStatus ${ordStatus}, side or symbol not understood`,
    };
  return {
    kind: 'status',
    clOrdId,
    childId,
    status: {
      clientOrderId: childId,
      venueOrderId: fields.get(Tag.OrderID) ?? '',
      instrumentId,
      side,
      state,
      quantity: decimalOf(fields, Tag.OrderQty) ?? cumQty.plus(leaves),
      filledQuantity: cumQty,
      leavesQuantity: leaves,
    },
  };
}

/** The outbound request a reject refers to, as the adapter's journal recorded it. */
export interface SentRequest {
  msgType: string;
  clOrdId: string | null;
}

/**
 * OrderCancelReject (35=9): the cancel (CxlRejResponseTo 1) or replace (2) is refused, with why.
 */
export function interpretCancelReject(fields: FixFields, ctx: FixContext): FixMeaning {
  const clOrdId = fields.get(Tag.OrigClOrdID) ?? fields.get(Tag.ClOrdID);
  if (!clOrdId) return { kind: 'malformed', problem: 'cancel reject without ClOrdID or OrigClOrdID' };
  const reason = reasonOf(fields, Tag.CxlRejReason, CXL_REJ_REASONS, 'refused by the venue');
  const kind = fields.get(Tag.CxlRejResponseTo) === '2' ? 'replace-rejected' : 'cancel-rejected';
  return {
    kind: 'reports',
    clOrdId,
    reports: [{ venueId: ctx.venueId, clientOrderId: childIdOfClOrdId(clOrdId), at: ctx.at, kind, reason }],
  };
}

/**
 * A session Reject (35=3) or a BusinessMessageReject (35=j) of one of our requests: a new order
 * refused is rejected, a cancel or replace refused is that request rejected. Rejects of anything
 * else (status requests, admin messages) change no order.
 */
export function interpretMessageReject(
  fields: FixFields,
  sent: SentRequest | null,
  ctx: FixContext,
): FixMeaning | { kind: 'request-refused'; sent: SentRequest | null; reason: string } {
  const business = fields.get(Tag.MsgType) === MsgType.BusinessMessageReject;
  const reason = business
    ? reasonOf(fields, Tag.BusinessRejectReason, BUSINESS_REJECT_REASONS, 'refused by the venue')
    : `${fields.get(Tag.Text) || 'refused by the venue'} (session reject${
        fields.get(Tag.SessionRejectReason) ? ` reason ${fields.get(Tag.SessionRejectReason)}` : ''
      })`;
  const clOrdId = sent?.clOrdId ?? (business ? fields.get(Tag.BusinessRejectRefID) : null);
  const msgType = sent?.msgType ?? fields.get(Tag.RefMsgType);
  if (!clOrdId || !msgType) return { kind: 'request-refused', sent, reason };
  const base = { venueId: ctx.venueId, clientOrderId: childIdOfClOrdId(clOrdId), at: ctx.at };
  switch (msgType) {
    case MsgType.NewOrderSingle:
      return { kind: 'reports', clOrdId, reports: [{ ...base, kind: 'rejected', reason }] };
    case MsgType.OrderCancelRequest:
      return { kind: 'reports', clOrdId, reports: [{ ...base, kind: 'cancel-rejected', reason }] };
    case MsgType.OrderCancelReplaceRequest:
      return { kind: 'reports', clOrdId, reports: [{ ...base, kind: 'replace-rejected', reason }] };
    default:
      return { kind: 'request-refused', sent: sent ?? { msgType, clOrdId }, reason };
  }
}

/** The answers to one OrderMassStatusRequest gathered so far. */
export interface MassStatusAnswers {
  statuses: VenueOrderStatus[];
  /** TotNumReports, once the venue said it. */
  expected: number | null;
  done: boolean;
}

/**
 * One ExecutionReport answering an OrderMassStatusRequest (it echoes MassStatusReqID) added to what
 * came before. Done at LastRptRequested Y, or once TotNumReports reports came (0: no open orders).
 */
export function addMassStatusAnswer(
  answers: MassStatusAnswers,
  fields: FixFields,
  ctx: FixContext,
): MassStatusAnswers {
  const total = fields.get(Tag.TotNumReports);
  const expected = total !== null && /^\d+$/.test(total) ? Number(total) : answers.expected;
  const statuses = [...answers.statuses];
  if (expected !== 0) {
    const meaning = interpretExecutionReport(fields, ctx);
    if (meaning.kind === 'status' && meaning.status) statuses.push(meaning.status);
  }
  const done =
    fields.get(Tag.LastRptRequested) === 'Y' ||
    expected === 0 ||
    (expected !== null && statuses.length >= expected);
  return { statuses, expected, done };
}
