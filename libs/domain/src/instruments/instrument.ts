import { Decimal, DecimalString, dec } from '../decimal/decimal';
import { Command, Decider, Decision, DomainEvent, accept, assertNever, reject } from '../shared/decision';
import { isoTimestamp } from '../shared/time';
import { CONTINUOUS_SESSION, TradingSession, sessionCalendarProblems } from '../shared/session';

/** Reference data for one tradable instrument (stream `instrument-<instrumentId>`). */
export interface Instrument {
  instrumentId: string;
  baseCurrency: string;
  quoteCurrency: string;
  tickSize: Decimal;
  lotSize: Decimal;
  minQuantity: Decimal;
  maxQuantity: Decimal;
  /** Decimal places used to show prices; informational, tick size is what constrains them. */
  pricePrecision: DecimalPlaces;
  tradable: boolean;
  /** Venue symbols keyed by venue id, e.g. { 'SIM-A': 'BTCUSDT' }. */
  venueSymbols: Record<string, string>;
  /** When its trading day ends (DAY orders expire there). */
  session: TradingSession;
}

export interface InstrumentDefinition {
  instrumentId: string;
  baseCurrency: string;
  quoteCurrency: string;
  tickSize: DecimalString;
  lotSize: DecimalString;
  minQuantity: DecimalString;
  maxQuantity: DecimalString;
  pricePrecision: DecimalPlaces;
  tradable: boolean;
  venueSymbols: Record<string, string>;
  /** Absent: a 24/7 market whose day ends at UTC midnight. */
  session?: TradingSession | null;
}

/** A count of decimal places (not a price). */
export type DecimalPlaces = number;

/**
 * How far trading is stopped at a scope (global, an account, an instrument): REDUCING lets only orders
 * that shrink a position (and cancels) through; HALTED lets only cancels through. No halt: ACTIVE.
 */
export const HALT_LEVELS = ['REDUCING', 'HALTED'] as const;
export type HaltLevel = (typeof HALT_LEVELS)[number];
export type TradingState = 'ACTIVE' | HaltLevel;

export interface Halt {
  /** Absent on halts recorded before levels existed: those were HALTED. */
  state?: HaltLevel;
  reason: string;
  haltedAt: string;
}

/** A halt command's terms with their defaults: HALTED, and working orders canceled. */
export function haltTermsOf(terms: HaltTerms): Required<HaltTerms> {
  return { state: terms.state ?? 'HALTED', cancelWorking: terms.cancelWorking ?? true };
}

export const haltLevel = (halt: Halt | null): TradingState => (halt ? (halt.state ?? 'HALTED') : 'ACTIVE');

/** What every halt event carries besides its scope: the level, and whether working orders are canceled. */
export interface HaltTerms {
  /** Absent on events recorded before levels existed: HALTED. */
  state?: HaltLevel;
  /** Whether the orders the halt forbids (all, or those that would grow a position) are canceled. */
  cancelWorking?: boolean;
}

export type InstrumentEvent =
  | DomainEvent<'InstrumentDefined', InstrumentDefinition & { definedAt: string }>
  | DomainEvent<'InstrumentHalted', { instrumentId: string; reason: string; haltedAt: string } & HaltTerms>
  | DomainEvent<'InstrumentResumed', { instrumentId: string; resumedAt: string }>;

export type InstrumentCommand =
  | Command<'DefineInstrument', InstrumentDefinition>
  | Command<'HaltInstrument', { instrumentId: string; reason: string } & HaltTerms>
  | Command<'ResumeInstrument', { instrumentId: string }>;

export interface InstrumentState {
  instrument: Instrument | null;
  halt: Halt | null;
}

export function instrumentFromDefinition(d: InstrumentDefinition): Instrument {
  return {
    instrumentId: d.instrumentId,
    baseCurrency: d.baseCurrency,
    quoteCurrency: d.quoteCurrency,
    tickSize: dec(d.tickSize),
    lotSize: dec(d.lotSize),
    minQuantity: dec(d.minQuantity),
    maxQuantity: dec(d.maxQuantity),
    pricePrecision: d.pricePrecision,
    tradable: d.tradable,
    venueSymbols: { ...d.venueSymbols },
    session: d.session ? { timeZone: d.session.timeZone, close: d.session.close } : CONTINUOUS_SESSION,
  };
}

function definitionProblems(d: InstrumentDefinition): string[] {
  const problems: string[] = [];
  const positive = (name: string, value: string) => {
    if (!Decimal.isValid(value) || !dec(value).isPositive())
      problems.push(`${name} must be a positive decimal`);
  };
  if (!d.instrumentId || d.instrumentId.includes('-')) {
    problems.push('instrumentId must be non-empty and contain no "-" (it names a stream)');
  }
  positive('tickSize', d.tickSize);
  positive('lotSize', d.lotSize);
  positive('minQuantity', d.minQuantity);
  positive('maxQuantity', d.maxQuantity);
  if (problems.length === 0 && dec(d.minQuantity).gt(dec(d.maxQuantity))) {
    problems.push('minQuantity must not exceed maxQuantity');
  }
  if (d.session) problems.push(...sessionCalendarProblems(d.session));
  if (!Number.isInteger(d.pricePrecision) || d.pricePrecision < 0) {
    problems.push('pricePrecision must be a whole number ≥ 0');
  }
  return problems;
}

function sameDefinition(a: Instrument, d: InstrumentDefinition): boolean {
  const b = instrumentFromDefinition(d);
  return (
    a.baseCurrency === b.baseCurrency &&
    a.quoteCurrency === b.quoteCurrency &&
    a.tickSize.eq(b.tickSize) &&
    a.lotSize.eq(b.lotSize) &&
    a.minQuantity.eq(b.minQuantity) &&
    a.maxQuantity.eq(b.maxQuantity) &&
    a.pricePrecision === b.pricePrecision &&
    a.tradable === b.tradable &&
    JSON.stringify(a.venueSymbols) === JSON.stringify(b.venueSymbols) &&
    a.session.timeZone === b.session.timeZone &&
    a.session.close === b.session.close
  );
}

export function decideInstrument(
  command: InstrumentCommand,
  state: InstrumentState,
): Decision<InstrumentEvent> {
  const now = isoTimestamp(command.metadata.now);
  switch (command.type) {
    case 'DefineInstrument': {
      const problems = definitionProblems(command.data);
      if (problems.length > 0) return reject('INVALID_INSTRUMENT', problems.join('; '));
      // Re-defining with identical terms is a no-op, so seeding is idempotent.
      if (state.instrument && sameDefinition(state.instrument, command.data)) return accept();
      return accept({ type: 'InstrumentDefined', data: { ...command.data, definedAt: now } });
    }
    case 'HaltInstrument': {
      if (!state.instrument)
        return reject('UNKNOWN_INSTRUMENT', `Instrument ${command.data.instrumentId} is not defined.`);
      const terms = haltTermsOf(command.data);
      if (haltLevel(state.halt) === terms.state) return accept();
      return accept({
        type: 'InstrumentHalted',
        data: {
          instrumentId: command.data.instrumentId,
          reason: command.data.reason,
          haltedAt: now,
          ...terms,
        },
      });
    }
    case 'ResumeInstrument':
      if (!state.instrument)
        return reject('UNKNOWN_INSTRUMENT', `Instrument ${command.data.instrumentId} is not defined.`);
      if (!state.halt) return accept();
      return accept({
        type: 'InstrumentResumed',
        data: { instrumentId: command.data.instrumentId, resumedAt: now },
      });
    default:
      return assertNever(command);
  }
}

export function evolveInstrument(state: InstrumentState, event: InstrumentEvent): InstrumentState {
  switch (event.type) {
    case 'InstrumentDefined':
      return { ...state, instrument: instrumentFromDefinition(event.data) };
    case 'InstrumentHalted':
      return {
        ...state,
        halt: {
          state: event.data.state ?? 'HALTED',
          reason: event.data.reason,
          haltedAt: event.data.haltedAt,
        },
      };
    case 'InstrumentResumed':
      return { ...state, halt: null };
    default:
      return assertNever(event);
  }
}

export const instrumentDecider: Decider<InstrumentCommand, InstrumentEvent, InstrumentState> = {
  decide: decideInstrument,
  evolve: evolveInstrument,
  initialState: (): InstrumentState => ({ instrument: null, halt: null }),
};
