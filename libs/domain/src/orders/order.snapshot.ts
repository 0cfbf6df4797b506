import { DecimalString, dec } from '../decimal/decimal';
import { Rejection } from '../shared/decision';
import { ChildSlice, Execution, Order, OrderClosure, OrderStatus, OrderTerms, TriggerState } from './order';

/**
 * An order's state as plain JSON (decimals as strings), so a read model or a snapshot can hold it and
 * later events are applied with the same `evolveOrder` the command side uses.
 */
export interface OrderSnapshot {
  terms: OrderTerms;
  status: OrderStatus;
  orderQty: DecimalString;
  limitPrice: DecimalString | null;
  /** Absent on snapshots written before MARKET orders carried one. */
  protectionPrice?: DecimalString | null;
  /** Absent on snapshots written before expiry was kept. */
  expireAt?: string | null;
  cumQty: DecimalString;
  leavesQty: DecimalString;
  executedNotional: DecimalString;
  avgPx: DecimalString | null;
  overfilledQty: DecimalString;
  fees: DecimalString;
  fills: (Execution & { busted: boolean })[];
  acknowledged: boolean;
  venueOrderIds: Record<string, string>;
  children: Record<string, ChildSlice>;
  closure: OrderClosure | null;
  pendingCancel: boolean;
  pendingReplace: { quantity: DecimalString; limitPrice: DecimalString | null } | null;
  rejections: Rejection[];
  /** Triggered types; absent on snapshots of other orders and of orders from before them. */
  trigger?: {
    status: TriggerState['status'];
    triggerType: TriggerState['triggerType'];
    stopPrice: DecimalString | null;
    watermark: DecimalString | null;
    releasedAs: TriggerState['releasedAs'];
    triggeredAt: string | null;
  } | null;
  createdAt: string;
  updatedAt: string;
}

const text = (d: { toString(): string } | null) => (d === null ? null : d.toString());

export function toOrderSnapshot(order: Order): OrderSnapshot {
  return {
    terms: { ...order.terms },
    status: order.status,
    orderQty: order.orderQty.toString(),
    limitPrice: text(order.limitPrice),
    protectionPrice: text(order.protectionPrice),
    expireAt: order.expireAt,
    cumQty: order.cumQty.toString(),
    leavesQty: order.leavesQty.toString(),
    executedNotional: order.executedNotional.toString(),
    avgPx: text(order.avgPx),
    overfilledQty: order.overfilledQty.toString(),
    fees: order.fees.toString(),
    fills: order.fills.map((f) => ({
      ...f,
      quantity: f.quantity.toString(),
      price: f.price.toString(),
      fee: f.fee.toString(),
    })),
    acknowledged: order.acknowledged,
    venueOrderIds: { ...order.venueOrderIds },
    children: { ...order.children },
    closure: order.closure,
    pendingCancel: order.pendingCancel,
    pendingReplace: order.pendingReplace && {
      quantity: order.pendingReplace.quantity.toString(),
      limitPrice: text(order.pendingReplace.limitPrice),
    },
    rejections: order.rejections.map((r) => ({ ...r })),
    trigger: order.trigger && {
      ...order.trigger,
      stopPrice: text(order.trigger.stopPrice),
      watermark: text(order.trigger.watermark),
    },
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

const decimalOrNull = (s: DecimalString | null) => (s === null ? null : dec(s));

export function fromOrderSnapshot(s: OrderSnapshot): Order {
  return {
    exists: true,
    terms: { ...s.terms },
    status: s.status,
    orderQty: dec(s.orderQty),
    limitPrice: decimalOrNull(s.limitPrice),
    protectionPrice: decimalOrNull(s.protectionPrice ?? null),
    expireAt: s.expireAt ?? null,
    cumQty: dec(s.cumQty),
    leavesQty: dec(s.leavesQty),
    executedNotional: dec(s.executedNotional),
    avgPx: decimalOrNull(s.avgPx),
    overfilledQty: dec(s.overfilledQty),
    fees: dec(s.fees),
    fills: s.fills.map((f) => ({
      ...f,
      quantity: dec(f.quantity),
      price: dec(f.price),
      fee: dec(f.fee),
      feeCurrency: f.feeCurrency ?? null,
    })),
    acknowledged: s.acknowledged,
    venueOrderIds: { ...s.venueOrderIds },
    children: { ...s.children },
    closure: s.closure,
    pendingCancel: s.pendingCancel,
    pendingReplace: s.pendingReplace && {
      quantity: dec(s.pendingReplace.quantity),
      limitPrice: decimalOrNull(s.pendingReplace.limitPrice),
    },
    rejections: s.rejections.map((r) => ({ ...r })),
    trigger: s.trigger
      ? {
          ...s.trigger,
          stopPrice: decimalOrNull(s.trigger.stopPrice),
          watermark: decimalOrNull(s.trigger.watermark),
        }
      : null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}
