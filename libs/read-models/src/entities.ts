import {
  Decimal,
  Liquidity,
  OrderSnapshot,
  OrderStatus,
  OrderType,
  RiskLimitsData,
  Side,
  TimeInForce,
  TradingState,
} from '@oms/domain';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DECIMAL_COLUMN } from './decimal-column';

/** One row per order: what front-ends list and filter. `snapshot` lets later events apply with evolveOrder. */
@Entity({ name: 'rm_orders' })
@Index('rm_orders_account_created', ['accountId', 'createdAt', 'orderId'])
export class OrderRow {
  @PrimaryColumn({ name: 'order_id' }) orderId!: string;
  @Column({ name: 'account_id' }) accountId!: string;
  @Column({ name: 'client_order_id' }) clientOrderId!: string;
  @Column({ name: 'instrument_id' }) instrumentId!: string;
  @Column({ type: 'text' }) side!: Side;
  @Column({ type: 'text' }) type!: OrderType;
  @Column({ name: 'time_in_force', type: 'text' }) timeInForce!: TimeInForce;
  @Column({ ...DECIMAL_COLUMN }) quantity!: Decimal;
  @Column({ ...DECIMAL_COLUMN, name: 'limit_price', nullable: true }) limitPrice!: Decimal | null;
  @Column({ name: 'venue_id', type: 'text', nullable: true }) venueId!: string | null;
  @Index() @Column({ type: 'text' }) status!: OrderStatus;
  @Column({ ...DECIMAL_COLUMN, name: 'filled_quantity' }) filledQuantity!: Decimal;
  @Column({ ...DECIMAL_COLUMN, name: 'leaves_quantity' }) leavesQuantity!: Decimal;
  @Column({ ...DECIMAL_COLUMN, name: 'average_price', nullable: true }) averagePrice!: Decimal | null;
  @Column({ ...DECIMAL_COLUMN, name: 'overfilled_quantity' }) overfilledQuantity!: Decimal;
  @Column({ type: 'jsonb' }) rejections!: { code: string; message: string }[];
  @Column({ type: 'jsonb' }) snapshot!: OrderSnapshot;
  /** Last order-stream revision applied: an event at or below it is a redelivery. */
  @Column({ type: 'bigint' }) revision!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'rm_fills' })
export class FillRow {
  @PrimaryColumn({ name: 'order_id' }) orderId!: string;
  @PrimaryColumn({ name: 'exec_id' }) execId!: string;
  @Index() @Column({ name: 'account_id' }) accountId!: string;
  @Column({ name: 'instrument_id' }) instrumentId!: string;
  @Column({ name: 'venue_id' }) venueId!: string;
  @Column({ type: 'text' }) side!: Side;
  @Column({ ...DECIMAL_COLUMN }) quantity!: Decimal;
  @Column({ ...DECIMAL_COLUMN }) price!: Decimal;
  @Column({ ...DECIMAL_COLUMN }) fee!: Decimal;
  @Column({ type: 'text' }) liquidity!: Liquidity;
  @Column({ name: 'executed_at', type: 'timestamptz' }) executedAt!: Date;
  @Column({ default: false }) busted!: boolean;
}

/** Positions as booked by the account ledger (FillBooked carries the position after each fill). */
@Entity({ name: 'rm_positions' })
export class PositionRow {
  @PrimaryColumn({ name: 'account_id' }) accountId!: string;
  @PrimaryColumn({ name: 'instrument_id' }) instrumentId!: string;
  @Column({ ...DECIMAL_COLUMN }) quantity!: Decimal;
  @Column({ ...DECIMAL_COLUMN, name: 'cost_basis' }) costBasis!: Decimal;
  @Column({ ...DECIMAL_COLUMN, name: 'average_price' }) averagePrice!: Decimal;
  @Column({ ...DECIMAL_COLUMN, name: 'realized_pnl' }) realizedPnl!: Decimal;
  @Column({ ...DECIMAL_COLUMN }) fees!: Decimal;
  /** Fees in currencies other than the quote, by currency (decimals as strings). */
  @Column({ name: 'other_fees', type: 'jsonb' }) otherFees!: Record<string, string>;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'rm_risk_limits' })
export class RiskLimitsRow {
  @PrimaryColumn({ name: 'account_id' }) accountId!: string;
  @Column({ type: 'jsonb', nullable: true }) limits!: RiskLimitsData | null;
  @Column({ default: false }) halted!: boolean;
  @Column({ name: 'halt_reason', type: 'text', nullable: true }) haltReason!: string | null;
  @Column({ name: 'trading_state', type: 'text', default: 'ACTIVE' }) tradingState!: TradingState;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** Where each projection has got to in the log; moved in the same transaction as the rows. */
@Entity({ name: 'rm_checkpoints' })
export class CheckpointRow {
  @PrimaryColumn() projection!: string;
  @Column({ type: 'text' }) position!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

export const READ_MODEL_ENTITIES = [OrderRow, FillRow, PositionRow, RiskLimitsRow, CheckpointRow];
