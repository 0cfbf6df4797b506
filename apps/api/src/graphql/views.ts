import {
  CONTROLS_STREAM,
  Recorded,
  ReferencePriceSource,
  Refusal,
  accountStream,
  asRecorded,
  domainEventOf,
  instrumentStream,
  orderStream,
} from '@oms/application';
import {
  Decimal,
  HaltLevel,
  Order as DomainOrder,
  OrderEventType,
  Position as DomainPosition,
  evolveOrder,
  fromOrderSnapshot,
  initialOrderState,
  summarizePnl,
  unrealizedPnl,
} from '@oms/domain';
import { AuditChain, EventStore, PostgresEventStore, auditChainOf, positionKey } from '@oms/event-store';
import { OrderRow, PositionRow, RiskLimitsRow } from '@oms/read-models';
import { DataSource } from 'typeorm';
import {
  AuditAnchor,
  AuditEventConnection,
  AuditFilter,
  AuditVerification,
  FeeAmount,
  Order,
  OrderConnection,
  OrderEvent,
  Pnl,
  Position,
  RiskLimits,
  TradingStateChange,
  TradingStateView,
} from './types';
import { HaltScope } from '../commands/commands';

const feeAmounts = (fees: Readonly<Record<string, Decimal>>): FeeAmount[] =>
  Object.entries(fees)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, amount]) => ({ currency, amount }));

/** The one mapping from the domain's order state to the API's Order. */
export function orderView(order: DomainOrder): Order {
  const t = order.terms;
  return {
    id: t.orderId,
    accountId: t.accountId,
    clientOrderId: t.clientOrderId,
    instrumentId: t.instrumentId,
    side: t.side,
    type: t.type,
    timeInForce: t.timeInForce,
    quantity: order.orderQty,
    limitPrice: order.limitPrice,
    venueId: t.venueId,
    expireAt: order.expireAt === null ? null : new Date(order.expireAt),
    status: order.status,
    filledQuantity: order.cumQty,
    leavesQuantity: order.leavesQty,
    averagePrice: order.avgPx,
    overfilledQuantity: order.overfilledQty,
    rejections: order.rejections,
    fills: order.fills.map((f) => ({
      execId: f.execId,
      venueId: f.venueId,
      quantity: f.quantity,
      price: f.price,
      fee: f.fee,
      feeCurrency: f.feeCurrency,
      liquidity: f.liquidity,
      executedAt: new Date(f.executedAt),
      busted: f.busted,
    })),
    stopPrice: order.trigger?.stopPrice ?? (t.stopPrice ? Decimal.parse(t.stopPrice) : null),
    triggerType: order.trigger?.triggerType ?? null,
    triggerStatus: order.trigger?.status ?? null,
    triggeredAt: order.trigger?.triggeredAt ? new Date(order.trigger.triggeredAt) : null,
    trailingOffset: t.trailingOffset ? Decimal.parse(t.trailingOffset) : null,
    trailingOffsetType: t.trailingOffsetType ?? null,
    limitOffset: t.limitOffset ? Decimal.parse(t.limitOffset) : null,
    postOnly: t.postOnly ?? false,
    displayQuantity: t.displayQuantity ? Decimal.parse(t.displayQuantity) : null,
    createdAt: new Date(order.createdAt),
    updatedAt: new Date(order.updatedAt),
  };
}

function encodeCursor(createdAt: Date, orderId: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${orderId}`).toString('base64url');
}

const AUDIT_QUERY_TIMEOUT_MS = 5_000;

/**
 * A key's hash stays in the log (the chain covers it) but is not handed out: a configured key may be
 * guessable, and its hash is what a guess would be tested against offline.
 */
function withoutKeyHash(type: string, data: unknown): unknown {
  if (type !== 'ApiKeyIssued' || typeof data !== 'object' || data === null) return data;
  return { ...data, secretHash: '(argon2id hash, withheld)' };
}

/** A place in the log, as auditTrail gives it out: transaction id and position, both digits. */
function decodeLogCursor(cursor: string): [string, string] {
  const [tx, position] = Buffer.from(cursor, 'base64url').toString().split('|');
  const fits = (digits: string | undefined) =>
    /^\d{1,19}$/.test(digits ?? '') && BigInt(digits as string) < 2n ** 63n;
  if (cursor.length > 100 || !fits(tx) || !fits(position)) {
    throw new Refusal(
      'INVALID_CURSOR',
      'The cursor is not one this API gave out; use an endCursor from a page.',
    );
  }
  return [tx, position];
}

function decodeCursor(cursor: string): [Date, string] {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (cursor.length > 200 || !at || !id || Number.isNaN(Date.parse(at))) {
    throw new Refusal(
      'INVALID_CURSOR',
      'The cursor is not one this API gave out; use an endCursor from a page.',
    );
  }
  return [new Date(at), id];
}

/**
 * Reads for the API: read models (through TypeORM's repositories and query builder) for lists,
 * positions and limits; the event store for audit. A single order falls back to its stream while the
 * projector has not caught up, so a client can read its own write at once.
 */
export class OmsQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly prices: ReferencePriceSource,
  ) {}

  async order(orderId: string): Promise<Order | null> {
    const row = await this.dataSource
      .getRepository(OrderRow)
      .findOne({ select: { orderId: true, snapshot: true }, where: { orderId } });
    if (row) return orderView(fromOrderSnapshot(row.snapshot));
    const state = (await this.history(orderId)).reduce(
      (s, e) => evolveOrder(s, domainEventOf(e)),
      initialOrderState(),
    );
    return state.exists ? orderView(state) : null;
  }

  async orders(args: {
    /** The accounts to list: every one, or these (none: an empty page). */
    accounts: 'ALL' | readonly string[];
    status?: string[] | null;
    first: number;
    after?: string | null;
  }): Promise<OrderConnection> {
    const after = args.after ? decodeCursor(args.after) : null;
    const query = this.dataSource
      .getRepository(OrderRow)
      .createQueryBuilder('o')
      .select(['o.orderId', 'o.snapshot', 'o.createdAt'])
      .orderBy('o.createdAt', 'DESC')
      .addOrderBy('o.orderId', 'DESC')
      .limit(args.first + 1);
    if (args.accounts !== 'ALL') {
      if (args.accounts.length === 0) query.andWhere('FALSE');
      else query.andWhere('o.accountId IN (:...accounts)', { accounts: args.accounts });
    }
    if (args.status) query.andWhere('o.status IN (:...status)', { status: args.status });
    if (after) query.andWhere('(o.createdAt, o.orderId) < (:at, :id)', { at: after[0], id: after[1] });
    const rows = await query.getMany();
    const page = rows.slice(0, args.first);
    const edges = page.map((r) => ({
      cursor: encodeCursor(r.createdAt, r.orderId),
      node: orderView(fromOrderSnapshot(r.snapshot)),
    }));
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > args.first,
        hasPreviousPage: after !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  private async positionRows(accountId: string): Promise<DomainPosition[]> {
    const rows = await this.dataSource
      .getRepository(PositionRow)
      .find({ where: { accountId }, order: { instrumentId: 'ASC' } });
    return rows.map((r) => ({
      instrumentId: r.instrumentId,
      quantity: r.quantity,
      costBasis: r.costBasis,
      averagePrice: r.averagePrice,
      realizedPnl: r.realizedPnl,
      fees: r.fees,
      otherFees: Object.fromEntries(Object.entries(r.otherFees ?? {}).map(([c, v]) => [c, Decimal.parse(v)])),
    }));
  }

  async positions(accountId: string): Promise<Position[]> {
    return (await this.positionRows(accountId)).map((p) => {
      const mark = this.prices.markPrice(p.instrumentId);
      return {
        accountId,
        ...p,
        otherFees: feeAmounts(p.otherFees),
        markPrice: mark,
        unrealizedPnl: mark ? unrealizedPnl(p, mark) : null,
      };
    });
  }

  async pnl(accountId: string): Promise<Pnl> {
    const positions = await this.positionRows(accountId);
    const marks = new Map<string, Decimal>();
    for (const p of positions) {
      const mark = this.prices.markPrice(p.instrumentId);
      if (mark) marks.set(p.instrumentId, mark);
    }
    const s = summarizePnl(positions, marks);
    return {
      accountId,
      realized: s.realized,
      unrealized: s.unrealized,
      fees: s.fees,
      net: s.net,
      otherFees: feeAmounts(s.otherFees),
      unmarkedInstruments: s.unmarked,
    };
  }

  async riskLimits(accountId: string): Promise<RiskLimits | null> {
    const row = await this.dataSource.getRepository(RiskLimitsRow).findOneBy({ accountId });
    if (!row?.limits) return null;
    const l = row.limits;
    return {
      accountId,
      maxOrderQuantity: Decimal.parse(l.maxOrderQuantity),
      maxOrderNotional: Decimal.parse(l.maxOrderNotional),
      maxPosition: Decimal.parse(l.maxPosition),
      positionLimits: Object.entries(l.positionLimits ?? {}).map(([instrumentId, maxPosition]) => ({
        instrumentId,
        maxPosition: Decimal.parse(maxPosition),
      })),
      maxOpenNotional: Decimal.parse(l.maxOpenNotional),
      priceCollarPercent: Decimal.parse(l.priceCollarPercent),
      staleReferenceAfterMs: l.staleReferenceAfterMs,
      maxOrdersPerWindow: l.maxOrdersPerWindow,
      orderRateWindowMs: l.orderRateWindowMs,
      maxDailyLoss: Decimal.parse(l.maxDailyLoss),
      reduceOnly: l.reduceOnly,
      allowedInstruments: l.allowedInstruments,
      halted: row.halted,
      haltReason: row.haltReason,
      tradingState: row.tradingState,
    };
  }

  /**
   * The log as an auditor searches it (PostgreSQL store): by actor, account (its own stream and every
   * order stream whose first event names it), order, event type and time; oldest first, a page at a time.
   */
  async auditTrail(filter: AuditFilter, first: number, after: string | null): Promise<AuditEventConnection> {
    if (!(this.store instanceof PostgresEventStore)) {
      throw new Refusal('NOT_SUPPORTED', 'The audit trail is searched on the PostgreSQL event store only.');
    }
    const conditions: string[] = [];
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (filter.actor) conditions.push(`metadata->>'actor' = ${param(filter.actor)}`);
    if (filter.orderId) conditions.push(`stream_name = ${param(orderStream(filter.orderId))}`);
    if (filter.accountId) {
      const account = param(filter.accountId);
      conditions.push(
        `(stream_name = 'account-' || ${account} OR stream_name IN (
           SELECT a.stream_name FROM es_events a
            WHERE a.revision = 0 AND a.data->>'accountId' = ${account} AND a.stream_name LIKE 'order-%'))`,
      );
    }
    if (filter.eventTypes && filter.eventTypes.length > 0)
      conditions.push(`type = ANY(${param(filter.eventTypes)})`);
    if (filter.from) conditions.push(`recorded_at >= ${param(filter.from)}`);
    if (filter.to) conditions.push(`recorded_at < ${param(filter.to)}`);
    if (after) {
      const [tx, position] = decodeLogCursor(after);
      conditions.push(`(transaction_id, position) > (${param(tx)}::text::xid8, ${param(position)}::bigint)`);
    }
    const rows: {
      tx: string;
      pos: string;
      stream_name: string;
      revision: string;
      type: string;
      recorded_at: Date;
      data: unknown;
      metadata: { actor?: string; credential?: string; correlationId?: string; causationId?: string | null };
    }[] = await this.dataSource
      .transaction(async (tx) => {
        // A search the indexes cannot narrow scans the log: it is stopped, not left to run.
        await tx.query(`SET LOCAL statement_timeout = '${AUDIT_QUERY_TIMEOUT_MS}ms'`);
        return tx.query(
          `SELECT transaction_id::text AS tx, position::text AS pos, stream_name, revision::text, type, recorded_at, data, metadata
             FROM es_events ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
            ORDER BY es_events.transaction_id, es_events.position
            LIMIT ${param(first + 1)}`,
          values,
        );
      })
      .catch((error: { code?: string }) => {
        if (error.code !== '57014') throw error;
        throw new Refusal(
          'AUDIT_QUERY_TOO_SLOW',
          `The search ran longer than ${AUDIT_QUERY_TIMEOUT_MS / 1000} s; narrow it (an actor, an order, a time range).`,
        );
      });
    const edges = rows.slice(0, first).map((r) => ({
      cursor: Buffer.from(`${r.tx}|${r.pos}`).toString('base64url'),
      node: {
        position: positionKey({ commit: BigInt(r.tx), prepare: BigInt(r.pos) }),
        stream: r.stream_name,
        revision: Number(r.revision),
        type: r.type,
        recordedAt: r.recorded_at,
        actor: r.metadata?.actor ?? null,
        credential: r.metadata?.credential ?? null,
        correlationId: r.metadata?.correlationId ?? null,
        causationId: r.metadata?.causationId ?? null,
        data: withoutKeyHash(r.type, r.data),
      },
    }));
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > first,
        hasPreviousPage: after !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  /** The audit chain of the PostgreSQL event log, recomputed from the rows. */
  /** One verification at a time per process: it reads the whole log. */
  auditVerification(anchor: { count: number; hash: string } | null): Promise<AuditVerification> {
    const chain = this.auditChain();
    const run = (this.verifying ?? Promise.resolve()).catch(() => undefined).then(() => chain.verify(anchor));
    this.verifying = run.finally(() => {
      if (this.verifying === run) this.verifying = null;
    });
    return run;
  }

  private verifying: Promise<unknown> | null = null;

  auditAnchor(): Promise<AuditAnchor | null> {
    return this.auditChain().anchor();
  }

  private auditChain(): AuditChain {
    return auditChainOf(this.store);
  }

  /** Every halt and resume at one scope, from its stream (the log is the record): oldest first. */
  async tradingState(scope: HaltScope, id: string | null): Promise<TradingStateView> {
    const stream =
      scope === 'GLOBAL'
        ? CONTROLS_STREAM
        : scope === 'ACCOUNT'
          ? accountStream(id ?? '')
          : instrumentStream(id ?? '');
    const history: TradingStateChange[] = [];
    for (const e of await this.store.readStream(stream)) {
      const d = e.data as { reason?: string; state?: HaltLevel; cancelWorking?: boolean };
      const halted =
        e.type === 'GlobalTradingHalted' || e.type === 'InstrumentHalted' || e.type === 'TradingHalted';
      const resumed =
        e.type === 'GlobalTradingResumed' || e.type === 'InstrumentResumed' || e.type === 'TradingResumed';
      if (!halted && !resumed) continue;
      history.push({
        state: halted ? (d.state ?? 'HALTED') : 'ACTIVE',
        reason: halted ? (d.reason ?? null) : null,
        actor: e.metadata.actor ?? null,
        at: e.recordedAt,
        cancelWorking: halted && d.cancelWorking === true,
      });
    }
    const last = history.at(-1) ?? null;
    const current = last && last.state !== 'ACTIVE' ? last : null;
    return { scope, id: scope === 'GLOBAL' ? null : id, state: current?.state ?? 'ACTIVE', current, history };
  }

  async history(orderId: string): Promise<Recorded<OrderEventType>[]> {
    return asRecorded<OrderEventType>(await this.store.readStream(orderStream(orderId)));
  }

  async orderHistory(orderId: string, fromRevision = 0, first?: number): Promise<OrderEvent[]> {
    const events = await this.store.readStream(orderStream(orderId), {
      fromRevision: BigInt(fromRevision),
      maxCount: first,
    });
    return asRecorded<OrderEventType>(events).map((e) => ({
      revision: Number(e.revision),
      type: e.type,
      recordedAt: e.recordedAt,
      data: e.data,
      correlationId: e.metadata.correlationId ?? null,
      causationId: e.metadata.causationId ?? null,
      actor: e.metadata.actor ?? null,
      credential: e.metadata.credential ?? null,
    }));
  }

  /** The order as it stood after `revision` and/or at instant `at` (whichever is earlier). */
  async orderAsOf(orderId: string, revision: number | null, at: Date | null): Promise<Order | null> {
    let state = initialOrderState();
    const history = await this.history(orderId);
    if (
      revision !== null &&
      history.length > 0 &&
      (revision < 0 || BigInt(revision) > history.at(-1)!.revision)
    ) {
      throw new Refusal(
        'REVISION_NOT_FOUND',
        `Order ${orderId} has revisions 0 to ${history.at(-1)!.revision}; there is no revision ${revision}.`,
      );
    }
    for (const e of history) {
      if (revision !== null && e.revision > BigInt(revision)) break;
      if (at !== null && e.recordedAt.getTime() > at.getTime()) break;
      state = evolveOrder(state, domainEventOf(e));
    }
    return state.exists ? orderView(state) : null;
  }
}
