import { Map as PersistentMap } from 'immutable';
import { DecimalString, dec } from '../decimal/decimal';
import { Halt } from '../instruments/instrument';
import {
  AccountState,
  ExposureReserved,
  PositionSnapshot,
  RiskLimitsData,
  positionFromSnapshot,
  positionSnapshot,
  riskLimitsFromData,
} from './account';

/**
 * The version of what an account's events fold into. Bump it whenever `evolveAccount` or
 * `AccountState` changes meaning: snapshots of another version are not used, and the account is
 * rebuilt from its events (and snapshotted again).
 */
export const ACCOUNT_STATE_VERSION = 1;

/** An account's state as plain JSON (decimals as strings, exact), for a snapshot. */
export interface AccountSnapshot {
  version: number;
  accountId: string | null;
  limits: RiskLimitsData | null;
  halt: Halt | null;
  /** Each open reservation as its `ExposureReserved` recorded it (decimals as strings). */
  reservations: Pick<
    ExposureReserved['data'],
    'orderId' | 'clientOrderId' | 'instrumentId' | 'side' | 'quantity' | 'price' | 'notional' | 'reservedAt'
  >[];
  openQuantity: Record<string, { buy: DecimalString; sell: DecimalString }>;
  openNotional: DecimalString;
  recentOrderTimes: number[];
  recentReplaceTimes: number[];
  positions: Record<string, PositionSnapshot & { costBasis: DecimalString }>;
  dailyPnl: { day: string; realizedNet: DecimalString };
  ledgerSequence: string | null;
}

export function accountSnapshot(state: AccountState): AccountSnapshot {
  return {
    version: ACCOUNT_STATE_VERSION,
    accountId: state.accountId,
    limits: state.limits?.source ?? null,
    halt: state.halt,
    reservations: [...state.reservations.values()].map((r) => ({
      ...r,
      quantity: r.quantity.toString(),
      price: r.price.toString(),
      notional: r.notional.toString(),
    })),
    openQuantity: Object.fromEntries(
      [...state.openQuantity].map(([id, q]) => [id, { buy: q.buy.toString(), sell: q.sell.toString() }]),
    ),
    openNotional: state.openNotional.toString(),
    recentOrderTimes: [...state.recentOrderTimes],
    recentReplaceTimes: [...state.recentReplaceTimes],
    positions: Object.fromEntries([...state.positions].map(([id, p]) => [id, positionSnapshot(p)])),
    dailyPnl: { day: state.dailyPnl.day, realizedNet: state.dailyPnl.realizedNet.toString() },
    ledgerSequence: state.ledgerSequence,
  };
}

/** The state a snapshot holds; null when it is of another version (rebuild from the events). */
export function accountFromSnapshot(snapshot: AccountSnapshot): AccountState | null {
  if (snapshot.version !== ACCOUNT_STATE_VERSION) return null;
  return {
    accountId: snapshot.accountId,
    limits: snapshot.limits ? riskLimitsFromData(snapshot.limits) : null,
    halt: snapshot.halt,
    reservations: PersistentMap(
      snapshot.reservations.map((r) => [
        r.orderId,
        { ...r, quantity: dec(r.quantity), price: dec(r.price), notional: dec(r.notional) },
      ]),
    ),
    openQuantity: new Map(
      Object.entries(snapshot.openQuantity).map(([id, q]) => [id, { buy: dec(q.buy), sell: dec(q.sell) }]),
    ),
    openNotional: dec(snapshot.openNotional),
    recentOrderTimes: snapshot.recentOrderTimes,
    recentReplaceTimes: snapshot.recentReplaceTimes,
    positions: new Map(
      Object.entries(snapshot.positions).map(([id, p]) => [id, positionFromSnapshot(id, p)]),
    ),
    dailyPnl: { day: snapshot.dailyPnl.day, realizedNet: dec(snapshot.dailyPnl.realizedNet) },
    ledgerSequence: snapshot.ledgerSequence,
  };
}
