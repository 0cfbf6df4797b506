import 'reflect-metadata';
import { Decimal, OrderType, Side, TimeInForce, VenueOrderType } from '@oms/domain';
import { Logger, silentLogger, venueErrors } from '@oms/platform';
import {
  DITokens,
  IJsFixConfig,
  IJsFixLogger,
  ISessionDescription,
  JsFixLoggerFactory,
  MsgTransport,
  SessionContainer,
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
  MassStatusAnswers,
  addMassStatusAnswer,
  newOrderSingle,
  orderMassStatusRequest,
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
  /** The venue takes ExecInst 6 (post-only) and MaxFloor (iceberg). */
  postOnly?: boolean;
  iceberg?: boolean;
  timesInForce: readonly TimeInForce[];
  rateLimit: VenueCapabilities['rateLimit'];
  fees: VenueCapabilities['fees'];
  /** The venue answers OrderMassStatusRequest (FIX 4.4): reconciliation lists its open orders. */
  massStatus?: boolean;
  /** How long an OrderStatusRequest (or a mass status request) may wait for its answer. */
  statusTimeoutMs?: number;
  /** How long the TCP connection and then the Logon answer may take (default 10 s). */
  logonTimeoutMs?: number;
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
  type: VenueOrderType;
  timeInForce: TimeInForce;
  /** GTD: the ExpireTime sent (FIX text), repeated on a replace. */
  expireTime: string | null;
  /** Post-only (ExecInst 6) and iceberg (MaxFloor): restated on a replace, or the venue drops them. */
  execInst?: string | null;
  maxFloor?: string | null;
  /** A stop-limit's StopPx (OrdType 4): restated on a replace, so it stays the same stop. */
  stopPx?: string | null;
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

/** How long a logout may wait for the venue's confirmation. */
const LOGOUT_WAIT_MS = 2_000;

const SIDE_OF_CODE: Record<string, Side> = { '1': 'BUY', '2': 'SELL' };
/** OrdType as the OMS's venue type: a stop (3) or stop-limit (4) carries its StopPx beside it. */
const TYPE_OF_CODE: Record<string, VenueOrderType> = {
  '1': 'MARKET',
  '2': 'LIMIT',
  '3': 'MARKET',
  '4': 'LIMIT',
};
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
  private readonly reportHandlers = new Set<(report: ExecutionReport) => void | Promise<unknown>>();
  private readonly connectionHandlers = new Set<(connected: boolean) => void>();
  private readonly seenExecutions = new Set<string>();
  private readonly fills: VenueFill[] = [];
  private fillSequence = 0;
  private massRequests = 0;
  private readonly massWaiters = new Map<
    string,
    {
      answers: MassStatusAnswers;
      resolve: (s: VenueOrderStatus[]) => void;
      reject: (e: Error) => void;
      timer: NodeJS.Timeout;
    }
  >();
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
  /** Ends the connection attempt under way (TCP or Logon), if any. */
  private abandonAttempt: ((reason: string) => void) | null = null;
  /** Settles when the current attempt has ended (resolved at once when none runs). */
  private attemptEnded: Promise<void> = Promise.resolve();
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
      postOnly: settings.postOnly ?? false,
      iceberg: settings.iceberg ?? false,
    };
    this.symbols = new Map(Object.entries(settings.instruments).map(([id, i]) => [i.symbol, id]));
    this.backoffMs = settings.reconnect?.firstMs ?? 1_000;
    this.journal = new FixJournal(
      {
        beginString: settings.beginString,
        senderCompId: settings.senderCompId,
        targetCompId: settings.targetCompId,
      },
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

  /** Logs out (or abandons the attempt under way) and stops reconnecting. */
  async disconnect(): Promise<void> {
    this.wanted = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const session = this.fixSession;
    let clean = false;
    if (session && this.state === 'logged on') {
      clean = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), LOGOUT_WAIT_MS);
        session.once('done', () => (clearTimeout(timer), resolve(true)));
        session.once('error', () => (clearTimeout(timer), resolve(false)));
        session.logout();
      });
    } else {
      this.abandonAttempt?.('the venue was disconnected');
    }
    await this.attemptEnded;
    this.setState('disconnected');
    this.journal.close(clean);
  }

  /**
   * One connection: TCP, Logon, the session until it ends; then a reconnect after the backoff. A
   * venue that takes the connection and never answers the Logon is left after `logonTimeoutMs`.
   */
  private async attempt(firstOutcome: () => void): Promise<void> {
    if (!this.wanted) return firstOutcome();
    let ended!: () => void;
    this.attemptEnded = new Promise<void>((resolve) => (ended = resolve));
    this.setState('connecting');
    const logonTimeoutMs = this.settings.logonTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | null = null;
    try {
      const container = await this.sessionContainer();
      const config = container.resolve<IJsFixConfig>(DITokens.IJsFixConfig);
      config.sessionStoreFactory = { create: () => this.journal };
      const initiator = container.resolve<TcpInitiator>(TcpInitiator);
      const connecting = initiator.connect(Math.max(1, Math.round(logonTimeoutMs / 1000)));
      const transport: MsgTransport = await new Promise<MsgTransport>((resolve, reject) => {
        timer = setTimeout(() => {
          initiator.end();
          reject(
            new Error(
              `no TCP connection to ${this.settings.host}:${this.settings.port} within ${logonTimeoutMs} ms`,
            ),
          );
        }, logonTimeoutMs);
        this.abandonAttempt = (reason) => {
          initiator.end();
          reject(new Error(reason));
        };
        connecting.then(resolve, reject);
      });
      if (timer) clearTimeout(timer);
      if (!this.wanted) {
        transport.end();
        throw new Error('the venue was disconnected');
      }
      const session = new OmsFixSession(config, this.journal, {
        ready: () => {
          if (timer) clearTimeout(timer);
          this.backoffMs = this.settings.reconnect?.firstMs ?? 1_000;
          this.lastError = null;
          this.statusRefused = null;
          this.setState('logged on');
          firstOutcome();
        },
        message: (msgType, fields) => {
          this.settings.faults?.received?.(msgType);
          return this.onMessage(msgType, fields);
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
      this.abandonAttempt = (reason) => session.abandon(reason);
      timer = setTimeout(
        () => session.abandon(`no Logon answer within ${logonTimeoutMs} ms`),
        logonTimeoutMs,
      );
      await session.run(transport);
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.log.warn({ err: error }, `FIX session to ${this.settings.host}:${this.settings.port} ended`);
    } finally {
      if (timer) clearTimeout(timer);
      this.abandonAttempt = null;
    }
    this.fixSession = null;
    this.failPendingQueries(new VenueUnavailable(this.settings.venueId, 'not connected'));
    if (this.wanted) this.setState('disconnected');
    ended();
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
    const notSent = this.requireSession().sendApplication(msgType, body);
    if (notSent === 'backlogged') throw new VenueUnavailable(this.settings.venueId, 'backlogged');
    if (notSent) throw new VenueUnavailable(this.settings.venueId, 'not connected');
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
      expireTime: typeof body.ExpireTime === 'string' ? body.ExpireTime : null,
      execInst: typeof body.ExecInst === 'string' ? body.ExecInst : null,
      maxFloor: typeof body.MaxFloor === 'string' ? body.MaxFloor : null,
      stopPx: typeof body.StopPx === 'string' ? body.StopPx : null,
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
    try {
      this.sendOrThrow(
        MsgType.OrderStatusRequest,
        orderStatusRequest(this.settings.beginString, order.clOrdId, order),
      );
    } catch (error) {
      const waiter = this.statusWaiters.get(clientOrderId);
      if (waiter) clearTimeout(waiter.timer);
      this.statusWaiters.delete(clientOrderId);
      answer.catch(() => undefined); // never asked: nobody waits for this answer
      throw error;
    }
    return answer;
  }

  /**
   * The venue's open orders, by OrderMassStatusRequest, for a FIX 4.4 venue that declares it
   * (`massStatus`); otherwise none are listed and reconciliation asks about each working slice.
   * Throws when the venue cannot say (refused, no complete answer in time).
   */
  async openOrders(): Promise<VenueOrderStatus[]> {
    if (!this.settings.massStatus) return [];
    this.requireSession();
    const requestId = `ms-${this.settings.senderCompId}-${Date.now()}-${++this.massRequests}`;
    const answer = new Promise<VenueOrderStatus[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.massWaiters.delete(requestId);
        reject(new Error(`${this.settings.venueId} did not finish answering a mass status request`));
      }, this.settings.statusTimeoutMs ?? 5_000);
      this.massWaiters.set(requestId, {
        answers: { statuses: [], expected: null, done: false },
        resolve,
        reject,
        timer,
      });
    });
    try {
      this.sendOrThrow(MsgType.OrderMassStatusRequest, orderMassStatusRequest(requestId));
    } catch (error) {
      const waiter = this.massWaiters.get(requestId);
      if (waiter) clearTimeout(waiter.timer);
      this.massWaiters.delete(requestId);
      answer.catch(() => undefined); // never asked: nobody waits for this answer
      throw error;
    }
    return answer;
  }

  /** Fills this adapter received, after a sequence (fills missed while away come back by resend). */
  async fillsSince(sequence: number): Promise<VenueFill[]> {
    return this.fills.filter((f) => f.sequence > sequence);
  }

  onReport(handler: (report: ExecutionReport) => void | Promise<unknown>): () => void {
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

  /** What an inbound application message means, applied; settles once the gateway recorded it. */
  private onMessage(msgType: string, fields: FixFields): Promise<unknown> {
    const ctx = this.context();
    let meaning:
      | FixMeaning
      | { kind: 'request-refused'; sent: { msgType: string; clOrdId: string | null } | null; reason: string };
    switch (msgType) {
      case MsgType.ExecutionReport: {
        const mass = this.massWaiters.get(fields.get(Tag.MassStatusReqID) ?? '');
        if (mass) {
          const requestId = fields.get(Tag.MassStatusReqID) as string;
          mass.answers = addMassStatusAnswer(mass.answers, fields, ctx);
          if (mass.answers.done) {
            clearTimeout(mass.timer);
            this.massWaiters.delete(requestId);
            mass.resolve(mass.answers.statuses);
          }
          return Promise.resolve();
        }
        meaning = interpretExecutionReport(fields, ctx);
        break;
      }
      case MsgType.OrderCancelReject:
        meaning = interpretCancelReject(fields, ctx);
        break;
      case MsgType.Reject:
      case MsgType.BusinessMessageReject: {
        const sent = this.journal.sent(Number(fields.get(Tag.RefSeqNum)));
        const massId =
          sent?.msgType === MsgType.OrderMassStatusRequest ? String(sent.body.MassStatusReqID) : null;
        const mass = massId ? this.massWaiters.get(massId) : undefined;
        if (massId && mass) {
          clearTimeout(mass.timer);
          this.massWaiters.delete(massId);
          mass.reject(
            new Error(
              `${this.settings.venueId} refused a mass status request: ${fields.get(Tag.Text) ?? ''}`,
            ),
          );
          return Promise.resolve();
        }
        const clOrdId = sent && typeof sent.body.ClOrdID === 'string' ? sent.body.ClOrdID : null;
        meaning = interpretMessageReject(fields, sent ? { msgType: sent.msgType, clOrdId } : null, ctx);
        break;
      }
      default:
        meaning = { kind: 'malformed', problem: `application message type ${msgType} not handled` };
    }
    switch (meaning.kind) {
      case 'reports':
        return this.applyReports(meaning.reports, meaning.replacedClOrdId ?? null);
      case 'status': {
        const waiter = this.statusWaiters.get(meaning.childId);
        if (waiter) {
          clearTimeout(waiter.timer);
          this.statusWaiters.delete(meaning.childId);
          waiter.resolve(meaning.status);
        }
        return Promise.resolve();
      }
      case 'informational':
        this.log.debug({ clOrdId: meaning.clOrdId }, meaning.what);
        return Promise.resolve();
      case 'request-refused': {
        const childId = meaning.sent?.clOrdId ? childIdOfClOrdId(meaning.sent.clOrdId) : null;
        const waiter = childId ? this.statusWaiters.get(childId) : undefined;
        if (childId && waiter && meaning.sent?.msgType === MsgType.OrderStatusRequest) {
          clearTimeout(waiter.timer);
          this.statusWaiters.delete(childId);
          this.statusRefused = `${this.settings.venueId} refused a status request: ${meaning.reason}`;
          waiter.reject(new Error(this.statusRefused));
          return Promise.resolve();
        }
        venueErrors.inc({ venue: this.settings.venueId, kind: 'fix_request_refused' });
        this.log.warn({ refused: meaning.sent }, `the venue refused a request: ${meaning.reason}`);
        return Promise.resolve();
      }
      case 'malformed':
        venueErrors.inc({ venue: this.settings.venueId, kind: 'fix_malformed' });
        this.log.warn({ msgType }, `FIX message not applied: ${meaning.problem}`);
        return Promise.resolve();
    }
  }

  /**
   * Every report goes to the gateway, repeats included: the order drops a fill it has (by ExecID) and
   * an acknowledgement it has, and a repeat may be the re-delivery of one the gateway failed to record.
   */
  private applyReports(reports: ExecutionReport[], replacedClOrdId: string | null): Promise<unknown> {
    const recorded: Promise<unknown>[] = [];
    for (const report of reports) {
      if (report.kind === 'fill') {
        const key = `${report.clientOrderId}|${report.execId}`;
        if (!this.seenExecutions.has(key)) {
          this.seenExecutions.add(key);
          this.fills.push({ ...report, sequence: ++this.fillSequence });
          if (this.fills.length > REMEMBERED_EXECUTIONS) {
            const [oldest] = this.fills.splice(0, this.fills.length - REMEMBERED_EXECUTIONS);
            this.seenExecutions.delete(`${oldest.clientOrderId}|${oldest.execId}`);
          }
        }
      }
      if (report.kind === 'replaced' && replacedClOrdId)
        this.confirmReplace(report.clientOrderId, replacedClOrdId, report);
      if (report.kind === 'replace-rejected') {
        const order = this.orders.get(report.clientOrderId);
        if (order) order.pendingReplace = null;
      }
      for (const handler of this.reportHandlers) {
        try {
          recorded.push(Promise.resolve(handler(report)));
        } catch (error) {
          recorded.push(Promise.reject(error));
        }
      }
    }
    return Promise.all(recorded);
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
    for (const [requestId, waiter] of this.massWaiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
      this.massWaiters.delete(requestId);
    }
  }

  /**
   * The orders this adapter sent, from its journal, replayed in the order it happened: terms, the
   * ClOrdID the venue knows each by now, and how many cancel and replace ids each has used. A second
   * NewOrderSingle for a child (re-sent after its venue lost it) starts its id chain again.
   */
  private restoreOrders(): void {
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    for (const entry of this.journal.orderHistory()) {
      if (entry.kind === 'replaced') {
        const order = this.orders.get(entry.childId);
        if (!order) continue;
        order.clOrdId = entry.clOrdId;
        order.quantity = Decimal.parse(entry.quantity);
        order.limitPrice = entry.limitPrice === null ? null : Decimal.parse(entry.limitPrice);
        continue;
      }
      const { msgType, body } = entry;
      const clOrdId = text(body.ClOrdID);
      if (!clOrdId) continue;
      const childId = childIdOfClOrdId(clOrdId);
      if (msgType !== MsgType.NewOrderSingle) {
        const order = this.orders.get(childId);
        if (order)
          order.requests = Math.max(order.requests, Number(clOrdId.slice(clOrdId.indexOf('~') + 2)) || 0);
        continue;
      }
      const instrument = (body.Instrument ?? {}) as FixBody;
      const quantityData = (body.OrderQtyData ?? {}) as FixBody;
      const price = text(body.Price);
      this.orders.set(childId, {
        childId,
        symbol: text(body.Symbol) ?? text(instrument.Symbol) ?? '',
        side: SIDE_OF_CODE[text(body.Side) ?? ''] ?? 'BUY',
        type: TYPE_OF_CODE[text(body.OrdType) ?? ''] ?? 'LIMIT',
        timeInForce: TIF_OF_CODE[text(body.TimeInForce) ?? ''] ?? 'DAY',
        expireTime: text(body.ExpireTime),
        execInst: text(body.ExecInst),
        maxFloor: text(body.MaxFloor),
        stopPx: text(body.StopPx),
        quantity: Decimal.parse(text(body.OrderQty) ?? text(quantityData.OrderQty) ?? '0'),
        limitPrice: price === null ? null : Decimal.parse(price),
        clOrdId: childId,
        // Ids used before stay used: the venue refuses a ClOrdID twice.
        requests: this.orders.get(childId)?.requests ?? 0,
        pendingReplace: null,
      });
    }
  }
}
