import {
  Decimal,
  Order as DomainOrder,
  OrderEvent as DomainOrderEvent,
  OrderSnapshot,
  Position as DomainPosition,
  RiskLimitsData,
  evolveOrder,
  fromOrderSnapshot,
  initialOrderState,
  summarizePnl,
  unrealizedPnl,
} from '@oms/domain';
import { EventStore, RecordedEvent } from '@oms/event-store';
import { DataSource } from 'typeorm';
import { orderStream } from '../commands/streams';
import { ReferencePriceSource } from '../commands/reference-prices';
import { Order, OrderConnection, OrderEvent, Pnl, Position, RiskLimits } from './types';

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
      liquidity: f.liquidity,
      executedAt: new Date(f.executedAt),
      busted: f.busted,
    })),
    createdAt: new Date(order.createdAt),
    updatedAt: new Date(order.updatedAt),
  };
}

function encodeCursor(createdAt: Date, orderId: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${orderId}`).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] | null {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  return at && id && !Number.isNaN(Date.parse(at)) ? [at, id] : null;
}

/**
 * Reads for the API: read models for lists, positions and limits; the event store for audit. A single
 * order falls back to its stream while the projector has not caught up, so a client can read its own
 * write at once.
 */
export class OmsQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly prices: ReferencePriceSource,
  ) {}

  async order(orderId: string): Promise<Order | null> {
    const [row] = (await this.dataSource.query('SELECT snapshot FROM rm_orders WHERE order_id = $1', [
      orderId,
    ])) as { snapshot: OrderSnapshot }[];
    if (row) return orderView(fromOrderSnapshot(row.snapshot));
    const state = (await this.history(orderId)).reduce(
      (s, e) => evolveOrder(s, { type: e.type, data: e.data } as DomainOrderEvent),
      initialOrderState(),
    );
    return state.exists ? orderView(state) : null;
  }

  async orders(args: {
    accountId?: string | null;
    status?: string[] | null;
    first: number;
    after?: string | null;
  }): Promise<OrderConnection> {
    const after = args.after ? decodeCursor(args.after) : null;
    const rows = (await this.dataSource.query(
      `SELECT snapshot, created_at FROM rm_orders
        WHERE ($1::text IS NULL OR account_id = $1)
          AND ($2::text[] IS NULL OR status = ANY ($2))
          AND ($3::timestamptz IS NULL OR (created_at, order_id) < ($3::timestamptz, $4::text))
        ORDER BY created_at DESC, order_id DESC
        LIMIT $5`,
      [args.accountId ?? null, args.status ?? null, after?.[0] ?? null, after?.[1] ?? null, args.first + 1],
    )) as { snapshot: OrderSnapshot; created_at: Date }[];
    const page = rows.slice(0, args.first);
    const edges = page.map((r) => ({
      cursor: encodeCursor(r.created_at, r.snapshot.terms.orderId),
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
    const rows = (await this.dataSource.query(
      'SELECT instrument_id, quantity, average_price, realized_pnl, fees FROM rm_positions WHERE account_id = $1 ORDER BY instrument_id',
      [accountId],
    )) as {
      instrument_id: string;
      quantity: string;
      average_price: string;
      realized_pnl: string;
      fees: string;
    }[];
    return rows.map((r) => ({
      instrumentId: r.instrument_id,
      quantity: Decimal.parse(r.quantity),
      averagePrice: Decimal.parse(r.average_price),
      realizedPnl: Decimal.parse(r.realized_pnl),
      fees: Decimal.parse(r.fees),
    }));
  }

  async positions(accountId: string): Promise<Position[]> {
    return (await this.positionRows(accountId)).map((p) => {
      const mark = this.prices.markPrice(p.instrumentId);
      return { accountId, ...p, markPrice: mark, unrealizedPnl: mark ? unrealizedPnl(p, mark) : null };
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
      unmarkedInstruments: s.unmarked,
    };
  }

  async riskLimits(accountId: string): Promise<RiskLimits | null> {
    const [row] = (await this.dataSource.query(
      'SELECT limits, halted, halt_reason FROM rm_risk_limits WHERE account_id = $1',
      [accountId],
    )) as {
      limits: RiskLimitsData | null;
      halted: boolean;
      halt_reason: string | null;
    }[];
    if (!row?.limits) return null;
    const l = row.limits;
    return {
      accountId,
      maxOrderQuantity: Decimal.parse(l.maxOrderQuantity),
      maxOrderNotional: Decimal.parse(l.maxOrderNotional),
      maxPosition: Decimal.parse(l.maxPosition),
      maxOpenNotional: Decimal.parse(l.maxOpenNotional),
      priceCollarPercent: Decimal.parse(l.priceCollarPercent),
      staleReferenceAfterMs: l.staleReferenceAfterMs,
      maxOrdersPerWindow: l.maxOrdersPerWindow,
      orderRateWindowMs: l.orderRateWindowMs,
      maxDailyLoss: Decimal.parse(l.maxDailyLoss),
      reduceOnly: l.reduceOnly,
      allowedInstruments: l.allowedInstruments,
      halted: row.halted,
      haltReason: row.halt_reason,
    };
  }

  history(orderId: string): Promise<RecordedEvent[]> {
    return this.store.readStream(orderStream(orderId));
  }

  async orderHistory(orderId: string): Promise<OrderEvent[]> {
    return (await this.history(orderId)).map((e) => ({
      revision: Number(e.revision),
      type: e.type,
      recordedAt: e.recordedAt,
      data: e.data,
      correlationId: e.metadata.correlationId ?? null,
      causationId: e.metadata.causationId ?? null,
      actor: e.metadata.actor ?? null,
    }));
  }

  /** The order as it stood after `revision` and/or at instant `at` (whichever is earlier). */
  async orderAsOf(orderId: string, revision: number | null, at: Date | null): Promise<Order | null> {
    let state = initialOrderState();
    for (const e of await this.history(orderId)) {
      if (revision !== null && e.revision > BigInt(revision)) break;
      if (at !== null && e.recordedAt.getTime() > at.getTime()) break;
      state = evolveOrder(state, { type: e.type, data: e.data } as DomainOrderEvent);
    }
    return state.exists ? orderView(state) : null;
  }
}
