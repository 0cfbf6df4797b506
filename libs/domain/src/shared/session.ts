/**
 * A trading-session calendar: when an instrument's trading day ends, as a local time in a named
 * (IANA) time zone. DAY orders expire there. A 24/7 market (crypto) has no close of its own: its
 * day ends at a configured daily cut-off, UTC midnight unless set. Weekends and holidays are not
 * modelled: every calendar day has a session end.
 *
 * Pure: time zone rules come from the runtime's ICU data (Intl), not from a clock or I/O.
 */
export interface TradingSession {
  /** IANA time zone name, e.g. 'America/New_York', 'UTC'. */
  timeZone: string;
  /** Local time the session ends, 'HH:MM' (24-hour). */
  close: string;
}

export const CONTINUOUS_SESSION: TradingSession = { timeZone: 'UTC', close: '00:00' };

const CLOSE_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** What a problem-free calendar returns: an empty list. */
export function sessionCalendarProblems(session: TradingSession): string[] {
  const problems: string[] = [];
  try {
    formatter(session.timeZone);
  } catch {
    problems.push(
      `session.timeZone must be an IANA time zone name (e.g. America/New_York), not ${session.timeZone}`,
    );
  }
  if (!CLOSE_PATTERN.test(session.close)) {
    problems.push(`session.close must be a local time HH:MM from 00:00 to 23:59, not ${session.close}`);
  }
  return problems;
}

/** The wall-clock fields of an instant in a time zone, as if they were UTC (ms). */
function wallClock(timeZone: string, atMs: number): number {
  if (timeZone === 'UTC') return Math.floor(atMs / 1000) * 1000; // what the formatter's seconds give
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(atMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** The instant a local wall time (given as if UTC) happens in a time zone. */
function instantOf(timeZone: string, wallMs: number): number {
  // Two rounds settle the offset, also across a daylight-saving change.
  let guess = wallMs;
  for (let i = 0; i < 2; i++) guess = wallMs - (wallClock(timeZone, guess) - guess);
  return guess;
}

/**
 * The last answer per calendar, `end` for an instant `from`: the same for every instant from `from` up
 * to `end` (no session ends between them), which is every order of a trading day. A memo of a pure
 * function; time zone rules are only looked up (Intl, slow) once a day per calendar.
 */
const lastEnds = new Map<string, { from: number; end: number }>();

/** The first session end strictly after `atMs` (ms since the epoch). */
export function sessionEndAfter(session: TradingSession, atMs: number): number {
  const key = `${session.timeZone} ${session.close}`;
  const last = lastEnds.get(key);
  if (last && last.from <= atMs && atMs < last.end) return last.end;
  const end = computeSessionEndAfter(session, atMs);
  lastEnds.set(key, { from: atMs, end });
  return end;
}

function computeSessionEndAfter(session: TradingSession, atMs: number): number {
  const [, hh, mm] = CLOSE_PATTERN.exec(session.close) ?? [];
  if (hh === undefined) throw new RangeError(sessionCalendarProblems(session).join('; '));
  const local = wallClock(session.timeZone, atMs);
  const localDay = local - (((local % DAY_MS) + DAY_MS) % DAY_MS);
  const closeOffset = (Number(hh) * 60 + Number(mm)) * 60_000;
  for (let day = 0; day < 3; day++) {
    const end = instantOf(session.timeZone, localDay + day * DAY_MS + closeOffset);
    if (end > atMs) return end;
  }
  throw new RangeError(`no session end found after ${atMs}`); // unreachable for real time zones
}
