import { Decimal, RiskLimitsData } from '@oms/domain';
import { VENUE_ID } from '@oms/venues';
import { Type, plainToInstance } from 'class-transformer';
import {
  Equals,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  Validate,
  ValidateNested,
  ValidationArguments,
  ValidationError,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  validateSync,
} from 'class-validator';
import { readFileSync } from 'fs';
import { extname } from 'path';
import { parse as parseYaml } from 'yaml';

/**
 * A backtest's configuration (JSON or YAML), every field with a default, so that `--data` and
 * `--strategy` alone run a sensible backtest: two simulated venues sharing the data (the second with
 * half the liquidity, higher taker fees and a jittery line), best-price routing, an account with risk
 * limits a small strategy stays well inside, and the strategy's own defaults.
 */
export const LATENCY_MODELS = ['fixed', 'jitter', 'recorded'] as const;
export const QUEUE_MODELS = ['risk-averse', 'probabilistic'] as const;
export const FAULT_TYPES = ['outage', 'disconnect', 'latency-spike', 'drop-acks', 'rejects'] as const;

export type LatencyModel =
  { model: 'fixed'; ms: number } | { model: 'jitter'; ms: number; jitterMs: number } | { model: 'recorded' };

/**
 * Scheduled faults, each over [from, to) of virtual time:
 * - outage: the venue is down: unreachable (requests refused, reports lost, no market data) and its
 *   market stopped (nothing rests or fills there meanwhile);
 * - disconnect: the line drops: unreachable, reports lost, but the market goes on (resting orders may
 *   fill unheard; reconciliation finds the fills on reconnect);
 * - latency-spike: `extraMs` more each way;
 * - drop-acks: acknowledgements lost with `probability` (the orders still work);
 * - rejects: new orders rejected by the venue with `probability`.
 */
export type FaultWindow =
  | { type: 'outage' | 'disconnect'; from: number; to: number }
  | { type: 'latency-spike'; from: number; to: number; extraMs: number }
  | { type: 'drop-acks' | 'rejects'; from: number; to: number; probability: number };

export interface VenueModel {
  id: string;
  /** Indexes into the backtest's data files this venue is fed by (default: all). */
  data: number[];
  /** Multiplies the data's book sizes (0.5: half the liquidity). */
  liquidityShare: Decimal;
  latency: LatencyModel;
  queue: (typeof QUEUE_MODELS)[number];
  fees: { maker: Decimal; taker: Decimal };
  rejectProbability: number;
  rateLimit: { perSecond: number; burst: number };
  /** Times as written: ISO-8601, or an offset from the data's start ("+90s", "+2m", "+1500ms"). */
  faults: FaultSpec[];
}

export type FaultSpec = Omit<FaultWindow, 'from' | 'to'> & { from: string; to: string };

export interface InstrumentSetting {
  instrumentId: string;
  /** The symbol in the data files (default: the instrument id). */
  symbol: string;
  tickSize: Decimal;
  lotSize: Decimal;
  baseCurrency: string;
  quoteCurrency: string;
}

export interface BacktestConfig {
  seed: number;
  /** 'best-price': the smart order router chooses; a venue id: every order goes there directly. */
  routing: string;
  venues: VenueModel[];
  /** Empty: inferred from the data. */
  instruments: InstrumentSetting[];
  limits: RiskLimitsData;
  strategy: Record<string, unknown>;
  /** How often the equity curve is sampled, ms of virtual time. */
  sampleEveryMs: number;
}

/** Limits a small strategy stays well inside, with every check on (the backtest tests risk too). */
export const DEFAULT_LIMITS: RiskLimitsData = {
  maxOrderQuantity: '100',
  maxOrderNotional: '1000000',
  maxPosition: '1000',
  positionLimits: {},
  maxOpenNotional: '10000000',
  priceCollarPercent: '5',
  // Recorded data has gaps: a quiet minute is not a stale market.
  staleReferenceAfterMs: 60_000,
  maxOrdersPerWindow: 200,
  orderRateWindowMs: 1_000,
  maxDailyLoss: '1000000',
  reduceOnly: false,
  allowedInstruments: null,
};

export function defaultVenues(dataFiles: number): VenueModel[] {
  const all = Array.from({ length: dataFiles }, (_, i) => i);
  return [
    {
      id: 'SIM-A',
      data: all,
      liquidityShare: Decimal.ONE,
      latency: { model: 'fixed', ms: 5 },
      queue: 'risk-averse',
      fees: { maker: Decimal.parse('0.0002'), taker: Decimal.parse('0.0004') },
      rejectProbability: 0,
      rateLimit: { perSecond: 100, burst: 200 },
      faults: [],
    },
    {
      id: 'SIM-B',
      data: all,
      liquidityShare: Decimal.parse('0.5'),
      latency: { model: 'jitter', ms: 8, jitterMs: 6 },
      queue: 'risk-averse',
      fees: { maker: Decimal.ZERO, taker: Decimal.parse('0.0005') },
      rejectProbability: 0,
      rateLimit: { perSecond: 100, burst: 200 },
      faults: [],
    },
  ];
}

// --- the file --------------------------------------------------------------------------------

/**
 * A decimal (text or number) within bounds: `@Validate(DecimalIn, [min, max, what])`, min exclusive
 * when written as `>x`, and `what` the sentence's tail that says what the field is.
 */
@ValidatorConstraint({ name: 'decimalIn' })
class DecimalIn implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    if ((typeof value !== 'string' && typeof value !== 'number') || !Decimal.isValid(String(value)))
      return false;
    const [min, max] = args.constraints as [string, string | null];
    const d = Decimal.parse(String(value));
    const above = min.startsWith('>') ? d.gt(Decimal.parse(min.slice(1))) : d.gte(Decimal.parse(min));
    return above && (max === null || d.lte(Decimal.parse(max)));
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be ${String(args.constraints[2])}, not ${JSON.stringify(args.value)}`;
  }
}

const POSITIVE = ['>0', null, 'a decimal > 0 (e.g. "0.01")'];
const FEE = ['-0.01', '0.1', 'a fraction of notional from -0.01 (a 1 % rebate) to 0.1 (e.g. "0.0002")'];
const SHARE = ['>0', '100', "a decimal above 0 and at most 100 (1: the data's sizes as they are)"];

const TIME = /^(\+\d+(\.\d+)?(ms|s|m|h)|\d{4}-\d{2}-\d{2}T[\d:.]+Z)$/;

class LatencyInput {
  @IsIn(LATENCY_MODELS, { message: `latency.model must be one of ${LATENCY_MODELS.join(', ')}` })
  model!: string;
  @IsOptional() @IsNumber() @Min(0) @Max(60_000) ms?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(60_000) jitterMs?: number;
}

class FeesInput {
  @IsOptional() @Validate(DecimalIn, FEE) maker?: string;
  @IsOptional() @Validate(DecimalIn, FEE) taker?: string;
}

class RateLimitInput {
  @IsInt() @Min(1) @Max(100_000) perSecond!: number;
  @IsOptional() @IsInt() @Min(1) @Max(100_000) burst?: number;
}

class FaultInput {
  @IsIn(FAULT_TYPES, { message: `a fault's type must be one of ${FAULT_TYPES.join(', ')}` })
  type!: string;
  @Matches(TIME, { message: 'from must be ISO-8601 UTC ("2020-02-22T00:01:00Z") or an offset ("+90s")' })
  from!: string;
  @Matches(TIME, { message: 'to must be ISO-8601 UTC ("2020-02-22T00:01:00Z") or an offset ("+90s")' })
  to!: string;
  @IsOptional() @IsNumber() @Min(0) @Max(60_000) extraMs?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) probability?: number;
}

class VenueInput {
  @Matches(VENUE_ID, { message: 'id must be 1–32 letters, digits, `_`, `.` or `-`' })
  id!: string;
  @IsOptional() @IsArray() @IsInt({ each: true }) @Min(0, { each: true }) data?: number[];
  @IsOptional() @Validate(DecimalIn, SHARE) liquidityShare?: string;
  @IsOptional() @ValidateNested() @Type(() => LatencyInput) latency?: LatencyInput;
  @IsOptional()
  @IsIn(QUEUE_MODELS, { message: `queue must be one of ${QUEUE_MODELS.join(', ')}` })
  queue?: string;
  @IsOptional() @ValidateNested() @Type(() => FeesInput) fees?: FeesInput;
  @IsOptional() @IsNumber() @Min(0) @Max(1) rejectProbability?: number;
  @IsOptional() @ValidateNested() @Type(() => RateLimitInput) rateLimit?: RateLimitInput;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => FaultInput) faults?: FaultInput[];
}

class InstrumentInput {
  @Matches(/^[A-Za-z0-9_.:-]{1,32}$/, { message: 'instrumentId must be 1–32 letters, digits, _ . : -' })
  instrumentId!: string;
  @IsOptional() @IsString() @Length(1, 64) symbol?: string;
  @Validate(DecimalIn, POSITIVE) tickSize!: string;
  @Validate(DecimalIn, POSITIVE) lotSize!: string;
  @IsOptional() @IsString() @Length(1, 16) baseCurrency?: string;
  @IsOptional() @IsString() @Length(1, 16) quoteCurrency?: string;
}

class ConfigInput {
  @IsOptional() @IsInt() @Min(0) @Max(2 ** 31 - 1) seed?: number;
  @IsOptional() @IsString() @Length(1, 32) routing?: string;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => VenueInput) venues?: VenueInput[];
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => InstrumentInput)
  instruments?: InstrumentInput[];
  @IsOptional() @IsObject() limits?: Record<string, unknown>;
  @IsOptional() @IsObject() strategy?: Record<string, unknown>;
  @IsOptional() @IsInt() @Min(10) @Max(86_400_000) sampleEveryMs?: number;
  @IsOptional() @Equals(1, { message: 'version must be 1' }) version?: number;
}

export class BacktestConfigError extends Error {}

function problemsOf(errors: ValidationError[], path: string): string[] {
  return errors.flatMap((error) => {
    const here = path ? `${path}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {})
      .slice(-1)
      .map((m) => `${here}: ${m}`);
    return [...own, ...problemsOf(error.children ?? [], here)];
  });
}

/** The config file (JSON or YAML), checked; null path: every default. */
export function readBacktestConfig(file: string | null, dataFiles: number): BacktestConfig {
  if (file === null) return parseBacktestConfig({}, 'defaults', dataFiles);
  let parsed: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    parsed = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new BacktestConfigError(`${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseBacktestConfig(parsed ?? {}, file, dataFiles);
}

export function parseBacktestConfig(parsed: unknown, source: string, dataFiles: number): BacktestConfig {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new BacktestConfigError(`${source}: expected an object with seed, venues, limits, strategy, ...`);
  const input = plainToInstance(ConfigInput, parsed);
  const problems = problemsOf(
    validateSync(input, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }),
    '',
  );
  const venues = input.venues?.length
    ? input.venues.map((v) => venueOf(v, dataFiles))
    : defaultVenues(dataFiles);
  (input.venues ?? []).forEach((v, i) => {
    const where = `venues[${i}] (${v.id})`;
    if (v.latency?.model !== 'jitter' && v.latency?.jitterMs !== undefined)
      problems.push(`${where}: latency.jitterMs is a setting of the jitter model`);
    if (v.latency?.model === 'recorded' && v.latency.ms !== undefined)
      problems.push(`${where}: latency.ms is not a setting of the recorded model (the data says it)`);
    (v.faults ?? []).forEach((f, j) => {
      if (f.type !== 'latency-spike' && f.extraMs !== undefined)
        problems.push(`${where}: faults[${j}]: extraMs is a setting of latency-spike faults`);
      if (f.type !== 'drop-acks' && f.type !== 'rejects' && f.probability !== undefined)
        problems.push(`${where}: faults[${j}]: probability is a setting of drop-acks and rejects faults`);
      for (const edge of ['from', 'to'] as const) {
        const text = f[edge];
        if (typeof text === 'string' && TIME.test(text) && !timeIsValid(text))
          problems.push(`${where}: faults[${j}].${edge} ${text} is not a time within reach (${REACH})`);
      }
    });
  });
  const instrumentIds = (input.instruments ?? []).map((i) => i.instrumentId);
  instrumentIds.forEach((id, i) => {
    if (instrumentIds.indexOf(id) !== i)
      problems.push(`instruments[${i}]: instrumentId ${id} is named twice`);
  });
  venues.forEach((v, i) => {
    if (venues.findIndex((o) => o.id === v.id) !== i) problems.push(`venues[${i}]: id ${v.id} is used twice`);
    for (const index of v.data)
      if (index >= dataFiles)
        problems.push(`venues[${i}] (${v.id}): data index ${index}, but only ${dataFiles} --data file(s)`);
    for (const f of v.faults) {
      if (f.type === 'latency-spike' && !('extraMs' in f && typeof f.extraMs === 'number'))
        problems.push(`venues[${i}] (${v.id}): a latency-spike needs extraMs`);
      if ((f.type === 'drop-acks' || f.type === 'rejects') && !('probability' in f))
        problems.push(`venues[${i}] (${v.id}): a ${f.type} fault needs a probability`);
    }
  });
  const routing = input.routing ?? 'best-price';
  if (routing !== 'best-price' && !venues.some((v) => v.id === routing))
    problems.push(`routing must be best-price or one of the venues (${venues.map((v) => v.id).join(', ')})`);
  if (problems.length > 0) throw new BacktestConfigError(`${source}: ${problems.join('; ')}.`);
  return {
    seed: input.seed ?? 1,
    routing,
    venues,
    instruments: (input.instruments ?? []).map((i) => ({
      instrumentId: i.instrumentId,
      symbol: i.symbol ?? i.instrumentId,
      tickSize: Decimal.parse(String(i.tickSize)),
      lotSize: Decimal.parse(String(i.lotSize)),
      baseCurrency: i.baseCurrency ?? currenciesOf(i.symbol ?? i.instrumentId).base,
      quoteCurrency: i.quoteCurrency ?? currenciesOf(i.symbol ?? i.instrumentId).quote,
    })),
    limits: { ...DEFAULT_LIMITS, ...(input.limits ?? {}) } as RiskLimitsData,
    strategy: input.strategy ?? {},
    sampleEveryMs: input.sampleEveryMs ?? 1_000,
  };
}

function venueOf(v: VenueInput, dataFiles: number): VenueModel {
  const latency: LatencyModel =
    v.latency?.model === 'recorded'
      ? { model: 'recorded' }
      : v.latency?.model === 'jitter'
        ? { model: 'jitter', ms: v.latency.ms ?? 5, jitterMs: v.latency.jitterMs ?? 5 }
        : { model: 'fixed', ms: v.latency?.ms ?? 5 };
  return {
    id: v.id,
    data: v.data ?? Array.from({ length: dataFiles }, (_, i) => i),
    liquidityShare: v.liquidityShare ? Decimal.parse(String(v.liquidityShare)) : Decimal.ONE,
    latency,
    queue: (v.queue as VenueModel['queue']) ?? 'risk-averse',
    fees: {
      maker: Decimal.parse(String(v.fees?.maker ?? '0.0002')),
      taker: Decimal.parse(String(v.fees?.taker ?? '0.0004')),
    },
    rejectProbability: v.rejectProbability ?? 0,
    rateLimit: {
      perSecond: v.rateLimit?.perSecond ?? 100,
      burst: v.rateLimit?.burst ?? v.rateLimit?.perSecond ?? 200,
    },
    faults: (v.faults ?? []).map((f) => ({ ...f }) as FaultSpec),
  };
}

/** Base and quote currencies guessed from a symbol (BTCUSDT → BTC/USDT, BTC-PERPETUAL → BTC/USD). */
export function currenciesOf(symbol: string): { base: string; quote: string } {
  const upper = symbol.toUpperCase();
  const dashed = /^([A-Z0-9]+)[-/_]([A-Z0-9]+)/.exec(upper);
  const quotes = ['USDT', 'USDC', 'BUSD', 'TUSD', 'USD', 'EUR', 'GBP', 'JPY', 'BTC', 'ETH'];
  if (dashed) {
    if (quotes.includes(dashed[2])) return { base: dashed[1], quote: dashed[2] };
    return { base: dashed[1], quote: 'USD' };
  }
  for (const q of quotes)
    if (upper.endsWith(q) && upper.length > q.length) return { base: upper.slice(0, -q.length), quote: q };
  return { base: upper, quote: 'USD' };
}

/** How far an offset may reach ("+90s"): a year. */
const MAX_OFFSET_DAYS = 366;
/** ISO times within the range a Date holds comfortably (1970 to 2999). */
const LATEST = Date.parse('2999-12-31T23:59:59Z');
const REACH = `a real ISO-8601 UTC time from 1970 to 2999, or an offset of at most ${MAX_OFFSET_DAYS} days`;

function offsetMs(text: string): number | null {
  const offset = /^\+(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!offset) return null;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[offset[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(offset[1]) * unit;
}

function timeIsValid(text: string): boolean {
  const offset = offsetMs(text);
  if (offset !== null) return Number.isFinite(offset) && offset <= MAX_OFFSET_DAYS * 86_400_000;
  const at = Date.parse(text);
  // A date that does not exist (February 30th) is refused, not rolled over into March.
  const day = /^(\d{4}-\d{2}-\d{2})T/.exec(text)?.[1];
  return Number.isFinite(at) && at >= 0 && at <= LATEST && new Date(at).toISOString().slice(0, 10) === day;
}

/** "+90s", "+1500ms", "+2m", "+1h" from `start`, or an ISO-8601 UTC time; ms since the epoch. */
export function timeOf(text: string, start: number): number {
  if (!timeIsValid(text))
    throw new BacktestConfigError(
      `${text} is not a time: ${REACH} from the data's start ("2020-02-22T00:01:00Z", "+90s", "+2m")`,
    );
  const offset = offsetMs(text);
  return offset !== null ? start + offset : Date.parse(text);
}
