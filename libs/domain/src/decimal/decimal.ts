/**
 * The one exact number type for prices, quantities, notionals, fees and P&L.
 *
 * A value is an integer coefficient and a decimal scale: coefficient × 10^-scale, both exact
 * (bigint). Addition, subtraction and multiplication are exact; division is the only operation that
 * rounds, and says so: half-even to a stated number of decimal places. The JSON form is the canonical
 * string, never a JS number. Why scaled bigint rather than decimal.js: docs/adr/0001-decimal-scaled-bigint.md.
 */

/** Largest magnitude accepted: below 10^30 (fits NUMERIC(60,30) in the read models). */
export const DECIMAL_MAX_INTEGER_DIGITS = 30;
/** Finest resolution accepted on input. */
export const DECIMAL_MAX_SCALE = 30;
/** Default scale of a division (average prices, collars). */
export const DIVISION_SCALE = 16;
const MAX_INPUT_LENGTH = 80;
const EXPONENT_LIMIT = 40;

const DECIMAL_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** Text that already is the canonical form (the usual case for values read back from events). */
const CANONICAL_PATTERN = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;

const POW10: bigint[] = [1n];
for (let i = 1; i <= 200; i++) POW10.push(POW10[i - 1] * 10n);

function pow10(n: number): bigint {
  return n < POW10.length ? POW10[n] : 10n ** BigInt(n);
}

export class InvalidDecimalError extends Error {
  readonly code = 'INVALID_DECIMAL';
  constructor(
    readonly input: unknown,
    reason: string,
  ) {
    super(`${describe(input)} is not a valid decimal: ${reason}`);
    this.name = 'InvalidDecimalError';
  }
}

function describe(input: unknown): string {
  if (typeof input === 'string') {
    return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  }
  return typeof input === 'bigint' ? `${input}n` : String(input);
}

/** Integer division rounded half-even (banker's rounding), for any signs. */
function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  let quotient = numerator / denominator;
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  const twiceRemainder = (remainder < 0n ? -remainder : remainder) * 2n;
  const absDenominator = denominator < 0n ? -denominator : denominator;
  const awayFromZero =
    twiceRemainder > absDenominator || (twiceRemainder === absDenominator && (quotient & 1n) === 1n);
  if (awayFromZero) quotient += numerator < 0n !== denominator < 0n ? -1n : 1n;
  return quotient;
}

export type DecimalInput = Decimal | string | bigint;

export class Decimal {
  static readonly ZERO = new Decimal(0n, 0);
  static readonly ONE = new Decimal(1n, 0);
  static readonly HUNDRED = new Decimal(100n, 0);

  /** Canonical text, computed once: values are formatted into every event they appear in. */
  private text: string | undefined;

  private constructor(
    private readonly coefficient: bigint,
    private readonly scale: number,
  ) {}

  /** Parses untrusted input. Throws InvalidDecimalError with a reason a person can act on. */
  static parse(input: unknown): Decimal {
    if (input instanceof Decimal) return input;
    if (typeof input === 'bigint') return Decimal.checked(input, 0, input);
    if (typeof input === 'number') {
      // Only whole numbers that a float represents exactly; anything else must arrive as a string.
      if (!Number.isSafeInteger(input)) {
        throw new InvalidDecimalError(input, 'pass fractional or large values as strings, not JS numbers');
      }
      return Decimal.checked(BigInt(input), 0, input);
    }
    if (typeof input !== 'string') throw new InvalidDecimalError(input, 'expected a string');
    const text = input.trim();
    if (text.length === 0) throw new InvalidDecimalError(input, 'empty string');
    if (text.length > MAX_INPUT_LENGTH) {
      throw new InvalidDecimalError(input, `longer than ${MAX_INPUT_LENGTH} characters`);
    }
    if (CANONICAL_PATTERN.test(text)) return Decimal.fromCanonical(text, input);
    const match = DECIMAL_PATTERN.exec(text);
    const whole = match?.[2] ?? '';
    const fraction = match?.[3] ?? '';
    if (!match || whole.length + fraction.length === 0) {
      throw new InvalidDecimalError(input, 'expected digits with an optional sign, point and exponent');
    }
    const exponent = match[4] === undefined ? 0 : Number(match[4]);
    if (Math.abs(exponent) > EXPONENT_LIMIT) {
      throw new InvalidDecimalError(input, `exponent beyond ±${EXPONENT_LIMIT}`);
    }
    let coefficient = BigInt(whole + fraction);
    let scale = fraction.length - exponent;
    if (scale < 0) {
      coefficient *= pow10(-scale);
      scale = 0;
    }
    return Decimal.checked(match[1] === '-' ? -coefficient : coefficient, scale, input);
  }

  /** Fast path: canonical text has no exponent and no trailing zeros, so it maps straight to a value. */
  private static fromCanonical(text: string, input: unknown): Decimal {
    const point = text.indexOf('.');
    const coefficient = BigInt(point < 0 ? text : text.slice(0, point) + text.slice(point + 1));
    const value = Decimal.checked(coefficient, point < 0 ? 0 : text.length - point - 1, input);
    if (value.text === undefined && value.coefficient !== 0n) value.text = text;
    return value;
  }

  /** For values the system wrote itself (events, read models); same checks as parse. */
  static of(input: DecimalInput | number): Decimal {
    return Decimal.parse(input);
  }

  static isValid(input: unknown): boolean {
    try {
      Decimal.parse(input);
      return true;
    } catch {
      return false;
    }
  }

  static min(a: Decimal, b: Decimal): Decimal {
    return a.lte(b) ? a : b;
  }

  static max(a: Decimal, b: Decimal): Decimal {
    return a.gte(b) ? a : b;
  }

  static sum(values: Iterable<Decimal>): Decimal {
    let total = Decimal.ZERO;
    for (const v of values) total = total.plus(v);
    return total;
  }

  /** Strips trailing zeros and applies the input bounds. */
  private static checked(coefficient: bigint, scale: number, input: unknown): Decimal {
    while (scale > 0 && coefficient % 10n === 0n) {
      coefficient /= 10n;
      scale--;
    }
    if (scale > DECIMAL_MAX_SCALE) {
      throw new InvalidDecimalError(input, `more than ${DECIMAL_MAX_SCALE} decimal places`);
    }
    const magnitude = coefficient < 0n ? -coefficient : coefficient;
    if (magnitude >= pow10(DECIMAL_MAX_INTEGER_DIGITS + scale)) {
      throw new InvalidDecimalError(input, `magnitude must be below 10^${DECIMAL_MAX_INTEGER_DIGITS}`);
    }
    return coefficient === 0n ? Decimal.ZERO : new Decimal(coefficient, scale);
  }

  /** This coefficient expressed at a larger scale. */
  private at(scale: number): bigint {
    return scale === this.scale ? this.coefficient : this.coefficient * pow10(scale - this.scale);
  }

  plus(other: Decimal): Decimal {
    if (other.coefficient === 0n) return this;
    if (this.coefficient === 0n) return other;
    const scale = this.scale > other.scale ? this.scale : other.scale;
    return new Decimal(this.at(scale) + other.at(scale), scale);
  }

  minus(other: Decimal): Decimal {
    if (other.coefficient === 0n) return this;
    const scale = this.scale > other.scale ? this.scale : other.scale;
    return new Decimal(this.at(scale) - other.at(scale), scale);
  }

  times(other: Decimal): Decimal {
    return new Decimal(this.coefficient * other.coefficient, this.scale + other.scale);
  }

  /** Rounded half-even to `scale` decimal places: the one place the type rounds. */
  dividedBy(divisor: Decimal, scale: number = DIVISION_SCALE): Decimal {
    if (divisor.coefficient === 0n) throw new RangeError('Decimal division by zero');
    // (a / 10^sa) / (b / 10^sb) at `scale` places = a × 10^(scale + sb − sa) / b
    const shift = scale + divisor.scale - this.scale;
    const numerator = shift >= 0 ? this.coefficient * pow10(shift) : this.coefficient;
    const denominator = shift >= 0 ? divisor.coefficient : divisor.coefficient * pow10(-shift);
    return new Decimal(divideHalfEven(numerator, denominator), scale);
  }

  /** Rounded half-even to `scale` decimal places. */
  round(scale: number): Decimal {
    if (this.scale <= scale) return this;
    return new Decimal(divideHalfEven(this.coefficient, pow10(this.scale - scale)), scale);
  }

  negated(): Decimal {
    return this.coefficient === 0n ? this : new Decimal(-this.coefficient, this.scale);
  }

  abs(): Decimal {
    return this.coefficient < 0n ? new Decimal(-this.coefficient, this.scale) : this;
  }

  /** True when this is a whole multiple of `step` (tick and lot sizes). A zero step never matches. */
  isMultipleOf(step: Decimal): boolean {
    if (step.coefficient === 0n) return false;
    const scale = this.scale > step.scale ? this.scale : step.scale;
    return this.at(scale) % step.at(scale) === 0n;
  }

  /** The largest multiple of `step` at or below this (prices onto a tick, towards the safe side). */
  floorToMultiple(step: Decimal): Decimal {
    if (step.coefficient <= 0n) throw new RangeError('step must be positive');
    const scale = this.scale > step.scale ? this.scale : step.scale;
    const a = this.at(scale);
    const s = step.at(scale);
    let q = a / s;
    if (a % s !== 0n && a < 0n) q -= 1n;
    return new Decimal(q * s, scale);
  }

  /** The smallest multiple of `step` at or above this. */
  ceilToMultiple(step: Decimal): Decimal {
    return this.negated().floorToMultiple(step).negated();
  }

  cmp(other: Decimal): -1 | 0 | 1 {
    let a = this.coefficient;
    let b = other.coefficient;
    if (this.scale > other.scale) b = other.at(this.scale);
    else if (other.scale > this.scale) a = this.at(other.scale);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  eq(other: Decimal): boolean {
    return this.cmp(other) === 0;
  }

  lt(other: Decimal): boolean {
    return this.cmp(other) < 0;
  }

  lte(other: Decimal): boolean {
    return this.cmp(other) <= 0;
  }

  gt(other: Decimal): boolean {
    return this.cmp(other) > 0;
  }

  gte(other: Decimal): boolean {
    return this.cmp(other) >= 0;
  }

  isZero(): boolean {
    return this.coefficient === 0n;
  }

  isPositive(): boolean {
    return this.coefficient > 0n;
  }

  isNegative(): boolean {
    return this.coefficient < 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.coefficient === 0n ? 0 : this.coefficient < 0n ? -1 : 1;
  }

  /** Decimal places of the canonical form (trailing zeros do not count). */
  decimalPlaces(): number {
    const digits = this.toString();
    const point = digits.indexOf('.');
    return point < 0 ? 0 : digits.length - point - 1;
  }

  /** Canonical form: plain notation, no exponent, no trailing zeros, no "-0". */
  toString(): string {
    if (this.text === undefined) this.text = this.format(this.scale, true);
    return this.text;
  }

  /** Exactly `scale` decimal places, rounded half-even; for display. */
  toFixed(scale: number): string {
    const rounded = this.round(scale);
    return new Decimal(rounded.coefficient * pow10(scale - rounded.scale), scale).format(scale, false);
  }

  private format(scale: number, stripZeros: boolean): string {
    if (this.coefficient === 0n) return scale > 0 && !stripZeros ? `0.${'0'.repeat(scale)}` : '0';
    const negative = this.coefficient < 0n;
    let digits = (negative ? -this.coefficient : this.coefficient).toString();
    if (scale > 0) {
      digits = digits.padStart(scale + 1, '0');
      let fraction = digits.slice(digits.length - scale);
      if (stripZeros) fraction = fraction.replace(/0+$/, '');
      digits =
        fraction.length > 0
          ? `${digits.slice(0, digits.length - scale)}.${fraction}`
          : digits.slice(0, digits.length - scale);
    }
    return negative ? `-${digits}` : digits;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Lossy: for charts and benchmark read-outs only, never for money. */
  toApproximateNumber(): number {
    return Number(this.toString());
  }
}

/** Shorthand for literals in code and tests: `dec('9680.50')`. */
export function dec(input: DecimalInput | number): Decimal {
  return Decimal.parse(input);
}

/** Decimal values travel in events and over the wire as canonical strings. */
export type DecimalString = string;
