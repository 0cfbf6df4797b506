import { Decimal } from '@oms/domain';
import { StrategyInstrument, StrategySetup } from '../strategy';

/** A strategy parameter that is wrong: the backtest stops before it starts, saying which and why. */
export class StrategyParamError extends Error {}

/** Reads one strategy's parameters, each with its default; anything unknown is refused. */
export class Params {
  private readonly used = new Set<string>();

  constructor(
    private readonly strategy: string,
    private readonly params: Readonly<Record<string, unknown>>,
  ) {}

  /** A positive quantity in whole lots of the instrument (the OMS refuses any other). */
  lots(name: string, fallback: Decimal, lotSize: Decimal): Decimal {
    const value = this.take(name);
    if (value === undefined) return fallback;
    if ((typeof value !== 'string' && typeof value !== 'number') || !Decimal.isValid(String(value)))
      throw this.bad(name, 'a decimal, like "0.5"');
    const parsed = Decimal.parse(String(value));
    if (!parsed.isPositive() || !parsed.isMultipleOf(lotSize))
      throw this.bad(name, `a positive whole number of lots of ${lotSize}`);
    return parsed;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.take(name);
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      throw this.bad(name, `a whole number from ${min} to ${max}`);
    return value;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.take(name);
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !allowed.includes(value as T))
      throw this.bad(name, `one of ${allowed.join(', ')}`);
    return value as T;
  }

  text(name: string): string | null {
    const value = this.take(name);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string' || value.length === 0 || value.length > 64)
      throw this.bad(name, 'a name of 1–64 characters');
    return value;
  }

  /** The instrument named by `instrumentId`, or the backtest's first. */
  instrument(setup: StrategySetup): StrategyInstrument {
    const id = this.text('instrumentId');
    const found = id ? setup.instruments.find((i) => i.instrumentId === id) : setup.instruments[0];
    if (!found)
      throw new StrategyParamError(
        `${this.strategy}: instrumentId ${id ?? '(none)'} is not one the backtest trades (${setup.instruments.map((i) => i.instrumentId).join(', ')}).`,
      );
    return found;
  }

  /** Every parameter given was read: a misspelt one is an error, not a silent default. */
  done(): void {
    const unknown = Object.keys(this.params).filter((k) => !this.used.has(k));
    if (unknown.length > 0)
      throw new StrategyParamError(`${this.strategy}: unknown parameter(s) ${unknown.join(', ')}.`);
  }

  private take(name: string): unknown {
    this.used.add(name);
    return this.params[name];
  }

  private bad(name: string, expected: string): StrategyParamError {
    return new StrategyParamError(
      `${this.strategy}: parameter ${name} is ${JSON.stringify(this.params[name])}; expected ${expected}.`,
    );
  }
}
