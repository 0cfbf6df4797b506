import { Decimal, DecimalString } from '../decimal/decimal';
import { Command, Decider, Decision, accept, assertNever, reject, rejectAll } from '../shared/decision';
import { Side } from '../shared/trading';
import { HaltTerms, haltLevel, haltTermsOf } from '../instruments/instrument';
import { applyFill, flatPosition, unrealizedPnl } from '../positions/position';
import {
  AccountEvent,
  AccountState,
  BookedFill,
  positionSnapshot,
  RiskLimitsData,
  evolveAccount,
  initialAccountState,
  isNewerSequence,
} from './account';
import {
  PreTradeRequest,
  RiskKind,
  buildRiskContext,
  riskReferenceOf,
  runPreTradeChecks,
} from './risk-checks';
import { isoTimestamp } from '../shared/time';

export type SetRiskLimits = Command<'SetRiskLimits', { accountId: string; limits: RiskLimitsData }>;
export type HaltTrading = Command<'HaltTrading', { accountId: string; reason: string } & HaltTerms>;
export type ResumeTrading = Command<'ResumeTrading', { accountId: string }>;
/** The pre-trade risk decision: reserves the order's exposure or reports every failed check. */
export type ReserveExposure = Command<'ReserveExposure', { accountId: string; request: PreTradeRequest }>;
/** A replace re-runs pre-trade risk with the new terms, as if the order's current reservation were gone. */
export type ReserveReplacement = Command<
  'ReserveReplacement',
  { accountId: string; request: PreTradeRequest }
>;
/**
 * A held order triggered: pre-trade risk runs again on what it is released as (every check but the
 * order-rate throttle), and its reservation becomes that order's.
 */
export type ReserveRelease = Command<'ReserveRelease', { accountId: string; request: PreTradeRequest }>;
export type ReleaseExposure = Command<
  'ReleaseExposure',
  { accountId: string; orderId: string; reason: string; sourceSequence: string | null }
>;
/**
 * The ledger sets an order's reservation to what actually works at the venue after a replace ended
 * (the new terms, or the old ones when the venue refused): a fact, so no limit check can refuse it.
 */
export type AdjustReservation = Command<
  'AdjustReservation',
  {
    accountId: string;
    orderId: string;
    /** Open quantity to hold exposure for. */
    quantity: DecimalString;
    /** null: keep the reservation's price (a market order's collar edge). */
    price: DecimalString | null;
    reason: string;
    sourceSequence: string | null;
  }
>;
export type BookFill = Command<
  'BookFill',
  {
    accountId: string;
    orderId: string;
    execId: string;
    instrumentId: string;
    side: Side;
    quantity: DecimalString;
    price: DecimalString;
    fee: DecimalString;
    /** The fee's currency when not the instrument's quote currency; absent or null: the quote. */
    feeCurrency?: string | null;
    /** Mark prices by instrument, for the loss limit's unrealised P&L (the fill's price when absent). */
    marks?: Record<string, DecimalString>;
    executedAt: string;
    sourceSequence: string | null;
  }
>;

/**
 * A venue busted (`corrected` null) or corrected an execution the account booked. `bookedFills` is the
 * instrument's bookings as the log holds them (bookedFillsOf): the position is replayed over them.
 */
export type RestateFill = Command<
  'RestateFill',
  {
    accountId: string;
    orderId: string;
    execId: string;
    instrumentId: string;
    corrected: { quantity: DecimalString; price: DecimalString } | null;
    reason: string;
    bookedFills: BookedFill[];
    sourceSequence: string | null;
    /** Mark prices by instrument, for the loss limit (as on BookFill). */
    marks?: Record<string, DecimalString>;
  }
>;

/** The loss limit judged at the marks now, without a fill (a market moving against the positions). */
export type CheckLossLimit = Command<
  'CheckLossLimit',
  { accountId: string; marks: Record<string, DecimalString> }
>;

export type AccountCommand =
  | SetRiskLimits
  | HaltTrading
  | ResumeTrading
  | ReserveExposure
  | ReserveReplacement
  | ReserveRelease
  | ReleaseExposure
  | AdjustReservation
  | BookFill
  | RestateFill
  | CheckLossLimit;

function limitProblems(l: RiskLimitsData): string[] {
  const problems: string[] = [];
  const nonNegative = (name: string, value: unknown) => {
    if (!Decimal.isValid(value) || Decimal.parse(value).isNegative())
      problems.push(`${name} must be a decimal ≥ 0`);
  };
  nonNegative('maxOrderQuantity', l.maxOrderQuantity);
  nonNegative('maxOrderNotional', l.maxOrderNotional);
  nonNegative('maxPosition', l.maxPosition);
  nonNegative('maxOpenNotional', l.maxOpenNotional);
  nonNegative('priceCollarPercent', l.priceCollarPercent);
  nonNegative('maxDailyLoss', l.maxDailyLoss);
  for (const [instrumentId, value] of Object.entries(l.positionLimits ?? {})) {
    nonNegative(`positionLimits.${instrumentId}`, value);
  }
  const wholePositive = (name: string, value: number) => {
    if (!Number.isSafeInteger(value) || value <= 0) problems.push(`${name} must be a whole number > 0`);
  };
  wholePositive('staleReferenceAfterMs', l.staleReferenceAfterMs);
  wholePositive('maxOrdersPerWindow', l.maxOrdersPerWindow);
  if (l.maxReplacesPerWindow !== undefined) wholePositive('maxReplacesPerWindow', l.maxReplacesPerWindow);
  wholePositive('orderRateWindowMs', l.orderRateWindowMs);
  if (problems.length === 0 && Decimal.parse(l.priceCollarPercent).gte(Decimal.HUNDRED)) {
    problems.push('priceCollarPercent must be below 100');
  }
  return problems;
}

function canonicalLimits(l: RiskLimitsData): RiskLimitsData {
  const canon = (v: string) => Decimal.parse(v).toString();
  return {
    maxOrderQuantity: canon(l.maxOrderQuantity),
    maxOrderNotional: canon(l.maxOrderNotional),
    maxPosition: canon(l.maxPosition),
    positionLimits: Object.fromEntries(Object.entries(l.positionLimits ?? {}).map(([k, v]) => [k, canon(v)])),
    maxOpenNotional: canon(l.maxOpenNotional),
    priceCollarPercent: canon(l.priceCollarPercent),
    staleReferenceAfterMs: l.staleReferenceAfterMs,
    maxOrdersPerWindow: l.maxOrdersPerWindow,
    ...(l.maxReplacesPerWindow === undefined ? {} : { maxReplacesPerWindow: l.maxReplacesPerWindow }),
    orderRateWindowMs: l.orderRateWindowMs,
    maxDailyLoss: canon(l.maxDailyLoss),
    reduceOnly: l.reduceOnly,
    allowedInstruments: l.allowedInstruments === null ? null : [...l.allowedInstruments].sort(),
  };
}

function setRiskLimits(command: SetRiskLimits, state: AccountState): Decision<AccountEvent> {
  const problems = limitProblems(command.data.limits);
  if (problems.length > 0)
    return reject('INVALID_RISK_LIMITS', `Risk limits refused: ${problems.join('; ')}.`);
  const limits = canonicalLimits(command.data.limits);
  if (state.limits && JSON.stringify(limits) === JSON.stringify(state.limits.source)) return accept();
  return accept({
    type: 'RiskLimitsSet',
    data: { accountId: command.data.accountId, limits, setAt: isoTimestamp(command.metadata.now) },
  });
}

function reserveExposure(
  command: ReserveExposure,
  state: AccountState,
  kind: RiskKind = 'new',
): Decision<AccountEvent> {
  const { request, accountId } = command.data;
  const now = command.metadata.now;
  const ctx = buildRiskContext(state, request, now.getTime(), kind);
  const rejections = runPreTradeChecks(ctx);
  if (rejections.length > 0) return rejectAll(rejections);
  // Every check passed, so quantity, reservation price and notional are known.
  const quantity = ctx.quantity as Decimal;
  const price = ctx.reservationPrice as Decimal;
  const notional = ctx.notional as Decimal;
  const { order, referencePrice } = request;
  return accept({
    type: 'ExposureReserved',
    data: {
      accountId,
      orderId: order.orderId,
      clientOrderId: order.clientOrderId,
      instrumentId: order.instrumentId,
      side: order.side,
      quantity: quantity.toString(),
      price: price.toString(),
      notional: notional.toString(),
      reservedAt: isoTimestamp(now),
      ...riskReferenceOf(referencePrice),
    },
  });
}

/** Pre-trade risk on an order's new terms, as if its current reservation were gone. */
function reserveAnew(
  command: ReserveRelease | ReserveReplacement,
  state: AccountState,
  kind: 'replace' | 'release',
): Decision<AccountEvent> {
  const { accountId, request } = command.data;
  const withoutCurrent = evolveAccount(state, {
    type: 'ExposureReleased',
    data: {
      accountId,
      orderId: request.order.orderId,
      quantity: '0',
      notional: '0',
      reason: kind,
      releasedAt: isoTimestamp(command.metadata.now),
      sourceSequence: null,
    },
  });
  return reserveExposure({ ...command, type: 'ReserveExposure' }, withoutCurrent, kind);
}

/** The released order's exposure replaces what was held for it when it was placed. */
function reserveRelease(command: ReserveRelease, state: AccountState): Decision<AccountEvent> {
  const decision = reserveAnew(command, state, 'release');
  if (!decision.accepted) return decision;
  return accept(
    ...decision.events.map((event): AccountEvent =>
      event.type === 'ExposureReserved'
        ? { type: 'ExposureReserved', data: { ...event.data, release: true } }
        : event,
    ),
  );
}

/**
 * A replace re-runs pre-trade risk with the new terms, as if the order's current reservation were
 * gone; while it is pending, the account holds the larger of the old and the new exposure (the venue
 * works the old terms until it answers). The ledger sets the reservation to what works once it ends.
 */
function reserveReplacement(command: ReserveReplacement, state: AccountState): Decision<AccountEvent> {
  const current = state.reservations.get(command.data.request.order.orderId);
  const decision = reserveAnew(command, state, 'replace');
  if (!decision.accepted) return decision;
  return accept(
    ...decision.events.map((event): AccountEvent => {
      if (event.type !== 'ExposureReserved') return event;
      const next = { ...event.data, replace: true as const };
      if (!current) return { type: 'ExposureReserved', data: next };
      const quantity = Decimal.max(current.quantity, Decimal.parse(next.quantity));
      const larger = current.notional.gt(Decimal.parse(next.notional));
      return {
        type: 'ExposureReserved',
        data: {
          ...next,
          quantity: quantity.toString(),
          price: larger ? current.price.toString() : next.price,
          notional: Decimal.max(current.notional, Decimal.parse(next.notional)).toString(),
        },
      };
    }),
  );
}

function releaseExposure(command: ReleaseExposure, state: AccountState): Decision<AccountEvent> {
  const { accountId, orderId, reason, sourceSequence } = command.data;
  if (!isNewerSequence(sourceSequence, state.ledgerSequence)) return accept(); // redelivered
  const reservation = state.reservations.get(orderId);
  if (!reservation) return accept();
  return accept({
    type: 'ExposureReleased',
    data: {
      accountId,
      orderId,
      quantity: reservation.quantity.toString(),
      notional: reservation.notional.toString(),
      reason,
      releasedAt: isoTimestamp(command.metadata.now),
      sourceSequence,
    },
  });
}

function adjustReservation(command: AdjustReservation, state: AccountState): Decision<AccountEvent> {
  const { accountId, orderId, reason, sourceSequence } = command.data;
  if (!isNewerSequence(sourceSequence, state.ledgerSequence)) return accept(); // redelivered
  const reservation = state.reservations.get(orderId);
  if (!reservation) return accept(); // released already: nothing is held
  if (!Decimal.isValid(command.data.quantity) || Decimal.parse(command.data.quantity).isNegative())
    return reject('INVALID_ADJUSTMENT', `Quantity ${command.data.quantity} is not a decimal ≥ 0.`);
  if (command.data.price !== null && !Decimal.isValid(command.data.price))
    return reject('INVALID_ADJUSTMENT', `Price ${command.data.price} is not a decimal.`);
  const quantity = Decimal.parse(command.data.quantity);
  const price = command.data.price === null ? reservation.price : Decimal.parse(command.data.price);
  if (quantity.eq(reservation.quantity) && price.eq(reservation.price)) return accept();
  return accept({
    type: 'ExposureAdjusted',
    data: {
      accountId,
      orderId,
      quantity: quantity.toString(),
      price: price.toString(),
      notional: quantity.times(price).toString(),
      reason,
      adjustedAt: isoTimestamp(command.metadata.now),
      sourceSequence,
    },
  });
}

/** Books a fill into the position and applies the post-trade loss limit. */
function bookFill(command: BookFill, state: AccountState): Decision<AccountEvent> {
  // The marks judge the loss limit; they are not part of the booking.
  const { marks, ...d } = command.data;
  if (!isNewerSequence(d.sourceSequence, state.ledgerSequence)) return accept(); // redelivered
  for (const [name, value] of [
    ['quantity', d.quantity],
    ['price', d.price],
    ['fee', d.fee],
  ] as const) {
    if (!Decimal.isValid(value))
      return reject('INVALID_FILL', `Fill ${d.execId} has an invalid ${name}: ${value}.`);
  }
  const booked: AccountEvent = {
    type: 'FillBooked',
    data: {
      ...d,
      position: { quantity: '0', costBasis: '0', averagePrice: '0', realizedPnl: '0', fees: '0' },
    },
  };
  const after = evolveAccount(state, booked);
  const position = after.positions.get(d.instrumentId)!;
  const events: AccountEvent[] = [
    {
      type: 'FillBooked',
      data: {
        ...d,
        position: positionSnapshot(position),
      },
    },
  ];
  const halt = lossLimitHalt(state, after, d.accountId, command.metadata.now, marks ?? {}, {
    [d.instrumentId]: d.price,
  });
  return accept(...events, ...(halt ? [halt] : []));
}

/** The post-trade daily-loss limit: a booking that takes the day's realised net to it halts the account. */
/**
 * The post-trade daily-loss limit: the day's realised net plus every open position's unrealised loss
 * at the marks given (an instrument without one is marked at `fallbackMarks`, the price it just traded
 * at). Unrealised gains do not count: a paper gain carried from earlier days must not hide a loss
 * realised today, and without the marks of the day's start a loss is all that can be judged safely.
 * A loss that reaches the limit puts the account in REDUCING, its growing orders canceled, so it can
 * still flatten.
 */
function lossLimitHalt(
  before: AccountState,
  after: AccountState,
  accountId: string,
  now: Date,
  marks: Readonly<Record<string, DecimalString>> = {},
  fallbackMarks: Readonly<Record<string, DecimalString>> = {},
): AccountEvent | null {
  const limits = before.limits;
  if (!limits || haltLevel(before.halt) !== 'ACTIVE') return null;
  let unrealized = Decimal.ZERO;
  for (const position of after.positions.values()) {
    const mark = marks[position.instrumentId] ?? fallbackMarks[position.instrumentId];
    if (mark !== undefined && Decimal.isValid(mark)) {
      unrealized = unrealized.plus(Decimal.min(unrealizedPnl(position, Decimal.parse(mark)), Decimal.ZERO));
    }
  }
  const total = after.dailyPnl.realizedNet.plus(unrealized);
  if (!total.isNegative() || total.negated().lt(limits.maxDailyLoss)) return null;
  return {
    type: 'TradingHalted',
    data: {
      accountId,
      reason: `MAX_DAILY_LOSS_BREACHED: P&L ${total} on ${after.dailyPnl.day} (realised net ${after.dailyPnl.realizedNet}, unrealised losses ${unrealized}) reached the limit −${limits.maxDailyLoss}`,
      automatic: true,
      haltedAt: isoTimestamp(now),
      state: 'REDUCING',
      cancelWorking: true,
    },
  };
}

/** Takes a busted execution out of the books, or puts a corrected one in as it now stands. */
function restateFill(command: RestateFill, state: AccountState): Decision<AccountEvent> {
  const d = command.data;
  if (!isNewerSequence(d.sourceSequence, state.ledgerSequence)) return accept(); // redelivered
  const isIt = (f: BookedFill) => f.orderId === d.orderId && f.execId === d.execId;
  const original = d.bookedFills.find(isIt);
  if (!original) {
    return reject(
      'UNKNOWN_EXECUTION',
      `Account ${d.accountId} has no booked execution ${d.execId} of order ${d.orderId} to restate.`,
    );
  }
  const positive = (value: string) => Decimal.isValid(value) && Decimal.parse(value).isPositive();
  if (d.corrected && !(positive(d.corrected.quantity) && positive(d.corrected.price))) {
    return reject('INVALID_FILL', `A correction of ${d.execId} needs a positive quantity and price.`);
  }
  const replay = (fills: (BookedFill | null)[]) => {
    let position = flatPosition(d.instrumentId);
    for (const f of fills) {
      if (!f) continue;
      position = applyFill(position, {
        side: f.side,
        quantity: Decimal.parse(f.quantity),
        price: Decimal.parse(f.price),
        fee: Decimal.parse(f.fee),
        feeCurrency: f.feeCurrency ?? null,
      });
    }
    return position;
  };
  // The bookings must be the ones that made the position held now (none read before a later one).
  const held = state.positions.get(d.instrumentId) ?? flatPosition(d.instrumentId);
  const asBooked = replay(d.bookedFills);
  if (
    !asBooked.quantity.eq(held.quantity) ||
    !asBooked.costBasis.eq(held.costBasis) ||
    !asBooked.realizedPnl.eq(held.realizedPnl) ||
    !asBooked.fees.eq(held.fees)
  ) {
    return reject(
      'STALE_BOOKINGS',
      `The bookings given for ${d.instrumentId} do not add up to the position account ${d.accountId} holds; read them again.`,
    );
  }
  const restated: BookedFill | null = d.corrected ? { ...original, ...d.corrected } : null;
  const position = replay(d.bookedFills.map((f) => (isIt(f) ? restated : f)));
  const restatement: AccountEvent = {
    type: 'FillRestated',
    data: {
      accountId: d.accountId,
      orderId: d.orderId,
      execId: d.execId,
      instrumentId: d.instrumentId,
      side: original.side,
      previous: { quantity: original.quantity, price: original.price, fee: original.fee },
      busted: restated === null,
      quantity: restated?.quantity ?? '0',
      price: restated?.price ?? original.price,
      fee: restated?.fee ?? '0',
      reason: d.reason,
      restatedAt: isoTimestamp(command.metadata.now),
      sourceSequence: d.sourceSequence,
      position: positionSnapshot(position),
    },
  };
  const halt = lossLimitHalt(
    state,
    evolveAccount(state, restatement),
    d.accountId,
    command.metadata.now,
    d.marks ?? {},
  );
  return accept(restatement, ...(halt ? [halt] : []));
}

export function decideAccount(command: AccountCommand, state: AccountState): Decision<AccountEvent> {
  switch (command.type) {
    case 'SetRiskLimits':
      return setRiskLimits(command, state);
    case 'HaltTrading': {
      const terms = haltTermsOf(command.data);
      if (haltLevel(state.halt) === terms.state) return accept();
      return accept({
        type: 'TradingHalted',
        data: {
          accountId: command.data.accountId,
          reason: command.data.reason,
          automatic: false,
          haltedAt: isoTimestamp(command.metadata.now),
          ...terms,
        },
      });
    }
    case 'ResumeTrading':
      if (!state.halt) return accept();
      return accept({
        type: 'TradingResumed',
        data: { accountId: command.data.accountId, resumedAt: isoTimestamp(command.metadata.now) },
      });
    case 'ReserveExposure':
      return reserveExposure(command, state);
    case 'ReserveRelease':
      return reserveRelease(command, state);
    case 'ReserveReplacement':
      return reserveReplacement(command, state);
    case 'ReleaseExposure':
      return releaseExposure(command, state);
    case 'AdjustReservation':
      return adjustReservation(command, state);
    case 'BookFill':
      return bookFill(command, state);
    case 'RestateFill':
      return restateFill(command, state);
    case 'CheckLossLimit': {
      // Nothing realised yet on a day without fills.
      const today = isoTimestamp(command.metadata.now).slice(0, 10);
      const asOfToday =
        state.dailyPnl.day === today
          ? state
          : { ...state, dailyPnl: { day: today, realizedNet: Decimal.ZERO } };
      const halt = lossLimitHalt(
        state,
        asOfToday,
        command.data.accountId,
        command.metadata.now,
        command.data.marks,
      );
      return accept(...(halt ? [halt] : []));
    }
    default:
      return assertNever(command);
  }
}

export const accountDecider: Decider<AccountCommand, AccountEvent, AccountState> = {
  decide: decideAccount,
  evolve: evolveAccount,
  initialState: initialAccountState,
};
