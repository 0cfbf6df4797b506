import 'reflect-metadata';
import { Decimal, OrderType, Side, TimeInForce } from '@oms/domain';
import { Logger, silentLogger, venueErrors } from '@oms/platform';
import {
  DITokens,
  IJsFixConfig,
  IJsFixLogger,
  ISessionDescription,
  JsFixLoggerFactory,
  MsgTransport,
  SessionContainer,
  SessionId,
} from 'jspurefix';
// The TCP initiator is not in the package's root barrel (it keeps express out of it).
import { TcpInitiator } from 'jspurefix/dist/transport/tcp';
import {
  ExecutionReport,
  Venue,
  VenueCapabilities,
  VenueFill,
  VenueOrderRequest,
  VenueOrderStatus,
  VenueSession,
  VenueUnavailable,
} from '../venue';
import { FixJournal } from './fix-journal';
import {
  FixBody,
  FixContext,
  FixFields,
  FixMeaning,
  FixVersion,
  MsgType,
  Tag,
  childIdOfClOrdId,
  interpretCancelReject,
  interpretExecutionReport,
  interpretMessageReject,
  newOrderSingle,
  orderCancelReplaceRequest,
  orderCancelRequest,
  orderStatusRequest,
  requestClOrdId,
} from './fix-protocol';
import { OmsFixSession } from './fix-session';

export interface FixVenueSettings {
  venueId: string;
  host: string;
  port: number;
  beginString: FixVersion;
  senderCompId: string;
  targetCompId: string;
  heartbeatSeconds: number;
  /** Where the session keeps its sequence numbers and its journal (survives restarts). */
  storeDirectory: string;
  /** Instruments traded here by OMS instrument id, with the venue's symbol. */
  instruments: VenueCapabilities['instruments'];
  orderTypes: readonly OrderType[];
  timesInForce: readonly TimeInForce[];
  rateLimit: VenueCapabilities['rateLimit'];
  fees: VenueCapabilities['fees'];
  /** How long an OrderStatusRequest may wait for its answer. */
  statusTimeoutMs?: number;
  /** Reconnect backoff: the first wait, doubled after each failure up to the longest. */
  reconnect?: { firstMs: number; longestMs: number };
  logger?: Logger;
  /** Crash tests only: see FixFaults. */
  faults?: FixFaults;
}

/**
 * Fault injection, for crash tests only: `afterJournal` runs once an outbound message is journaled
 * and before it is sent ('drop' loses the connection there); `received` runs when an application
 * message arrives, before it is applied (a test may kill the process there).
 */
export interface FixFaults {
  afterJournal?(msgType: string): 'send' | 'drop';
  received?(msgType: string): void;
}

/** What the adapter remembers of each order it sent, rebuilt from its journal on start. */
interface SentOrder {
  childId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  quantity: Decimal;
  limitPrice: Decimal | null;
  /** The ClOrdID the venue knows the order by now (the last confirmed replace's, else the child id). */
  clOrdId: string;
  /** Cancels and replaces asked for so far (each needs an id of its own). */
  requests: number;
  /** A replace sent and not yet answered: its id and terms. */
  pendingReplace: { clOrdId: string; quantity: Decimal; limitPrice: Decimal | null } | null;
}

type DependencyContainer = Awaited<ReturnType<SessionContainer['makeSystem']>>;

/** Fills and ExecIDs remembered for fillsSince and duplicate detection (the oldest go first). */
const REMEMBERED_EXECUTIONS = 100_000;

const SIDE_OF_CODE: Record<string, Side> = { '1': 'BUY', '2': 'SELL' };
const TYPE_OF_CODE: Record<string, OrderType> = { '1': 'MARKET', '2': 'LIMIT' };
const TIF_OF_CODE: Record<string, TimeInForce> = {
  '0': 'DAY',
  '1': 'GTC',
  '3': 'IOC',
  '4': 'FOK',
  '6': 'GTD',
};

/** jspurefix's own log lines go to the process logger (debug; its warnings as warnings). */
class PinoFixLogFactory extends JsFixLoggerFactory {
  constructor(private readonly log: Logger) {
    super();
  }
  logger(type: string): IJsFixLogger {
    const log = this.log.child({ component: 'jspurefix', type });
    return {
      info: (message) => log.debug(message),
      debug: (message) => log.trace(message),
      warning: (message) => log.warn(message),
      error: (e) => log.warn({ err: e }, e.message),
    };
  }
  plain(): IJsFixLogger {
    return this.logger('plain');
  }
}

let engine: SessionContainer | null = null;

/** jspurefix's dependency container, set up once per process (its registrations are global). */
function fixEngine(log: Logger): SessionContainer {
  if (!engine) {
    engine = new SessionContainer();
    engine.registerGlobal(new PinoFixLogFactory(log));
  }
  return engine;
}

const DICTIONARIES: Record<FixVersion, string> = {
  'FIX.4.2': require.resolve('jspurefix/data/FIX42.xml'),
  'FIX.4.4': require.resolve('jspurefix/data/FIX44.xml'),
};

/**
 * A FIX 4.2 or 4.4 venue behind the venue port, as the initiator of one session. The gateway's
 * child ids are the ClOrdIDs; cancels and replaces get ids of their own (`fix-protocol`). Answers
 * come back as venue-neutral reports; duplicates a re-send brings (PossDup) are dropped by ExecID.
 * The session reconnects with backoff; the gateway reconciles on every logon.
 */
export class FixVenue implements Venue {
  readonly capabilities: VenueCapabilities;
  private readonly log: Logger;
  private readonly journal: FixJournal;
  private readonly orders = new Map<string, SentOrder>();
  private readonly reportHandlers = new Set<(report: ExecutionReport) => void>();
  private readonly connectionHandlers = new Set<(connected: boolean) => void>();
  private readonly seenExecutions = new Set<string>();
  private readonly acknowledged = new Map<string, string>();
  private readonly fills: VenueFill[] = [];
  private fillSequence = 0;
  private readonly statusWaiters = new Map<
    string,
    { resolve: (s: VenueOrderStatus | null) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private container: DependencyContainer | null = null;
  private fixSession: OmsFixSession | null = null;
  private state: VenueSession['state'] = 'disconnected';
  private wanted = false;
  private lastHeardAt: number | null = null;
  private lastError: string | null = null;
  /** Why the venue refused a status request this session (it will refuse the next ones too). */
  private statusRefused: string | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;
  private symbols: Map<string, string>;

  constructor(private readonly settings: FixVenueSettings) {
    this.log = (settings.logger ?? silentLogger).child({ component: 'fix', venueId: settings.venueId });
    this.capabilities = {
      venueId: settings.venueId,
      orderTypes: settings.orderTypes,
      timesInForce: settings.timesInForce,
      instruments: settings.instruments,
      rateLimit: settings.rateLimit,
      fees: settings.fees,
    };
    this.symbols = new Map(Object.entries(settings.instruments).map(([id, i]) => [i.symbol, id]));
    this.backoffMs = settings.reconnect?.firstMs ?? 1_000;
    this.journal = new FixJournal(
      new SessionId(settings.beginString, settings.senderCompId, settings.targetCompId),
      settings.storeDirectory,
    );
    this.restoreOrders();
  }

  get connected(): boolean {
    return this.state === 'logged on';
  }

  session(): VenueSession {
    return {
      protocol: this.settings.beginString,
      state: this.state,
      senderCompId: this.settings.senderCompId,
      targetCompId: this.settings.targetCompId,
      nextSenderSeqNum: this.fixSession?.nextSenderSeqNum ?? this.journal.senderSeqNum,
      nextTargetSeqNum: this.journal.targetSeqNum,
      lastHeardAt: this.lastHeardAt,
      lastError: this.lastError,
    };
  }

  /** Starts the session; resolves once logged on or the first attempt failed (it keeps trying). */
  async connect(): Promise<void> {
    if (this.wanted) return;
    this.wanted = true;
    await new Promise<void>((resolve) => {
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      void this.attempt(settle);
    });
  }

  /** Logs out (or drops the attempt) and stops reconnecting. */
  async disconnect(): Promise<void> {
    this.wanted = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const session = this.fixSession;
    if (session && this.state === 'logged on') {
      const ended = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        session.once('done', () => (clearTimeout(timer), resolve()));
        session.once('error', () => (clearTimeout(timer), resolve()));
      });
      session.logout();
      await ended;
    }
    this.journal.settleTarget();
    this.setState('disconnected');
    await this.journal.dispose();
  }

  private async attempt(firstOutcome: () => void): Promise<void> {
    if (!this.wanted) return firstOutcome();
    this.setState('connecting');
    try {
      const container = await this.sessionContainer();
      const config = container.resolve<IJsFixConfig>(DITokens.IJsFixConfig);
      config.sessionStoreFactory = { create: () => this.journal };
      const initiator = container.resolve<TcpInitiator>(TcpInitiator);
      const transport: MsgTransport = await initiator.connect(2);
      const session = new OmsFixSession(config, this.journal, {
        ready: () => {
          this.backoffMs = this.settings.reconnect?.firstMs ?? 1_000;
          this.lastError = null;
          this.statusRefused = null;
          this.setState('logged on');
          firstOutcome();
        },
        message: (msgType, fields) => {
          this.settings.faults?.received?.(msgType);
          this.onMessage(msgType, fields);
        },
        stopped: (error) => {
          if (error) this.lastError = error.message;
        },
        wire: (direction, text) => {
          if (direction === 'in') this.lastHeardAt = Date.now();
          this.log.trace({ direction }, text);
        },
        problem: (what) => {
          venueErrors.inc({ venue: this.settings.venueId, kind: 'fix_session' });
          this.log.warn(what);
        },
        afterJournal: this.settings.faults?.afterJournal,
      });
      this.fixSession = session;
      await session.run(transport);
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.log.warn({ err: error }, `FIX session to ${this.settings.host}:${this.settings.port} failed`);
    }
    this.fixSession = null;
    this.failPendingQueries(new VenueUnavailable(this.settings.venueId, 'not connected'));
    this.setState('disconnected');
    firstOutcome();
    if (!this.wanted) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.settings.reconnect?.longestMs ?? 30_000);
    this.reconnectTimer = setTimeout(() => void this.attempt(() => undefined), wait);
    this.reconnectTimer.unref?.();
  }

  private async sessionContainer(): Promise<DependencyContainer> {
    if (this.container) return this.container;
    const s = this.settings;
    const description = {
      application: {
        name: s.venueId,
        type: 'initiator',
        protocol: 'ascii',
        dictionary: DICTIONARIES[s.beginString],
        tcp: { host: s.host, port: s.port },
        resilient: false,
        reconnectSeconds: 1,
      },
      Name: s.venueId,
      SenderCompId: s.senderCompId,
      TargetCompID: s.targetCompId,
      BeginString: s.beginString,
      HeartBtInt: s.heartbeatSeconds,
      ResetSeqNumFlag: false,
    } as unknown as ISessionDescription;
    this.container = await fixEngine(this.log).makeSystem(description);
    return this.container;
  }

  private setState(state: VenueSession['state']): void {
    const was = this.state === 'logged on';
    this.state = state;
    const is = state === 'logged on';
    if (was !== is) for (const handler of this.connectionHandlers) handler(is);
  }

  // --- requests ------------------------------------------------------------------------------

  private requireSession(): OmsFixSession {
    if (!this.fixSession || !this.connected)
      throw new VenueUnavailable(this.settings.venueId, 'not connected');
    return this.fixSession;
  }

  private sendOrThrow(msgType: string, body: FixBody): void {
    if (!this.requireSession().sendApplication(msgType, body))
      throw new VenueUnavailable(this.settings.venueId, 'not connected');
  }

  async submit(request: VenueOrderRequest): Promise<void> {
    const instrument = this.settings.instruments[request.instrumentId];
    if (!instrument) throw new Error(`${this.settings.venueId} does not trade ${request.instrumentId}`);
    this.requireSession();
    const body = newOrderSingle(this.settings.beginString, request, instrument.symbol, new Date());
    const sent: SentOrder = {
      childId: request.clientOrderId,
      symbol: instrument.symbol,
      side: request.side,
      type: request.type,
      timeInForce: request.timeInForce,
      quantity: request.quantity,
      limitPrice: request.limitPrice,
      clOrdId: request.clientOrderId,
      requests: this.orders.get(request.clientOrderId)?.requests ?? 0,
      pendingReplace: null,
    };
    this.sendOrThrow(MsgType.NewOrderSingle, body);
    // Known once journaled and sent (reports come later, on another turn of the event loop).
    this.orders.set(request.clientOrderId, sent);
  }

  private sentOrder(childId: string): SentOrder {
    const order = this.orders.get(childId);
    if (!order) throw new Error(`${this.settings.venueId} never sent ${childId}`);
    return order;
  }

  async cancel(clientOrderId: string): Promise<void> {
    const order = this.sentOrder(clientOrderId);
    this.requireSession();
    order.requests += 1;
    const clOrdId = requestClOrdId(order.childId, 'cancel', order.requests);
    this.sendOrThrow(
      MsgType.OrderCancelRequest,
      orderCancelRequest(this.settings.beginString, clOrdId, order.clOrdId, order, new Date()),
    );
  }

  async replace(clientOrderId: string, quantity: Decimal, limitPrice: Decimal | null): Promise<void> {
    const order = this.sentOrder(clientOrderId);
    this.requireSession();
    order.requests += 1;
    const clOrdId = requestClOrdId(order.childId, 'replace', order.requests);
    order.pendingReplace = { clOrdId, quantity, limitPrice };
    this.sendOrThrow(
      MsgType.OrderCancelReplaceRequest,
      orderCancelReplaceRequest(
        this.settings.beginString,
        clOrdId,
        order.clOrdId,
        { ...order, quantity, limitPrice },
        new Date(),
      ),
    );
  }

  /**
   * Asks the venue (OrderStatusRequest) and waits for its answer. null: the venue says it has no
   * such order, or this adapter never sent it (its journal is written before sending). Throws when
   * the venue cannot say (not connected, refused the request, no answer in time): never a guess.
   */
  async queryOrder(clientOrderId: string): Promise<VenueOrderStatus | null> {
    const order = this.orders.get(clientOrderId);
    if (!order) return null;
    this.requireSession();
    // A venue that refused one status request this session refuses them all: no wait for each slice.
    if (this.statusRefused) throw new Error(this.statusRefused);
    const existing = this.statusWaiters.get(clientOrderId);
    if (existing) {
      clearTimeout(existing.timer);
      existing.reject(new Error('superseded by a newer status request'));
    }
    const answer = new Promise<VenueOrderStatus | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.statusWaiters.delete(clientOrderId);
        reject(new Error(`${this.settings.venueId} did not answer a status request for ${clientOrderId}`));
      }, this.settings.statusTimeoutMs ?? 5_000);
      this.statusWaiters.set(clientOrderId, { resolve, reject, timer });
    });
    this.sendOrThrow(
      MsgType.OrderStatusRequest,
      orderStatusRequest(this.settings.beginString, order.clOrdId, order),
    );
    return answer;
  }

  /** Mass status is not asked for: the gateway asks about each slice it has working instead. */
  async openOrders(): Promise<VenueOrderStatus[]> {
    return [];
  }

  /** Fills this adapter received, after a sequence (fills missed while away come back by resend). */
  async fillsSince(sequence: number): Promise<VenueFill[]> {
    return this.fills.filter((f) => f.sequence > sequence);
  }

  onReport(handler: (report: ExecutionReport) => void): () => void {
    this.reportHandlers.add(handler);
    return () => this.reportHandlers.delete(handler);
  }

  onConnection(handler: (connected: boolean) => void): () => void {
    this.connectionHandlers.add(handler);
    return () => this.connectionHandlers.delete(handler);
  }

  // --- answers -------------------------------------------------------------------------------

  private context(): FixContext {
    return {
      venueId: this.settings.venueId,
      version: this.settings.beginString,
      fees: this.settings.fees,
      instrumentOf: (symbol) => this.symbols.get(symbol) ?? null,
      at: Date.now(),
    };
  }

  private onMessage(msgType: string, fields: FixFields): void {
    const ctx = this.context();
    let meaning:
      | FixMeaning
      | { kind: 'request-refused'; sent: { msgType: string; clOrdId: string | null } | null; reason: string };
    switch (msgType) {
      case MsgType.ExecutionReport:
        meaning = interpretExecutionReport(fields, ctx);
        break;
      case MsgType.OrderCancelReject:
        meaning = interpretCancelReject(fields, ctx);
        break;
      case MsgType.Reject:
      case MsgType.BusinessMessageReject: {
        const sent = this.journal.sent(Number(fields.get(Tag.RefSeqNum)));
        const clOrdId = sent && typeof sent.body.ClOrdID === 'string' ? sent.body.ClOrdID : null;
        meaning = interpretMessageReject(fields, sent ? { msgType: sent.msgType, clOrdId } : null, ctx);
        break;
      }
      default:
        meaning = { kind: 'malformed', problem: `application message type ${msgType} not handled` };
    }
    switch (meaning.kind) {
      case 'reports':
        this.applyReports(meaning.reports, meaning.replacedClOrdId ?? null);
        return;
      case 'status': {
        const waiter = this.statusWaiters.get(meaning.childId);
        if (!waiter) return;
        clearTimeout(waiter.timer);
        this.statusWaiters.delete(meaning.childId);
        waiter.resolve(meaning.status);
        return;
      }
      case 'informational':
        this.log.debug({ clOrdId: meaning.clOrdId }, meaning.what);
        return;
      case 'request-refused': {
        const childId = meaning.sent?.clOrdId ? childIdOfClOrdId(meaning.sent.clOrdId) : null;
        const waiter = childId ? this.statusWaiters.get(childId) : undefined;
        if (childId && waiter && meaning.sent?.msgType === MsgType.OrderStatusRequest) {
          clearTimeout(waiter.timer);
          this.statusWaiters.delete(childId);
          this.statusRefused = `${this.settings.venueId} refused a status request: ${meaning.reason}`;
          waiter.reject(new Error(this.statusRefused));
          return;
        }
        venueErrors.inc({ venue: this.settings.venueId, kind: 'fix_request_refused' });
        this.log.warn({ refused: meaning.sent }, `the venue refused a request: ${meaning.reason}`);
        return;
      }
      case 'malformed':
        venueErrors.inc({ venue: this.settings.venueId, kind: 'fix_malformed' });
        this.log.warn({ msgType }, `FIX message not applied: ${meaning.problem}`);
        return;
    }
  }

  private applyReports(reports: ExecutionReport[], replacedClOrdId: string | null): void {
    for (const report of reports) {
      if (report.kind === 'fill') {
        const key = `${report.clientOrderId}|${report.execId}`;
        if (this.seenExecutions.has(key)) continue; // a re-sent report (PossDup) or a repeat
        this.seenExecutions.add(key);
        this.fills.push({ ...report, sequence: ++this.fillSequence });
        if (this.fills.length > REMEMBERED_EXECUTIONS) {
          const [oldest] = this.fills.splice(0, this.fills.length - REMEMBERED_EXECUTIONS);
          this.seenExecutions.delete(`${oldest.clientOrderId}|${oldest.execId}`);
        }
      } else if (report.kind === 'ack') {
        if (this.acknowledged.get(report.clientOrderId) === report.venueOrderId) continue;
        this.acknowledged.set(report.clientOrderId, report.venueOrderId);
      }
      if (report.kind === 'replaced' && replacedClOrdId)
        this.confirmReplace(report.clientOrderId, replacedClOrdId, report);
      if (report.kind === 'replace-rejected') {
        const order = this.orders.get(report.clientOrderId);
        if (order) order.pendingReplace = null;
      }
      for (const handler of this.reportHandlers) handler(report);
    }
  }

  private confirmReplace(
    childId: string,
    clOrdId: string,
    report: Extract<ExecutionReport, { kind: 'replaced' }>,
  ): void {
    const order = this.orders.get(childId);
    if (!order) return;
    order.clOrdId = clOrdId;
    order.quantity = report.quantity;
    order.limitPrice = report.limitPrice;
    order.pendingReplace = null;
    this.journal.recordReplace({
      childId,
      clOrdId,
      quantity: report.quantity.toString(),
      limitPrice: report.limitPrice?.toString() ?? null,
    });
  }

  private failPendingQueries(error: Error): void {
    for (const [childId, waiter] of this.statusWaiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
      this.statusWaiters.delete(childId);
    }
  }

  /** The orders this adapter sent, from its journal: terms, and the ClOrdID the venue knows now. */
  private restoreOrders(): void {
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    for (const { msgType, body } of this.journal.orderMessages()) {
      const clOrdId = text(body.ClOrdID);
      if (!clOrdId) continue;
      const childId = childIdOfClOrdId(clOrdId);
      const instrument = (body.Instrument ?? {}) as FixBody;
      const quantityData = (body.OrderQtyData ?? {}) as FixBody;
      const symbol = text(body.Symbol) ?? text(instrument.Symbol) ?? '';
      const quantity = text(body.OrderQty) ?? text(quantityData.OrderQty) ?? '0';
      const price = text(body.Price);
      if (msgType === MsgType.NewOrderSingle) {
        this.orders.set(childId, {
          childId,
          symbol,
          side: SIDE_OF_CODE[text(body.Side) ?? ''] ?? 'BUY',
          type: TYPE_OF_CODE[text(body.OrdType) ?? ''] ?? 'LIMIT',
          timeInForce: TIF_OF_CODE[text(body.TimeInForce) ?? ''] ?? 'DAY',
          quantity: Decimal.parse(quantity),
          limitPrice: price === null ? null : Decimal.parse(price),
          clOrdId: childId,
          requests: 0,
          pendingReplace: null,
        });
      } else {
        const order = this.orders.get(childId);
        if (order)
          order.requests = Math.max(order.requests, Number(clOrdId.slice(clOrdId.indexOf('~') + 2)) || 0);
      }
    }
    for (const replace of this.journal.confirmedReplaces()) {
      const order = this.orders.get(replace.childId);
      if (!order) continue;
      order.clOrdId = replace.clOrdId;
      order.quantity = Decimal.parse(replace.quantity);
      order.limitPrice = replace.limitPrice === null ? null : Decimal.parse(replace.limitPrice);
    }
  }
}
