import fc from 'fast-check';
import { isoTimestamp } from './time';

describe('isoTimestamp', () => {
  it('formats exactly like Date#toISOString (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_198_755_200_000, max: 253_402_300_799_999 }), (ms) => {
        const date = new Date(ms);
        expect(isoTimestamp(date)).toBe(date.toISOString());
      }),
      { numRuns: 2000 },
    );
  });
});
