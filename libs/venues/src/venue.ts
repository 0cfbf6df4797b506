import { Decimal, Liquidity, OrderType, Side, TimeInForce, VenueOrderType } from '@oms/domain';
import { MarketEvent } from './market-data/market-data';

/**
 * The one internal API every venue hides behind (simulated, FIX, ...). The OMS speaks in its own
 * instrument ids and its own child client order ids; a venue maps them to its symbols and order ids.
 * Answers come back as execution reports on a stream, never as return values, because real venues
 * answer late, twice, out of order, or not at all.
 */
/** A venue's id: what orders name to route to it, and its configuration calls it. */
export const VENUE_ID = /^[A-Za-z0-9_.-]{1,32}$/;

export interface VenueCapabilities {
  venueId: string;
  orderTypes: readonly OrderType[];
  timesInForce: readonly TimeInForce[];
  /** Instruments traded here, by the OMS's instrument id. */
  instruments: Record<string, { symbol: string; tickSize: Decimal; lotSize: Decimal }>;
  /** Requests (submit, cancel, replace) the venue accepts per second, and the burst above that. */
  rateLimit: { perSecond: number; burst: number };
  /** Fractions of notional; negative is a rebate. */
  fees: { maker: Decimal; taker: Decimal };
  /** Takes post-only limit orders (refused when they would take liquidity); absent: no. */
  postOnly?: boolean;
  /** Works iceberg orders (a display quantity shown at a time); absent: no. */
  iceberg?: boolean;
}

export interface VenueOrderRequest {
  /** The OMS's child order id; the venue refuses a second order under the same id. */
  clientOrderId: string;
  instrumentId: string;
  side: Side;
  /**
   * What the order works as: the OMS releases the types it holds as one of these, or sends a stop
   * natively as a LIMIT with `stopPrice` (a stop-limit, FIX OrdType 4).
   */
  type: VenueOrderType;
  timeInForce: TimeInForce;
  quantity: Decimal;
  limitPrice: Decimal | null;
  /** DAY and GTD: when the venue ends the order (ms since the epoch); absent otherwise. */
  expireAt?: number | null;
  /** LIMIT: rest only; the venue refuses it if it would take liquidity (FIX ExecInst 6). */
  postOnly?: boolean;
  /** LIMIT: iceberg, show this much at a time (FIX MaxFloor). */
  displayQuantity?: Decimal | null;
  /**
   * LIMIT: a stop-limit (FIX StopPx). The venue holds it until its trades reach this price (a buy at
   * or above, a sell at or below), then works it as the limit order. Only to a venue that declares
   * STOP_LIMIT.
   */
  stopPrice?: Decimal | null;
}

interface ReportBase {
  venueId: string;
  clientOrderId: string;
  /** Venue time, ms since the epoch. */
  at: number;
}

/** Venue-neutral execution reports; the gateway turns each into one order command. */
export type ExecutionReport =
  | (ReportBase & { kind: 'ack'; venueOrderId: string })
  | (ReportBase & {
      kind: 'fill';
      execId: string;
      price: Decimal;
      quantity: Decimal;
      fee: Decimal;
      /** Absent: the instrument's quote currency. */
      feeCurrency?: string;
      liquidity: Liquidity;
      leavesQuantity: Decimal;
    })
  | (ReportBase & { kind: 'canceled' | 'expired'; leavesQuantity: Decimal; reason: string })
  | (ReportBase & {
      kind: 'rejected';
      reason: string;
      /** The venue already holds an order under this id (a re-send): the order itself is unaffected. */
      duplicateOrderId?: boolean;
    })
  | (ReportBase & {
      kind: 'replaced';
      quantity: Decimal;
      limitPrice: Decimal | null;
      leavesQuantity: Decimal;
    })
  | (ReportBase & { kind: 'cancel-rejected' | 'replace-rejected'; reason: string })
  /** A stop-limit's stop was reached: it works as a limit order now (FIX ExecType L). */
  | (ReportBase & { kind: 'triggered' })
  /** Unsolicited (FIX ExecType D): the venue changed the order's quantity on its own. */
  | (ReportBase & { kind: 'restated'; quantity: Decimal; leavesQuantity: Decimal; reason: string })
  /** Unsolicited (FIX ExecType H, trade cancel): the execution did not happen. */
  | (ReportBase & { kind: 'trade-busted'; execId: string; reason: string })
  /** Unsolicited (FIX ExecType G, trade correct): the execution happened at this quantity and price. */
  | (ReportBase & {
      kind: 'trade-corrected';
      execId: string;
      quantity: Decimal;
      price: Decimal;
      reason: string;
    });

export type VenueOrderState = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';

/** What the venue says about one order when asked (reconciliation, unconfirmed orders). */
export interface VenueOrderStatus {
  clientOrderId: string;
  venueOrderId: string;
  instrumentId: string;
  side: Side;
  state: VenueOrderState;
  quantity: Decimal;
  filledQuantity: Decimal;
  leavesQuantity: Decimal;
}

export interface VenueFill {
  clientOrderId: string;
  execId: string;
  price: Decimal;
  quantity: Decimal;
  fee: Decimal;
  feeCurrency?: string;
  liquidity: Liquidity;
  at: number;
  /** Position in the venue's own fill sequence, for fillsSince. */
  sequence: number;
}

/** 'backlogged': the connection is up but the venue is not reading what was sent before. */
export type UnavailableReason = 'not connected' | 'rate limit exceeded' | 'backlogged';

/** The request was not sent: no line, or over the venue's limit. */
export class VenueUnavailable extends Error {
  constructor(
    readonly venueId: string,
    readonly reason: UnavailableReason,
  ) {
    super(`${venueId}: ${reason}`);
  }
}

/** A venue reached over a session protocol (FIX): the session's state, for operators. */
export interface VenueSession {
  protocol: string;
  state: 'logged on' | 'connecting' | 'disconnected';
  senderCompId: string;
  targetCompId: string;
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
  /** When the counterparty was last heard from (any message, heartbeats included); ms since the epoch. */
  lastHeardAt: number | null;
  lastError: string | null;
}

export interface Venue {
  readonly capabilities: VenueCapabilities;
  readonly connected: boolean;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Resolves once the request is on its way; throws VenueUnavailable when it cannot be sent. */
  submit(request: VenueOrderRequest): Promise<void>;
  cancel(clientOrderId: string): Promise<void>;
  replace(clientOrderId: string, quantity: Decimal, limitPrice: Decimal | null): Promise<void>;
  /** null: the venue has never seen this order id. */
  queryOrder(clientOrderId: string): Promise<VenueOrderStatus | null>;
  openOrders(): Promise<VenueOrderStatus[]>;
  /** Fills after a sequence number (0: all), in order. */
  fillsSince(sequence: number): Promise<VenueFill[]>;
  /**
   * Reports, each handed to the handler; the handler's promise settles once the report is recorded
   * (a venue with a session, FIX, acknowledges its messages as handled only then).
   */
  onReport(handler: (report: ExecutionReport) => void | Promise<unknown>): () => void;
  /** Connection changes (the gateway reconciles on every reconnect). */
  onConnection(handler: (connected: boolean) => void): () => void;
  /** The session's state, for a venue reached over a session protocol. */
  session?(): VenueSession;
  /** The venue's own market data, when it has some. */
  onMarketData?(handler: (event: MarketEvent, instrumentId: string) => void): () => void;
}
