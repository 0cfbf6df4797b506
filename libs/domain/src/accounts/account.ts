import { Map as PersistentMap } from 'immutable';
import type { RiskReference } from './risk-checks';
import { Decimal, DecimalString, dec } from '../decimal/decimal';
import { Halt, HaltTerms } from '../instruments/instrument';
import { Position, applyFill, flatPosition } from '../positions/position';
import { DomainEvent, assertNever } from '../shared/decision';
import { Side } from '../shared/trading';

/** Risk limits of one account, as stored in events (decimals as strings). */
export interface RiskLimitsData {
  maxOrderQuantity: DecimalString;
  maxOrderNotional: DecimalString;
  /** Largest absolute position per instrument, counting open orders on the side that grows it. */
  maxPosition: DecimalString;
  positionLimits: Record<string, DecimalString>;
  /** Gross notional of all open orders (credit). */
  maxOpenNotional: DecimalString;
  /** Fat-finger collar: a limit price more than this percentage away from the reference price is refused. */
  priceCollarPercent: DecimalString;
  /** A reference price older than this is stale, and an order that needs it is refused. */
  staleReferenceAfterMs: number;
  maxOrdersPerWindow: number;
  /** Replaces in the same window, counted apart from new orders (absent: as many as new orders). */
  maxReplacesPerWindow?: number;
  orderRateWindowMs: number;
  /** Realised net loss within one UTC day at which the account is halted automatically. */
  maxDailyLoss: DecimalString;
  reduceOnly: boolean;
  /** null: every defined instrument; otherwise only these. */
  allowedInstruments: string[] | null;
}

export interface RiskLimits {
  /** The canonical data these limits were set from, as recorded in RiskLimitsSet. */
  source: RiskLimitsData;
  maxOrderQuantity: Decimal;
  maxOrderNotional: Decimal;
  maxPosition: Decimal;
  positionLimits: ReadonlyMap<string, Decimal>;
  maxOpenNotional: Decimal;
  priceCollarPercent: Decimal;
  /** priceCollarPercent / 100, exact: the collar band is reference × this. */
  priceCollarFraction: Decimal;
  staleReferenceAfterMs: number;
  maxOrdersPerWindow: number;
  maxReplacesPerWindow: number;
  orderRateWindowMs: number;
  maxDailyLoss: Decimal;
  reduceOnly: boolean;
  allowedInstruments: ReadonlySet<string> | null;
}

export function riskLimitsFromData(d: RiskLimitsData): RiskLimits {
  return {
    source: d,
    maxOrderQuantity: dec(d.maxOrderQuantity),
    maxOrderNotional: dec(d.maxOrderNotional),
    maxPosition: dec(d.maxPosition),
    positionLimits: new Map(Object.entries(d.positionLimits).map(([id, v]) => [id, dec(v)])),
    maxOpenNotional: dec(d.maxOpenNotional),
    priceCollarPercent: dec(d.priceCollarPercent),
    priceCollarFraction: dec(d.priceCollarPercent).dividedBy(Decimal.HUNDRED, 32),
    staleReferenceAfterMs: d.staleReferenceAfterMs,
    maxOrdersPerWindow: d.maxOrdersPerWindow,
    maxReplacesPerWindow: d.maxReplacesPerWindow ?? d.maxOrdersPerWindow,
    orderRateWindowMs: d.orderRateWindowMs,
    maxDailyLoss: dec(d.maxDailyLoss),
    reduceOnly: d.reduceOnly,
    allowedInstruments: d.allowedInstruments === null ? null : new Set(d.allowedInstruments),
  };
}

export function positionLimitFor(limits: RiskLimits, instrumentId: string): Decimal {
  return limits.positionLimits.get(instrumentId) ?? limits.maxPosition;
}

/** Exposure held for one open order until it fills, is canceled, rejected or expires. */
export interface Reservation {
  orderId: string;
  clientOrderId: string;
  instrumentId: string;
  side: Side;
  quantity: Decimal;
  /** Worst price the order can trade at: its limit, or the collar edge for a market order. */
  price: Decimal;
  notional: Decimal;
  reservedAt: string;
}

export interface PositionSnapshot {
  quantity: DecimalString;
  /** Exact cost of the open quantity; absent from events written before it was kept. */
  costBasis?: DecimalString;
  /** For display: costBasis / |quantity|, rounded. */
  averagePrice: DecimalString;
  realizedPnl: DecimalString;
  fees: DecimalString;
  /** Fees in currencies other than the quote, by currency (absent when none, and before it was kept). */
  otherFees?: Record<string, DecimalString>;
}

export type RiskLimitsSet = DomainEvent<
  'RiskLimitsSet',
  { accountId: string; limits: RiskLimitsData; setAt: string }
>;
export type TradingHalted = DomainEvent<
  'TradingHalted',
  { accountId: string; reason: string; automatic: boolean; haltedAt: string } & HaltTerms
>;
export type TradingResumed = DomainEvent<'TradingResumed', { accountId: string; resumedAt: string }>;
export type ExposureReserved = DomainEvent<
  'ExposureReserved',
  {
    accountId: string;
    orderId: string;
    clientOrderId: string;
    instrumentId: string;
    side: Side;
    quantity: DecimalString;
    price: DecimalString;
    notional: DecimalString;
    reservedAt: string;
    /** For new terms of a working order: held at the larger of the old and the new exposure. */
    replace?: true;
    /** For a held order released when it triggered: its exposure as released (no new order counted). */
    release?: true;
  } & Partial<RiskReference> // what the checks judged (absent on events written before it was kept)
>;
export type ExposureReleased = DomainEvent<
  'ExposureReleased',
  {
    accountId: string;
    orderId: string;
    quantity: DecimalString;
    notional: DecimalString;
    reason: string;
    releasedAt: string;
    sourceSequence: string | null;
  }
>;
/** An order's reservation set to what works at the venue after a replace ended (ledger). */
export type ExposureAdjusted = DomainEvent<
  'ExposureAdjusted',
  {
    accountId: string;
    orderId: string;
    quantity: DecimalString;
    price: DecimalString;
    notional: DecimalString;
    reason: string;
    adjustedAt: string;
    sourceSequence: string | null;
  }
>;
export type FillBooked = DomainEvent<
  'FillBooked',
  {
    accountId: string;
    orderId: string;
    execId: string;
    instrumentId: string;
    side: Side;
    quantity: DecimalString;
    price: DecimalString;
    fee: DecimalString;
    /** The fee's currency when not the quote currency; absent or null: the quote currency. */
    feeCurrency?: string | null;
    executedAt: string;
    sourceSequence: string | null;
    position: PositionSnapshot;
  }
>;

/** One execution as the account booked it (and as later restated), in booking order. */
export interface BookedFill {
  /** With execId, what names the execution: venues number executions their own way. */
  orderId: string;
  execId: string;
  side: Side;
  quantity: DecimalString;
  price: DecimalString;
  fee: DecimalString;
  feeCurrency?: string | null;
}

/**
 * A venue busted (FIX ExecType H) or corrected (G) an execution the account had booked: the position
 * is what replaying the instrument's bookings with the execution as it now stands gives (average cost
 * depends on the order of trades, so nothing less is exact), and it is carried here.
 */
export type FillRestated = DomainEvent<
  'FillRestated',
  {
    accountId: string;
    orderId: string;
    execId: string;
    instrumentId: string;
    side: Side;
    previous: { quantity: DecimalString; price: DecimalString; fee: DecimalString };
    busted: boolean;
    quantity: DecimalString;
    price: DecimalString;
    fee: DecimalString;
    reason: string;
    restatedAt: string;
    sourceSequence: string | null;
    position: PositionSnapshot & { costBasis: DecimalString };
  }
>;

export type AccountEvent =
  | RiskLimitsSet
  | TradingHalted
  | TradingResumed
  | ExposureReserved
  | ExposureReleased
  | ExposureAdjusted
  | FillBooked
  | FillRestated;

/**
 * The instrument's executions as booked on the account, in booking order, each as last restated
 * (busted ones left out): what a restatement replays.
 */
export function bookedFillsOf(events: Iterable<AccountEvent>, instrumentId: string): BookedFill[] {
  const fills: BookedFill[] = [];
  for (const event of events) {
    if (event.type === 'FillBooked' && event.data.instrumentId === instrumentId) {
      const { orderId, execId, side, quantity, price, fee, feeCurrency } = event.data;
      fills.push({ orderId, execId, side, quantity, price, fee, feeCurrency: feeCurrency ?? null });
    } else if (event.type === 'FillRestated' && event.data.instrumentId === instrumentId) {
      const d = event.data;
      const i = fills.findIndex((f) => f.orderId === d.orderId && f.execId === d.execId);
      if (i < 0) continue;
      if (d.busted) fills.splice(i, 1);
      else fills[i] = { ...fills[i], quantity: d.quantity, price: d.price, fee: d.fee };
    }
  }
  return fills;
}

export interface OpenQuantity {
  buy: Decimal;
  sell: Decimal;
}

export interface AccountState {
  accountId: string | null;
  limits: RiskLimits | null;
  halt: Halt | null;
  /**
   * Open orders' reservations. A persistent map: each event makes a new state that shares all but the
   * changed entry with the old one, so an account with many open orders evolves in O(log n), not O(n).
   */
  reservations: PersistentMap<string, Reservation>;
  /** Open (reserved, unfilled) quantity per instrument and side: kept so every check is O(1). */
  openQuantity: ReadonlyMap<string, OpenQuantity>;
  openNotional: Decimal;
  /** Acceptance times (epoch ms, ascending) inside the throttle window. */
  recentOrderTimes: readonly number[];
  /** The same for replaces, throttled apart. */
  recentReplaceTimes: readonly number[];
  positions: ReadonlyMap<string, Position>;
  /** Realised P&L net of fees for the UTC day of the latest booked fill. */
  dailyPnl: { day: string; realizedNet: Decimal };
  /**
   * Highest source sequence (the log position of the order event, as a fixed-width key whose lexical
   * order is log order) the ledger has applied: a redelivered event at or below it is a duplicate.
   */
  ledgerSequence: string | null;
}

export const initialAccountState = (): AccountState => ({
  accountId: null,
  limits: null,
  halt: null,
  reservations: PersistentMap(),
  openQuantity: new Map(),
  openNotional: Decimal.ZERO,
  recentOrderTimes: [],
  recentReplaceTimes: [],
  positions: new Map(),
  dailyPnl: { day: '', realizedNet: Decimal.ZERO },
  ledgerSequence: null,
});

const NO_OPEN: OpenQuantity = { buy: Decimal.ZERO, sell: Decimal.ZERO };

export function openQuantityOf(state: AccountState, instrumentId: string): OpenQuantity {
  return state.openQuantity.get(instrumentId) ?? NO_OPEN;
}

export function positionQuantityOf(state: AccountState, instrumentId: string): Decimal {
  return state.positions.get(instrumentId)?.quantity ?? Decimal.ZERO;
}

/** Sequences are fixed-width keys (the event store's position key): lexical order is log order. */
export function isNewerSequence(sequence: string | null, last: string | null): boolean {
  if (sequence === null || last === null) return true;
  return sequence > last;
}

function adjustOpen(
  state: AccountState,
  instrumentId: string,
  side: Side,
  quantityDelta: Decimal,
  notionalDelta: Decimal,
): Pick<AccountState, 'openQuantity' | 'openNotional'> {
  const current = openQuantityOf(state, instrumentId);
  const next =
    side === 'BUY'
      ? { ...current, buy: current.buy.plus(quantityDelta) }
      : { ...current, sell: current.sell.plus(quantityDelta) };
  const openQuantity = new Map(state.openQuantity);
  if (next.buy.isZero() && next.sell.isZero()) openQuantity.delete(instrumentId);
  else openQuantity.set(instrumentId, next);
  return { openQuantity, openNotional: state.openNotional.plus(notionalDelta) };
}

function withoutReservation(state: AccountState, orderId: string): AccountState {
  const reservation = state.reservations.get(orderId);
  if (!reservation) return state;
  return {
    ...state,
    reservations: state.reservations.delete(orderId),
    ...adjustOpen(
      state,
      reservation.instrumentId,
      reservation.side,
      reservation.quantity.negated(),
      reservation.notional.negated(),
    ),
  };
}

function advanceLedger(state: AccountState, sequence: string | null): string | null {
  return isNewerSequence(sequence, state.ledgerSequence)
    ? (sequence ?? state.ledgerSequence)
    : state.ledgerSequence;
}

function epochMs(iso: string): number {
  return Date.parse(iso);
}

/** Index of the first time after `start` in ascending `times` (times.length if none). */
export function firstTimeAfter(times: readonly number[], start: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid] > start) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * The throttle's window after one more acceptance at `at`: times inside the window, and no more of
 * them than the limit counts (the check only asks whether the window already holds that many).
 */
function withOrderTime(
  times: readonly number[],
  at: number,
  limits: RiskLimits | null,
  kind: 'new' | 'replace',
): readonly number[] {
  const windowMs = limits?.orderRateWindowMs ?? 0;
  const keep = Math.max(0, (kind === 'new' ? limits?.maxOrdersPerWindow : limits?.maxReplacesPerWindow) ?? 0);
  const from = Math.max(firstTimeAfter(times, at - windowMs), times.length - keep);
  const kept = times.slice(from);
  // Times arrive in order from one clock; a late one is placed where it belongs.
  kept.splice(firstTimeAfter(kept, at), 0, at);
  return kept;
}

function dailyPnlWith(
  current: AccountState['dailyPnl'],
  day: string,
  realizedNetDelta: Decimal,
): AccountState['dailyPnl'] {
  if (day === current.day) return { day, realizedNet: current.realizedNet.plus(realizedNetDelta) };
  if (day > current.day) return { day, realizedNet: realizedNetDelta };
  return current; // a late booking for an earlier day does not reopen that day's tally
}

export function positionFromSnapshot(
  instrumentId: string,
  p: PositionSnapshot & { costBasis: DecimalString },
): Position {
  return {
    instrumentId,
    quantity: dec(p.quantity),
    costBasis: dec(p.costBasis),
    averagePrice: dec(p.averagePrice),
    realizedPnl: dec(p.realizedPnl),
    fees: dec(p.fees),
    otherFees: Object.fromEntries(Object.entries(p.otherFees ?? {}).map(([c, v]) => [c, dec(v)])),
  };
}

export function evolveAccount(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'RiskLimitsSet':
      return { ...state, accountId: event.data.accountId, limits: riskLimitsFromData(event.data.limits) };
    case 'TradingHalted':
      return {
        ...state,
        accountId: event.data.accountId,
        halt: {
          state: event.data.state ?? 'HALTED',
          reason: event.data.reason,
          haltedAt: event.data.haltedAt,
        },
      };
    case 'TradingResumed':
      return { ...state, halt: null };
    case 'ExposureReserved': {
      const d = event.data;
      // A reservation for an order that already holds one replaces it (a replace resizes exposure).
      const base = withoutReservation(state, d.orderId);
      const reservation: Reservation = {
        orderId: d.orderId,
        clientOrderId: d.clientOrderId,
        instrumentId: d.instrumentId,
        side: d.side,
        quantity: dec(d.quantity),
        price: dec(d.price),
        notional: dec(d.notional),
        reservedAt: d.reservedAt,
      };
      const reservations = base.reservations.set(d.orderId, reservation);
      const at = epochMs(d.reservedAt);
      const times = d.release
        ? {}
        : d.replace
          ? { recentReplaceTimes: withOrderTime(base.recentReplaceTimes, at, state.limits, 'replace') }
          : { recentOrderTimes: withOrderTime(base.recentOrderTimes, at, state.limits, 'new') };
      return {
        ...base,
        reservations,
        ...times,
        ...adjustOpen(base, d.instrumentId, d.side, reservation.quantity, reservation.notional),
      };
    }
    case 'ExposureAdjusted': {
      const d = event.data;
      const reservation = state.reservations.get(d.orderId);
      const ledgerSequence = advanceLedger(state, d.sourceSequence);
      if (!reservation) return { ...state, ledgerSequence };
      const adjusted: Reservation = {
        ...reservation,
        quantity: dec(d.quantity),
        price: dec(d.price),
        notional: dec(d.notional),
      };
      return {
        ...state,
        reservations: state.reservations.set(d.orderId, adjusted),
        ledgerSequence,
        ...adjustOpen(
          state,
          reservation.instrumentId,
          reservation.side,
          adjusted.quantity.minus(reservation.quantity),
          adjusted.notional.minus(reservation.notional),
        ),
      };
    }
    case 'ExposureReleased':
      return {
        ...withoutReservation(state, event.data.orderId),
        ledgerSequence: advanceLedger(state, event.data.sourceSequence),
      };
    case 'FillBooked': {
      const d = event.data;
      const quantity = dec(d.quantity);
      const price = dec(d.price);
      const fee = dec(d.fee);
      const before = state.positions.get(d.instrumentId) ?? flatPosition(d.instrumentId);
      const after = applyFill(before, { side: d.side, quantity, price, fee, feeCurrency: d.feeCurrency });
      const positions = new Map(state.positions);
      positions.set(d.instrumentId, after);

      const day = d.executedAt.slice(0, 10);
      // Only quote-currency fees are in P&L: a fee in another currency is not a number of the same unit.
      const realizedNetDelta = after.realizedPnl
        .minus(before.realizedPnl)
        .minus(after.fees.minus(before.fees));
      const dailyPnl = dailyPnlWith(state.dailyPnl, day, realizedNetDelta);

      let next: AccountState = {
        ...state,
        positions,
        dailyPnl,
        ledgerSequence: advanceLedger(state, d.sourceSequence),
      };
      const reservation = state.reservations.get(d.orderId);
      if (reservation && quantity.gte(reservation.quantity)) {
        // The order has traded all it reserved: nothing of it is open any more.
        next = withoutReservation(next, d.orderId);
      } else if (reservation) {
        const consumed = Decimal.min(quantity, reservation.quantity);
        const remaining = reservation.quantity.minus(consumed);
        const notional = remaining.times(reservation.price);
        const reservations = next.reservations.set(d.orderId, {
          ...reservation,
          quantity: remaining,
          notional,
        });
        next = {
          ...next,
          reservations,
          ...adjustOpen(
            next,
            reservation.instrumentId,
            reservation.side,
            consumed.negated(),
            notional.minus(reservation.notional),
          ),
        };
      }
      return next;
    }
    case 'FillRestated': {
      const d = event.data;
      const before = state.positions.get(d.instrumentId) ?? flatPosition(d.instrumentId);
      const after = positionFromSnapshot(d.instrumentId, d.position);
      const positions = new Map(state.positions);
      positions.set(d.instrumentId, after);
      // The day the venue restated it is the day the P&L moved.
      const realizedNetDelta = after.realizedPnl
        .minus(before.realizedPnl)
        .minus(after.fees.minus(before.fees));
      return {
        ...state,
        positions,
        dailyPnl: dailyPnlWith(state.dailyPnl, d.restatedAt.slice(0, 10), realizedNetDelta),
        ledgerSequence: advanceLedger(state, d.sourceSequence),
      };
    }
    default:
      return assertNever(event);
  }
}

/** A position as the events carry it (decimals as strings). */
export function positionSnapshot(position: Position): PositionSnapshot & { costBasis: string } {
  const otherFees = Object.entries(position.otherFees);
  return {
    quantity: position.quantity.toString(),
    costBasis: position.costBasis.toString(),
    averagePrice: position.averagePrice.toString(),
    realizedPnl: position.realizedPnl.toString(),
    fees: position.fees.toString(),
    ...(otherFees.length === 0
      ? {}
      : { otherFees: Object.fromEntries(otherFees.map(([c, v]) => [c, v.toString()])) }),
  };
}
