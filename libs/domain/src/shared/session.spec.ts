import { TradingSession, sessionCalendarProblems, sessionEndAfter } from './session';

const at = (iso: string) => Date.parse(iso);
const end = (session: TradingSession, iso: string) =>
  new Date(sessionEndAfter(session, at(iso))).toISOString();

describe('trading session calendar: when a DAY order expires', () => {
  it('a 24/7 market ends its day at the configured cut-off (UTC midnight by default)', () => {
    expect(end({ timeZone: 'UTC', close: '00:00' }, '2026-12-02T01:25:00Z')).toBe('2026-12-03T00:00:00.000Z');
    expect(end({ timeZone: 'UTC', close: '00:00' }, '2026-12-02T23:59:59.999Z')).toBe(
      '2026-12-03T00:00:00.000Z',
    );
    // At the cut-off itself the day has ended: the next one ends tomorrow.
    expect(end({ timeZone: 'UTC', close: '00:00' }, '2026-12-03T00:00:00Z')).toBe('2026-12-04T00:00:00.000Z');
  });

  it('a session end in a named time zone follows its daylight saving', () => {
    const nyse: TradingSession = { timeZone: 'America/New_York', close: '16:00' };
    // Winter: New York is UTC−5; summer: UTC−4.
    expect(end(nyse, '2026-12-02T14:00:00Z')).toBe('2026-12-02T21:00:00.000Z');
    expect(end(nyse, '2026-07-01T14:00:00Z')).toBe('2026-07-01T20:00:00.000Z');
    // After the close, the next day's.
    expect(end(nyse, '2026-12-02T21:30:00Z')).toBe('2026-12-03T21:00:00.000Z');
    // Across the spring change (8 March 2026): placed the evening before, it ends at 16:00 EDT.
    expect(end(nyse, '2026-03-07T22:00:00Z')).toBe('2026-03-08T20:00:00.000Z');
    const tokyo: TradingSession = { timeZone: 'Asia/Tokyo', close: '15:30' };
    expect(end(tokyo, '2026-12-02T01:00:00Z')).toBe('2026-12-02T06:30:00.000Z');
  });

  it('answers the same however the instants asked about are ordered (the answer is remembered per day)', () => {
    const london: TradingSession = { timeZone: 'Europe/London', close: '16:30' };
    const instants = [
      '2026-12-02T10:00:00Z',
      '2026-12-02T16:29:59.999Z',
      '2026-12-01T12:00:00Z',
      '2026-12-02T16:30:00Z',
      '2026-12-02T11:00:00Z',
    ];
    expect(instants.map((i) => end(london, i))).toEqual([
      '2026-12-02T16:30:00.000Z',
      '2026-12-02T16:30:00.000Z',
      '2026-12-01T16:30:00.000Z',
      '2026-12-03T16:30:00.000Z',
      '2026-12-02T16:30:00.000Z',
    ]);
  });

  it('refuses a calendar it cannot compute with', () => {
    expect(sessionCalendarProblems({ timeZone: 'Mars/Olympus', close: '16:00' })).toEqual([
      'session.timeZone must be an IANA time zone name (e.g. America/New_York), not Mars/Olympus',
    ]);
    expect(sessionCalendarProblems({ timeZone: 'UTC', close: '24:00' })).toEqual([
      'session.close must be a local time HH:MM from 00:00 to 23:59, not 24:00',
    ]);
    expect(sessionCalendarProblems({ timeZone: 'Europe/London', close: '16:30' })).toEqual([]);
  });
});
