import {
  AccountEvent,
  Order,
  OrderEvent,
  OrderSnapshot,
  evolveOrder,
  fromOrderSnapshot,
  initialOrderState,
  toOrderSnapshot,
} from '@oms/domain';
import { RecordedEvent } from '@oms/event-store';
import { EntityManager } from 'typeorm';

/** What a batch changed, so the projector can notify listeners after it commits. */
export interface ProjectionChanges {
  orders: Map<string, { orderId: string; accountId: string }>;
}

/** A read model declared as data: which events it reads and how one event changes its rows. */
export interface Projection {
  name: string;
  canHandle: readonly string[];
  apply(tx: EntityManager, event: RecordedEvent, changes: ProjectionChanges): Promise<void>;
}

const ORDER_EVENTS = [
  'OrderAccepted',
  'OrderRejected',
  'OrderRouted',
  'VenueOrderSubmitted',
  'VenueOrderUnconfirmed',
  'VenueOrderClosed',
  'OrderAcknowledged',
  'OrderFilled',
  'OrderOverfilled',
  'OrderRejectedByVenue',
  'OrderCancelRequested',
  'OrderCanceled',
  'OrderCancelRejected',
  'OrderReplaceRequested',
  'OrderReplaced',
  'OrderReplaceRejected',
  'OrderExpired',
  'TradeBusted',
  'TradeCorrected',
] as const satisfies readonly OrderEvent['type'][];

/** Orders and their fills. The row keeps the order's snapshot, so each event applies with evolveOrder. */
export const ordersProjection: Projection = {
  name: 'orders',
  canHandle: ORDER_EVENTS,
  async apply(tx, recorded, changes) {
    const orderId = recorded.streamName.slice('order-'.length);
    const [row] = (await tx.query('SELECT snapshot, revision FROM rm_orders WHERE order_id = $1 FOR UPDATE', [
      orderId,
    ])) as {
      snapshot: OrderSnapshot;
      revision: string;
    }[];
    if (row && BigInt(row.revision) >= recorded.revision) return; // applied already
    const before = row ? fromOrderSnapshot(row.snapshot) : initialOrderState();
    const after = evolveOrder(before, { type: recorded.type, data: recorded.data } as OrderEvent);
    if (!after.exists) return;
    await upsertOrder(tx, after, recorded.revision);
    await projectFill(tx, after, recorded);
    changes.orders.set(orderId, { orderId, accountId: after.terms.accountId });
  },
};

async function upsertOrder(tx: EntityManager, order: Order, revision: bigint): Promise<void> {
  const t = order.terms;
  await tx.query(
    `INSERT INTO rm_orders (order_id, account_id, client_order_id, instrument_id, side, type, time_in_force, quantity,
        limit_price, venue_id, status, filled_quantity, leaves_quantity, average_price, overfilled_quantity, rejections,
        snapshot, revision, created_at, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)
     ON CONFLICT (order_id) DO UPDATE SET quantity = EXCLUDED.quantity, limit_price = EXCLUDED.limit_price,
        status = EXCLUDED.status, filled_quantity = EXCLUDED.filled_quantity, leaves_quantity = EXCLUDED.leaves_quantity,
        average_price = EXCLUDED.average_price, overfilled_quantity = EXCLUDED.overfilled_quantity,
        rejections = EXCLUDED.rejections, snapshot = EXCLUDED.snapshot, revision = EXCLUDED.revision,
        updated_at = EXCLUDED.updated_at`,
    [
      t.orderId,
      t.accountId,
      t.clientOrderId,
      t.instrumentId,
      t.side,
      t.type,
      t.timeInForce,
      order.orderQty.toString(),
      order.limitPrice?.toString() ?? null,
      t.venueId,
      order.status,
      order.cumQty.toString(),
      order.leavesQty.toString(),
      order.avgPx?.toString() ?? null,
      order.overfilledQty.toString(),
      JSON.stringify(order.rejections),
      JSON.stringify(toOrderSnapshot(order)),
      revision.toString(),
      order.createdAt,
      order.updatedAt,
    ],
  );
}

async function projectFill(tx: EntityManager, order: Order, recorded: RecordedEvent): Promise<void> {
  if (
    recorded.type !== 'OrderFilled' &&
    recorded.type !== 'TradeBusted' &&
    recorded.type !== 'TradeCorrected'
  )
    return;
  const execId = (recorded.data as { execId: string }).execId;
  const fill = order.fills.find((f) => f.execId === execId);
  if (!fill) return;
  await tx.query(
    `INSERT INTO rm_fills (order_id, exec_id, account_id, instrument_id, venue_id, side, quantity, price, fee, liquidity,
        executed_at, busted)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
     ON CONFLICT (order_id, exec_id) DO UPDATE SET quantity = EXCLUDED.quantity, price = EXCLUDED.price,
        busted = EXCLUDED.busted`,
    [
      order.terms.orderId,
      fill.execId,
      order.terms.accountId,
      order.terms.instrumentId,
      fill.venueId,
      order.terms.side,
      fill.quantity.toString(),
      fill.price.toString(),
      fill.fee.toString(),
      fill.liquidity,
      fill.executedAt,
      fill.busted,
    ],
  );
}

/** Positions as the account ledger booked them: FillBooked carries the position after each fill. */
export const positionsProjection: Projection = {
  name: 'positions',
  canHandle: ['FillBooked'],
  async apply(tx, recorded) {
    const d = (recorded as unknown as { data: Extract<AccountEvent, { type: 'FillBooked' }>['data'] }).data;
    await tx.query(
      `INSERT INTO rm_positions (account_id, instrument_id, quantity, average_price, realized_pnl, fees, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7)
       ON CONFLICT (account_id, instrument_id) DO UPDATE SET quantity = EXCLUDED.quantity,
         average_price = EXCLUDED.average_price, realized_pnl = EXCLUDED.realized_pnl, fees = EXCLUDED.fees,
         updated_at = EXCLUDED.updated_at`,
      [
        d.accountId,
        d.instrumentId,
        d.position.quantity,
        d.position.averagePrice,
        d.position.realizedPnl,
        d.position.fees,
        d.executedAt,
      ],
    );
  },
};

/** Risk limits and the account's halt state. */
export const riskLimitsProjection: Projection = {
  name: 'risk-limits',
  canHandle: ['RiskLimitsSet', 'TradingHalted', 'TradingResumed'],
  async apply(tx, recorded) {
    const event = { type: recorded.type, data: recorded.data } as AccountEvent;
    const at = recorded.recordedAt;
    if (event.type === 'RiskLimitsSet') {
      await tx.query(
        `INSERT INTO rm_risk_limits (account_id, limits, halted, halt_reason, updated_at) VALUES ($1, $2, false, null, $3)
         ON CONFLICT (account_id) DO UPDATE SET limits = EXCLUDED.limits, updated_at = EXCLUDED.updated_at`,
        [event.data.accountId, JSON.stringify(event.data.limits), at],
      );
    } else if (event.type === 'TradingHalted') {
      await tx.query(
        `INSERT INTO rm_risk_limits (account_id, limits, halted, halt_reason, updated_at) VALUES ($1, null, true, $2, $3)
         ON CONFLICT (account_id) DO UPDATE SET halted = true, halt_reason = EXCLUDED.halt_reason, updated_at = EXCLUDED.updated_at`,
        [event.data.accountId, event.data.reason, at],
      );
    } else if (event.type === 'TradingResumed') {
      await tx.query(
        `UPDATE rm_risk_limits SET halted = false, halt_reason = null, updated_at = $2 WHERE account_id = $1`,
        [event.data.accountId, at],
      );
    }
  },
};

export const READ_MODEL_PROJECTIONS: Projection[] = [
  ordersProjection,
  positionsProjection,
  riskLimitsProjection,
];
