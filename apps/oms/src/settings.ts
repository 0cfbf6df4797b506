import { EventStoreConfigError, EventStoreKind, eventStoreKind } from '@oms/event-store';
import { LOG_LEVELS, LogLevel } from '@oms/platform';
import { isConfigurableKey } from '@oms/application';
import { JwtSettings } from '@oms/api';
import { DEMO_VENUES, VenueConfigError, VenueDefinition, readVenueConfig } from '@oms/gateway';
import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  validateSync,
} from 'class-validator';
import { accessSync, constants, statSync } from 'fs';

export const ROLES = ['api', 'projector', 'ledger', 'gateway'] as const;
export type Role = (typeof ROLES)[number];

export interface OmsSettings {
  /** What this process runs: all of it for `npm start`, one part per container in docker compose. */
  roles: ReadonlySet<Role>;
  port: number;
  /** The interface to listen on. */
  host: string;
  /** Browser origins besides the API's own that may open subscriptions. */
  allowedOrigins: string[];
  /** Host names the server answers to besides its loopback names (DNS rebinding); empty: any, off loopback. */
  allowedHosts: string[];
  dataDir: string;
  /** null: start an embedded PostgreSQL in dataDir. */
  databaseUrl: string | null;
  eventStore: EventStoreKind;
  eventStoreConnectionString: string | null;
  seedDemo: boolean;
  /** A tardis CSV file the simulated venues replay (looped); null: the synthetic BTCUSDT feed. */
  marketDataFile: string | null;
  /** The venues the gateway trades on (OMS_VENUES, a JSON or YAML file); the two demo venues without it. */
  venues: VenueDefinition[];
  logLevel: LogLevel;
  /** Human-readable log lines; null: when stdout is a terminal. */
  prettyLogs: boolean | null;
  /** The ADMIN key set by configuration; null: one is generated into the data directory once. */
  adminKey: string | null;
  /** Requests per second one principal may make on one instance. */
  requestsPerSecond: number;
  /** Values one GraphQL response may hold. */
  responseBudget: number;
  /** Updates per second one market-data subscription may receive at most (each the latest state). */
  marketDataRate: number;
  /**
   * Orders one API process may have accepted and not yet routed; past it, OVERLOADED. Null: no intake
   * limit at all (tests and benchmarks of the command side alone; never from the environment).
   */
  intakeLimit: number | null;
  /** How long the oldest of them may have waited; past it, OVERLOADED. */
  intakeMaxWaitMs: number;
  /** Tokens from the firm's identity provider (OMS_JWT_*); null: API keys only. */
  jwt: JwtSettings | null;
}

/** A setting that stops start-up: the message names it and says what is wrong, in one sentence. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

const shown = (args: ValidationArguments) => `${args.property}=${JSON.stringify(args.value)}`;

@ValidatorConstraint({ name: 'tcpPort' })
class TcpPort implements ValidatorConstraintInterface {
  validate(value: string): boolean {
    return /^\d{1,5}$/.test(value) && Number(value) <= 65_535;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${shown(args)} is not a TCP port (0–65535).`;
  }
}

@ValidatorConstraint({ name: 'roles' })
class RoleList implements ValidatorConstraintInterface {
  validate(value: string): boolean {
    const roles = value
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    return roles.length > 0 && roles.every((r) => (ROLES as readonly string[]).includes(r));
  }

  defaultMessage(args: ValidationArguments): string {
    return `${shown(args)} must list some of ${ROLES.join(', ')}, separated by commas.`;
  }
}

@ValidatorConstraint({ name: 'readableFile' })
class ReadableFile implements ValidatorConstraintInterface {
  validate(value: string): boolean {
    try {
      accessSync(value, constants.R_OK);
      return statSync(value).isFile();
    } catch {
      return false;
    }
  }

  defaultMessage(args: ValidationArguments): string {
    return `${shown(args)} is not a file this process can read (a tardis CSV file, gzipped or not).`;
  }
}

@ValidatorConstraint({ name: 'configurableKey' })
class ConfigurableKey implements ValidatorConstraintInterface {
  validate(value: string): boolean {
    return isConfigurableKey(value);
  }

  // The value is a secret: the message never shows it.
  defaultMessage(): string {
    return 'OMS_ADMIN_KEY must be 32–256 printable characters without spaces (e.g. `openssl rand -base64 32`), neither a key this OMS issued nor shaped like a JWT.';
  }
}

/** The environment as it arrives: every value a string, checked here once. */
class Environment {
  @IsOptional()
  @Validate(TcpPort)
  PORT?: string;

  @IsOptional()
  @Matches(/^[\w.:-]+$/, { message: (a) => `${shown(a)} is not a host name or IP address to listen on.` })
  HOST?: string;

  @IsOptional()
  @Matches(/^(https?:\/\/[\w.:-]+)(,\s*https?:\/\/[\w.:-]+)*$/, {
    message: (a) => `${shown(a)} is not a comma-separated list of origins such as https://desk.example.com.`,
  })
  OMS_ALLOWED_ORIGINS?: string;

  @IsOptional()
  @Matches(/^[\w.:[\]-]+(,\s*[\w.:[\]-]+)*$/, {
    message: (a) => `${shown(a)} is not a comma-separated list of host names such as oms.example.com.`,
  })
  OMS_ALLOWED_HOSTS?: string;

  @IsOptional()
  OMS_DATA_DIR?: string;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: (a) => `${shown(a)} must be a postgres:// connection string.` })
  DATABASE_URL?: string;

  /** Checked by `eventStoreKind` (with its connection string, and the names before KurrentDB). */
  @IsOptional()
  EVENT_STORE?: string;

  @IsOptional()
  KURRENTDB_CONNECTION_STRING?: string;

  @IsOptional()
  EVENTSTORE_CONNECTION_STRING?: string;

  @IsOptional()
  @Validate(RoleList)
  OMS_ROLES?: string;

  @IsOptional()
  @IsIn(['true', 'false'], { message: (a) => `${shown(a)} must be true or false.` })
  OMS_SEED_DEMO?: string;

  @IsOptional()
  @Validate(ReadableFile)
  OMS_MARKET_DATA?: string;

  /** Read and checked in full by readVenueConfig (its sentences name the entry and the field). */
  @IsOptional()
  @IsString()
  OMS_VENUES?: string;

  @IsOptional()
  @IsIn(LOG_LEVELS, { message: (a) => `${shown(a)} must be one of ${LOG_LEVELS.join(', ')}.` })
  OMS_LOG_LEVEL?: string;

  @IsOptional()
  @Validate(ConfigurableKey)
  OMS_ADMIN_KEY?: string;

  @IsOptional()
  @Matches(/^[1-9]\d{0,5}$/, {
    message: (a) => `${shown(a)} must be a whole number of requests a second (1–999999).`,
  })
  OMS_RATE_LIMIT?: string;

  @IsOptional()
  @Matches(/^[1-9]\d{3,7}$/, {
    message: (a) => `${shown(a)} must be a whole number of values (1000–99999999).`,
  })
  OMS_RESPONSE_BUDGET?: string;

  @IsOptional()
  @Matches(/^[1-9]\d{0,2}$/, {
    message: (a) => `${shown(a)} must be a whole number of updates a second (1–999).`,
  })
  OMS_MARKET_DATA_RATE?: string;

  @IsOptional()
  @Matches(/^[1-9]\d{0,5}$/, {
    message: (a) => `${shown(a)} must be a whole number of orders (1–999999).`,
  })
  OMS_INTAKE_LIMIT?: string;

  @IsOptional()
  @Matches(/^[1-9]\d{1,5}$/, {
    message: (a) => `${shown(a)} must be a whole number of milliseconds (10–999999).`,
  })
  OMS_INTAKE_MAX_WAIT_MS?: string;

  @IsOptional()
  @Length(1, 500)
  OMS_JWT_ISSUER?: string;

  @IsOptional()
  @Length(1, 500)
  OMS_JWT_AUDIENCE?: string;

  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: (a) => `${shown(a)} is not an http(s) URL of a JWKS.` })
  OMS_JWT_JWKS_URI?: string;

  @IsOptional()
  @Length(32, 1024, { message: 'OMS_JWT_SECRET must be at least 32 characters.' })
  OMS_JWT_SECRET?: string;

  @IsOptional()
  @Matches(/^(HS|RS|ES|PS)(256|384|512)(,\s*(HS|RS|ES|PS)(256|384|512))*$/, {
    message: (a) => `${shown(a)} must list JWS algorithms such as RS256,ES256.`,
  })
  OMS_JWT_ALGORITHMS?: string;

  @IsOptional()
  @Matches(/^[\w:./-]{1,100}$/, { message: (a) => `${shown(a)} is not a claim name.` })
  OMS_JWT_PRINCIPAL_CLAIM?: string;

  @IsOptional()
  @IsIn(['json', 'pretty'], { message: (a) => `${shown(a)} must be json or pretty.` })
  OMS_LOG_FORMAT?: string;
}

/** Reads and checks the environment once at start-up; a bad setting stops the process with its name. */
export function loadSettings(env: NodeJS.ProcessEnv): OmsSettings {
  // Empty values count as unset; only the OMS's own settings are read.
  const given: Record<string, string> = {};
  for (const key of Object.keys(env)) {
    const value = env[key]?.trim();
    if (value) given[key] = value;
  }
  const environment = plainToInstance(Environment, given);
  const problems = validateSync(environment).flatMap((e) => Object.values(e.constraints ?? {}));
  if (problems.length > 0) throw new SettingsError(problems.join(' '));
  const e = environment;
  let eventStore: EventStoreKind;
  try {
    eventStore = eventStoreKind(given);
  } catch (error) {
    if (error instanceof EventStoreConfigError) throw new SettingsError(error.message);
    throw error;
  }
  return {
    roles: new Set(
      (e.OMS_ROLES ?? ROLES.join(','))
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean) as Role[],
    ),
    port: Number(e.PORT ?? '4000'),
    host: e.HOST ?? '127.0.0.1',
    allowedHosts: (e.OMS_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    allowedOrigins: (e.OMS_ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    dataDir: e.OMS_DATA_DIR ?? './.oms-data',
    databaseUrl: e.DATABASE_URL ?? null,
    eventStore,
    eventStoreConnectionString: e.KURRENTDB_CONNECTION_STRING ?? null,
    seedDemo: (e.OMS_SEED_DEMO ?? 'true') === 'true',
    marketDataFile: e.OMS_MARKET_DATA ?? null,
    venues: e.OMS_VENUES ? venuesFrom(e.OMS_VENUES) : DEMO_VENUES,
    logLevel: (e.OMS_LOG_LEVEL ?? 'info') as LogLevel,
    prettyLogs: e.OMS_LOG_FORMAT === undefined ? null : e.OMS_LOG_FORMAT === 'pretty',
    adminKey: e.OMS_ADMIN_KEY ?? null,
    requestsPerSecond: Number(e.OMS_RATE_LIMIT ?? '1000'),
    responseBudget: Number(e.OMS_RESPONSE_BUDGET ?? '250000'),
    marketDataRate: Number(e.OMS_MARKET_DATA_RATE ?? '10'),
    intakeLimit: Number(e.OMS_INTAKE_LIMIT ?? '500'),
    intakeMaxWaitMs: Number(e.OMS_INTAKE_MAX_WAIT_MS ?? '500'),
    jwt: jwtSettings(e),
  };
}

function venuesFrom(file: string): VenueDefinition[] {
  try {
    return readVenueConfig(file);
  } catch (error) {
    if (error instanceof VenueConfigError) throw new SettingsError(error.message);
    throw error;
  }
}

/** JWTs are accepted when an issuer is configured: with its audience, and its JWKS or a shared secret. */
function jwtSettings(e: Environment): JwtSettings | null {
  const given = [e.OMS_JWT_ISSUER, e.OMS_JWT_AUDIENCE, e.OMS_JWT_JWKS_URI, e.OMS_JWT_SECRET];
  if (given.every((v) => v === undefined)) return null;
  if (!e.OMS_JWT_ISSUER || !e.OMS_JWT_AUDIENCE) {
    throw new SettingsError('JWTs need both OMS_JWT_ISSUER and OMS_JWT_AUDIENCE.');
  }
  if (!e.OMS_JWT_JWKS_URI === !e.OMS_JWT_SECRET) {
    throw new SettingsError(
      'JWTs need one of OMS_JWT_JWKS_URI (the provider’s keys) or OMS_JWT_SECRET (HS256).',
    );
  }
  return {
    issuer: e.OMS_JWT_ISSUER,
    audience: e.OMS_JWT_AUDIENCE,
    jwksUri: e.OMS_JWT_JWKS_URI ?? null,
    secret: e.OMS_JWT_SECRET ?? null,
    algorithms: (e.OMS_JWT_ALGORITHMS ?? (e.OMS_JWT_JWKS_URI ? 'RS256' : 'HS256'))
      .split(',')
      .map((a) => a.trim()),
    principalClaim: e.OMS_JWT_PRINCIPAL_CLAIM ?? 'sub',
  };
}
