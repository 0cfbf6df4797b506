import {
  DECLARABLE_ORDER_TYPES,
  Decimal,
  OrderType,
  TIMES_IN_FORCE,
  TimeInForce,
  VENUE_ORDER_TYPES,
} from '@oms/domain';
import { Clock, Logger } from '@oms/platform';
import {
  FIX_VERSIONS,
  FixFaults,
  FixVenue,
  FixVersion,
  MarketEvent,
  SimulatedVenue,
  VENUE_ID,
  Venue,
  VenueCapabilities,
  loopFeed,
  readTardisFile,
  syntheticFeed,
} from '@oms/venues';
import { Type, plainToInstance } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
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
import { extname, join } from 'path';
import { parse as parseYaml } from 'yaml';

/**
 * The venues the gateway trades on, from the file named by OMS_VENUES (JSON or YAML): a list of
 * entries, each with an `id`, a `type` (`simulated` or `fix`) and that type's settings, every one
 * of them with a default. Checked in full at start-up: a bad field stops the start with a sentence
 * naming it.
 */
export const VENUE_TYPES = ['simulated', 'fix'] as const;

/** A venue's settings as the OMS uses them, defaults filled in. */
export type VenueDefinition = SimulatedVenueDefinition | FixVenueDefinition;

interface CommonDefinition {
  id: string;
  /** Requests (orders, cancels, replaces) per second the venue takes; also its burst. */
  rateLimit: number;
  fees: { maker: Decimal; taker: Decimal };
  /** OMS instrument id → the venue's symbol. */
  symbols: Record<string, string>;
  tickSize: Decimal;
  lotSize: Decimal;
  orderTypes: OrderType[];
  timesInForce: TimeInForce[];
  /** Post-only and iceberg limit orders, worked by the venue (orders needing them go only there). */
  postOnly: boolean;
  iceberg: boolean;
}

export interface SimulatedVenueDefinition extends CommonDefinition {
  type: 'simulated';
  seed: number;
  latencyMs: number;
  jitterMs: number;
  /** The share of the feed's book this venue shows. */
  liquidityScale: Decimal;
}

export interface FixVenueDefinition extends CommonDefinition {
  type: 'fix';
  host: string;
  port: number;
  beginString: FixVersion;
  senderCompId: string;
  targetCompId: string;
  heartbeatSeconds: number;
  /** The venue answers OrderMassStatusRequest (FIX 4.4): reconciliation lists its open orders. */
  massStatus: boolean;
}

/** The demo's two venues (what `npm start` runs without OMS_VENUES). */
export const DEMO_VENUES: VenueDefinition[] = [
  {
    id: 'SIM-A',
    type: 'simulated',
    ...commonDefaults(),
    fees: { maker: Decimal.parse('0.0002'), taker: Decimal.parse('0.0005') },
    rateLimit: 50,
    seed: 1,
    latencyMs: 2,
    jitterMs: 3,
    liquidityScale: Decimal.ONE,
  },
  {
    id: 'SIM-B',
    type: 'simulated',
    ...commonDefaults(),
    fees: { maker: Decimal.ZERO, taker: Decimal.parse('0.0003') },
    rateLimit: 20,
    seed: 2,
    latencyMs: 8,
    jitterMs: 10,
    liquidityScale: Decimal.parse('0.25'),
  },
];

function commonDefaults(): Omit<CommonDefinition, 'id'> {
  return {
    rateLimit: 50,
    fees: { maker: Decimal.ZERO, taker: Decimal.ZERO },
    symbols: { BTCUSDT: 'BTCUSDT' },
    tickSize: Decimal.parse('0.01'),
    lotSize: Decimal.parse('0.001'),
    orderTypes: [...VENUE_ORDER_TYPES],
    timesInForce: [...TIMES_IN_FORCE],
    // The simulated venue works both; a FIX venue says so in its configuration.
    postOnly: true,
    iceberg: true,
  };
}

// --- the file --------------------------------------------------------------------------------

@ValidatorConstraint({ name: 'decimalText' })
class DecimalText implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && Decimal.isValid(value) && !Decimal.parse(value).isNegative();
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a decimal ≥ 0 written as a string (e.g. "0.0005"), not ${JSON.stringify(args.value)}`;
  }
}

@ValidatorConstraint({ name: 'positiveDecimalText' })
class PositiveDecimalText implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && Decimal.isValid(value) && Decimal.parse(value).isPositive();
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a decimal > 0 written as a string, not ${JSON.stringify(args.value)}`;
  }
}

@ValidatorConstraint({ name: 'symbolMap' })
class SymbolMap implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      Object.keys(value).length > 0 &&
      Object.entries(value).every(
        ([instrument, symbol]) =>
          /^[A-Za-z0-9_.:]{1,32}$/.test(instrument) &&
          typeof symbol === 'string' &&
          /^[\x21-\x7e]{1,64}$/.test(symbol),
      )
    );
  }
  defaultMessage(): string {
    return 'symbols must map OMS instrument ids to the venue’s symbols, e.g. { BTCUSDT: "BTC/USDT" }';
  }
}

class SupportsInput {
  @IsOptional()
  @IsArray()
  @IsIn(DECLARABLE_ORDER_TYPES, {
    each: true,
    message:
      `orderTypes may hold ${DECLARABLE_ORDER_TYPES.join(', ')}: with STOP_LIMIT the venue holds STOP and ` +
      `STOP_LIMIT orders itself (both go as stop-limits); the OMS holds every other stop and if-touched order`,
  })
  orderTypes?: string[];

  @IsOptional()
  @IsArray()
  @IsIn(TIMES_IN_FORCE, { each: true, message: `timesInForce may hold ${TIMES_IN_FORCE.join(', ')}` })
  timesInForce?: string[];

  /** FIX 4.4 venues only: the venue answers OrderMassStatusRequest. */
  @IsOptional() @IsBoolean() massStatus?: boolean;

  /** Post-only limit orders (FIX ExecInst 6) and iceberg orders (MaxFloor); a FIX venue's default: no. */
  @IsOptional() @IsBoolean() postOnly?: boolean;
  @IsOptional() @IsBoolean() iceberg?: boolean;
}

class FeesInput {
  @IsOptional() @Validate(DecimalText) maker?: string;
  @IsOptional() @Validate(DecimalText) taker?: string;
}

const COMP_ID = /^[\x21-\x7e]{1,64}$/;

class VenueInput {
  @Matches(VENUE_ID, { message: 'id must be 1–32 letters, digits, `_`, `.` or `-`' })
  id!: string;

  @IsIn(VENUE_TYPES, { message: `type must be one of ${VENUE_TYPES.join(', ')}` })
  type!: string;

  @IsOptional() @IsInt() @Min(1) @Max(100_000) rateLimit?: number;
  @IsOptional() @ValidateNested() @Type(() => FeesInput) fees?: FeesInput;
  @IsOptional() @Validate(SymbolMap) symbols?: Record<string, string>;
  @IsOptional() @Validate(PositiveDecimalText) tickSize?: string;
  @IsOptional() @Validate(PositiveDecimalText) lotSize?: string;

  @IsOptional() @ValidateNested() @Type(() => SupportsInput) supports?: SupportsInput;

  // simulated
  @IsOptional() @IsInt() @Min(0) seed?: number;
  @IsOptional() @IsInt() @Min(0) @Max(60_000) latencyMs?: number;
  @IsOptional() @IsInt() @Min(0) @Max(60_000) jitterMs?: number;
  @IsOptional() @Validate(PositiveDecimalText) liquidityScale?: string;

  // fix
  @IsOptional() @IsString() @Length(1, 253) host?: string;
  @IsOptional() @IsInt() @Min(1) @Max(65_535) port?: number;
  @IsOptional()
  @IsIn(FIX_VERSIONS, { message: `beginString must be one of ${FIX_VERSIONS.join(', ')}` })
  beginString?: string;
  @IsOptional()
  @Matches(COMP_ID, { message: 'senderCompId must be 1–64 printable characters' })
  senderCompId?: string;
  @IsOptional()
  @Matches(COMP_ID, { message: 'targetCompId must be 1–64 printable characters' })
  targetCompId?: string;
  @IsOptional() @IsInt() @Min(1) @Max(300) heartbeatSeconds?: number;
}

class VenuesFile {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => VenueInput)
  venues!: VenueInput[];
}

const SIMULATED_ONLY = ['seed', 'latencyMs', 'jitterMs', 'liquidityScale'] as const;
const FIX_ONLY = ['host', 'port', 'beginString', 'senderCompId', 'targetCompId', 'heartbeatSeconds'] as const;

/** A venues file that cannot be used: the message names the file, the entry and the field. */
export class VenueConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VenueConfigError';
  }
}

function problemsOf(errors: ValidationError[], path: string, entries: unknown[]): string[] {
  return errors.flatMap((error) => {
    const index = Number(error.property);
    const here =
      path === 'venues' && Number.isInteger(index)
        ? `venues[${index}]${idOf(entries[index])}`
        : path
          ? `${path}.${error.property}`
          : error.property;
    // One sentence per field: the first check written on it (class-validator lists them last first).
    const own = Object.values(error.constraints ?? {})
      .slice(-1)
      .map((message) =>
        message.startsWith(`${error.property} `) || message.startsWith('property ')
          ? `${path || ''}${path ? ': ' : ''}${message}`
          : `${here}: ${message}`,
      );
    return [...own, ...problemsOf(error.children ?? [], here, entries)];
  });
}

function idOf(entry: unknown): string {
  const id = (entry as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? ` (${id})` : '';
}

/** Reads and checks a venues file; throws VenueConfigError with every problem, in sentences. */
export function readVenueConfig(file: string): VenueDefinition[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new VenueConfigError(`OMS_VENUES=${file} is not a file this process can read.`);
  }
  let parsed: unknown;
  try {
    parsed = ['.yaml', '.yml'].includes(extname(file).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new VenueConfigError(
      `OMS_VENUES=${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return parseVenueConfig(parsed, `OMS_VENUES=${file}`);
}

/** Checks venue entries (`{ venues: [...] }` or the list itself) and fills in the defaults. */
export function parseVenueConfig(parsed: unknown, source: string): VenueDefinition[] {
  const entries = Array.isArray(parsed) ? parsed : (parsed as { venues?: unknown } | null)?.venues;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new VenueConfigError(`${source}: expected a non-empty list of venues (or { venues: [...] }).`);
  }
  const input = plainToInstance(VenuesFile, { venues: entries });
  const problems = problemsOf(
    validateSync(input, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }),
    '',
    entries,
  );
  entries.forEach((entry: Record<string, unknown>, i) => {
    const where = `venues[${i}]${idOf(entry)}`;
    const foreign = entry?.type === 'fix' ? SIMULATED_ONLY : entry?.type === 'simulated' ? FIX_ONLY : [];
    for (const key of foreign) {
      if (key in entry) problems.push(`${where}: ${key} is not a setting of ${entry.type} venues`);
    }
    const massStatus = (entry?.supports as { massStatus?: unknown } | undefined)?.massStatus;
    if (massStatus === true && entry?.type !== 'fix')
      problems.push(
        `${where}: supports.massStatus is a setting of FIX venues (a simulated venue lists its orders itself)`,
      );
    else if (massStatus === true && (entry?.beginString ?? 'FIX.4.4') !== 'FIX.4.4')
      problems.push(`${where}: supports.massStatus needs FIX.4.4 (FIX 4.2 has no OrderMassStatusRequest)`);
  });
  const ids = entries.map((e: { id?: unknown }) => e?.id);
  ids.forEach((id, i) => {
    if (typeof id === 'string' && ids.indexOf(id) !== i)
      problems.push(`venues[${i}]: id ${id} is used twice`);
  });
  if (problems.length > 0) throw new VenueConfigError(`${source}: ${problems.join('; ')}.`);
  return input.venues.map(definitionOf);
}

function definitionOf(v: VenueInput): VenueDefinition {
  const defaults = commonDefaults();
  const common: CommonDefinition = {
    id: v.id,
    rateLimit: v.rateLimit ?? defaults.rateLimit,
    fees: {
      maker: v.fees?.maker ? Decimal.parse(v.fees.maker) : defaults.fees.maker,
      taker: v.fees?.taker ? Decimal.parse(v.fees.taker) : defaults.fees.taker,
    },
    symbols: v.symbols ?? defaults.symbols,
    tickSize: v.tickSize ? Decimal.parse(v.tickSize) : defaults.tickSize,
    lotSize: v.lotSize ? Decimal.parse(v.lotSize) : defaults.lotSize,
    orderTypes: (v.supports?.orderTypes as OrderType[] | undefined) ?? defaults.orderTypes,
    timesInForce: (v.supports?.timesInForce as TimeInForce[] | undefined) ?? defaults.timesInForce,
    postOnly: v.supports?.postOnly ?? v.type === 'simulated',
    iceberg: v.supports?.iceberg ?? v.type === 'simulated',
  };
  if (v.type === 'simulated') {
    return {
      ...common,
      type: 'simulated',
      seed: v.seed ?? 1,
      latencyMs: v.latencyMs ?? 2,
      jitterMs: v.jitterMs ?? 3,
      liquidityScale: v.liquidityScale ? Decimal.parse(v.liquidityScale) : Decimal.ONE,
    };
  }
  return {
    ...common,
    type: 'fix',
    host: v.host ?? '127.0.0.1',
    port: v.port ?? 9878,
    beginString: (v.beginString as FixVersion | undefined) ?? 'FIX.4.4',
    senderCompId: v.senderCompId ?? 'OMS',
    targetCompId: v.targetCompId ?? v.id,
    heartbeatSeconds: v.heartbeatSeconds ?? 30,
    massStatus: v.supports?.massStatus ?? false,
  };
}

// --- the venues --------------------------------------------------------------------------------

export interface VenueEnvironment {
  clock: Clock;
  /** The data directory: FIX sessions keep their sequence numbers and journals under `fix/<id>`. */
  dataDir: string;
  /** A tardis CSV file the simulated venues replay (looped); null: the synthetic BTCUSDT feed. */
  marketDataFile: string | null;
  logger: Logger;
  /** Crash tests only: faults injected into every FIX session. */
  fixFaults?: FixFaults;
}

function capabilitiesOf(v: VenueDefinition): VenueCapabilities {
  return {
    venueId: v.id,
    orderTypes: v.orderTypes,
    timesInForce: v.timesInForce,
    instruments: Object.fromEntries(
      Object.entries(v.symbols).map(([instrumentId, symbol]) => [
        instrumentId,
        { symbol, tickSize: v.tickSize, lotSize: v.lotSize },
      ]),
    ),
    rateLimit: { perSecond: v.rateLimit, burst: v.rateLimit },
    fees: v.fees,
    postOnly: v.postOnly,
    iceberg: v.iceberg,
  };
}

/** The venues a definition list describes; the simulated ones replay the demo feed. */
export async function buildVenues(definitions: VenueDefinition[], env: VenueEnvironment): Promise<Venue[]> {
  let feed: (() => Iterable<MarketEvent>) | null = null;
  const demoFeed = async () => {
    if (feed) return feed;
    if (env.marketDataFile) {
      const events: MarketEvent[] = [];
      for await (const event of readTardisFile(env.marketDataFile)) events.push(event);
      feed = () => loopFeed(events);
    } else {
      const startMicros = env.clock.now() * 1000;
      feed = () => syntheticFeed({ seed: 9680, startMicros });
    }
    return feed;
  };
  const venues: Venue[] = [];
  for (const v of definitions) {
    const capabilities = capabilitiesOf(v);
    if (v.type === 'simulated') {
      const events = await demoFeed();
      venues.push(
        new SimulatedVenue({
          capabilities,
          clock: env.clock,
          seed: v.seed,
          latency: { fixedMs: v.latencyMs, jitterMs: v.jitterMs },
          // The demo feed is BTCUSDT's.
          feeds: 'BTCUSDT' in v.symbols ? { BTCUSDT: events() } : {},
          ...(v.liquidityScale.eq(Decimal.ONE) ? {} : { liquidityScale: v.liquidityScale }),
        }),
      );
    } else {
      venues.push(
        new FixVenue({
          venueId: v.id,
          host: v.host,
          port: v.port,
          beginString: v.beginString,
          senderCompId: v.senderCompId,
          targetCompId: v.targetCompId,
          heartbeatSeconds: v.heartbeatSeconds,
          massStatus: v.massStatus,
          storeDirectory: join(env.dataDir, 'fix', v.id),
          instruments: capabilities.instruments,
          orderTypes: v.orderTypes,
          timesInForce: v.timesInForce,
          postOnly: v.postOnly,
          iceberg: v.iceberg,
          rateLimit: capabilities.rateLimit,
          fees: v.fees,
          logger: env.logger,
          faults: env.fixFaults,
        }),
      );
    }
  }
  return venues;
}
