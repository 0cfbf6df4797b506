import fc from 'fast-check';
import { Decimal, InvalidDecimalError, dec } from './decimal';

describe('Decimal', () => {
  it.each([
    ['0', '0'],
    ['-0', '0'],
    ['1.50', '1.5'],
    ['+42', '42'],
    ['.5', '0.5'],
    ['1e3', '1000'],
    ['1.5E-3', '0.0015'],
    ['  9680.25 ', '9680.25'],
    ['0.000000000000000000000000000001', '0.000000000000000000000000000001'],
  ])('parses %j canonically as %s', (input, canonical) => {
    expect(Decimal.parse(input).toString()).toBe(canonical);
  });

  it.each([
    ['NaN', 'expected digits'],
    ['Infinity', 'expected digits'],
    ['-Infinity', 'expected digits'],
    ['abc', 'expected digits'],
    ['', 'empty'],
    ['1.2.3', 'expected digits'],
    ['0x10', 'expected digits'],
    ['1e', 'expected digits'],
    ['1e41', 'exponent beyond'],
    ['1e-41', 'exponent beyond'],
    ['1e30', 'magnitude'],
    ['1e-31', 'decimal places'],
    ['1'.repeat(81), 'longer than'],
  ])('rejects %j with a reason (%s)', (input, reason) => {
    expect(() => Decimal.parse(input)).toThrow(InvalidDecimalError);
    expect(() => Decimal.parse(input)).toThrow(reason);
  });

  it('rejects JS numbers that are not safe integers, and non-strings', () => {
    expect(() => Decimal.parse(0.1)).toThrow('pass fractional or large values as strings');
    expect(() => Decimal.parse(Number.NaN)).toThrow(InvalidDecimalError);
    expect(() => Decimal.parse(2 ** 60)).toThrow(InvalidDecimalError);
    expect(() => Decimal.parse(null)).toThrow('expected a string');
    expect(() => Decimal.parse({})).toThrow('expected a string');
    expect(Decimal.parse(7).toString()).toBe('7');
    expect(Decimal.parse(12n).toString()).toBe('12');
  });

  it('adds, subtracts and multiplies exactly where floats do not', () => {
    expect(dec('0.1').plus(dec('0.2')).toString()).toBe('0.3');
    expect(dec('9681.92').times(dec('0.003')).toString()).toBe('29.04576');
    expect(dec('1').minus(dec('0.9')).toString()).toBe('0.1');
    expect(dec('123456789012345678.123456789').times(dec('1000')).toString()).toBe(
      '123456789012345678123.456789',
    );
  });

  it('rounds division half-even to the requested scale and refuses division by zero', () => {
    expect(dec('1').dividedBy(dec('3'), 4).toString()).toBe('0.3333');
    expect(dec('0.125').dividedBy(dec('1'), 2).toString()).toBe('0.12');
    expect(dec('0.135').dividedBy(dec('1'), 2).toString()).toBe('0.14');
    expect(() => dec('1').dividedBy(Decimal.ZERO)).toThrow('division by zero');
  });

  it('checks tick and lot multiples', () => {
    expect(dec('9680.25').isMultipleOf(dec('0.01'))).toBe(true);
    expect(dec('9680.255').isMultipleOf(dec('0.01'))).toBe(false);
    expect(dec('0.003').isMultipleOf(dec('0.001'))).toBe(true);
    expect(dec('1').isMultipleOf(Decimal.ZERO)).toBe(false);
  });

  it('serialises to JSON as a string', () => {
    expect(JSON.stringify({ px: dec('9680.50') })).toBe('{"px":"9680.5"}');
  });

  it('round-trips through its string form (property)', () => {
    const decimalText = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 29n - 1n }), fc.integer({ min: 0, max: 30 }))
      .map(([negative, digits, scale]) => {
        const s = digits.toString().padStart(scale + 1, '0');
        const text = scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
        return negative ? `-${text}` : text;
      })
      .filter((text) => {
        const [whole] = text.replace('-', '').split('.');
        return whole.replace(/^0+/, '').length <= 29;
      });
    fc.assert(
      fc.property(decimalText, (text) => {
        const d = Decimal.parse(text);
        expect(Decimal.parse(d.toString()).eq(d)).toBe(true);
        expect(Decimal.parse(d.toString()).toString()).toBe(d.toString());
        expect(Decimal.parse(JSON.parse(JSON.stringify(d))).eq(d)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with exact bigint arithmetic on scaled integers (property)', () => {
    // Operands up to 10^6 with 8 decimals keep products inside the accepted range (< 10^30).
    const scaled = fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n });
    const asDecimal = (v: bigint) => Decimal.parse(v).dividedBy(Decimal.parse(10n ** 8n), 8);
    fc.assert(
      fc.property(scaled, scaled, (a, b) => {
        expect(
          asDecimal(a)
            .plus(asDecimal(b))
            .eq(asDecimal(a + b)),
        ).toBe(true);
        expect(
          asDecimal(a)
            .minus(asDecimal(b))
            .eq(asDecimal(a - b)),
        ).toBe(true);
        expect(
          asDecimal(a)
            .times(asDecimal(b))
            .eq(Decimal.parse(a * b).dividedBy(Decimal.parse(10n ** 16n), 16)),
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('Decimal against decimal.js as an oracle (property)', () => {
  // decimal.js at 120 significant digits is exact for every value the type admits.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Oracle = (require('decimal.js') as typeof import('decimal.js')).default.clone({
    precision: 120,
    rounding: 6, // ROUND_HALF_EVEN
    toExpNeg: -200,
    toExpPos: 200,
  });
  const text = fc
    .tuple(
      fc.boolean(),
      fc.bigInt({ min: 0n, max: 10n ** 18n }),
      fc.integer({ min: 0, max: 12 }),
      fc.constantFrom('', 'e0', 'e2', 'e-3'),
    )
    .map(([negative, digits, scale, exponent]) => {
      const s = digits.toString().padStart(scale + 1, '0');
      const body = scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
      return `${negative ? '-' : ''}${body}${exponent}`;
    });
  // decimal.js keeps a signed zero ("-0"); our canonical form never does.
  const unsignedZero = (o: InstanceType<typeof Oracle>) => (o.isZero() ? o.abs() : o);
  const same = (ours: Decimal, oracle: InstanceType<typeof Oracle>) =>
    expect(ours.toString()).toBe(unsignedZero(oracle).toFixed());

  it('parses, prints, adds, subtracts, multiplies and compares identically', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const [x, y] = [Decimal.parse(a), Decimal.parse(b)];
        const [ox, oy] = [new Oracle(a), new Oracle(b)];
        same(x, ox);
        same(x.plus(y), ox.plus(oy));
        same(x.minus(y), ox.minus(oy));
        same(x.times(y), ox.times(oy));
        same(x.abs(), ox.abs());
        same(x.negated(), ox.negated());
        expect(x.cmp(y)).toBe(ox.comparedTo(oy));
        expect(x.decimalPlaces()).toBe(ox.decimalPlaces());
      }),
      { numRuns: 1000 },
    );
  });

  it('divides and rounds half-even identically', () => {
    fc.assert(
      fc.property(text, text, fc.integer({ min: 0, max: 20 }), (a, b, scale) => {
        const [x, y] = [Decimal.parse(a), Decimal.parse(b)];
        const [ox, oy] = [new Oracle(a), new Oracle(b)];
        if (!y.isZero()) same(x.dividedBy(y, scale), ox.dividedBy(oy).toDecimalPlaces(scale, 6));
        same(x.round(scale), ox.toDecimalPlaces(scale, 6));
        expect(x.toFixed(scale)).toBe(unsignedZero(ox.toDecimalPlaces(scale, 6)).toFixed(scale));
      }),
      { numRuns: 1000 },
    );
  });

  it('tests multiples identically', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('0.01', '0.001', '0.5', '5', '0.25'), (a, step) => {
        expect(Decimal.parse(a).isMultipleOf(Decimal.parse(step))).toBe(new Oracle(a).modulo(step).isZero());
      }),
      { numRuns: 500 },
    );
  });
});
