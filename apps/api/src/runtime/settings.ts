import { EventStoreKind, eventStoreKind } from '@oms/event-store';

export const ROLES = ['api', 'projector', 'ledger', 'gateway'] as const;
export type Role = (typeof ROLES)[number];

export interface OmsSettings {
  /** What this process runs: all of it for `npm start`, one part per container in docker compose. */
  roles: ReadonlySet<Role>;
  port: number;
  dataDir: string;
  /** null: start an embedded PostgreSQL in dataDir. */
  databaseUrl: string | null;
  eventStore: EventStoreKind;
  seedDemo: boolean;
  /** A tardis CSV file the simulated venues replay (looped); null: the synthetic BTCUSDT feed. */
  marketDataFile: string | null;
}

export class SettingsError extends Error {}

/** Reads and checks the environment once at start-up; a bad setting stops the process with its name. */
export function loadSettings(env: NodeJS.ProcessEnv): OmsSettings {
  const port = Number(env.PORT ?? '4000');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new SettingsError(`PORT=${JSON.stringify(env.PORT)} is not a TCP port (0–65535).`);
  }
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new SettingsError('DATABASE_URL must be a postgres:// connection string.');
  }
  const seed = (env.OMS_SEED_DEMO ?? 'true').toLowerCase();
  if (!['true', 'false'].includes(seed)) throw new SettingsError('OMS_SEED_DEMO must be true or false.');
  const roles = (env.OMS_ROLES ?? ROLES.join(','))
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (roles.length === 0 || unknown.length > 0) {
    throw new SettingsError(
      `OMS_ROLES=${JSON.stringify(env.OMS_ROLES)} must list some of ${ROLES.join(', ')}.`,
    );
  }
  return {
    roles: new Set(roles as Role[]),
    port,
    dataDir: env.OMS_DATA_DIR?.trim() || './.oms-data',
    databaseUrl,
    eventStore: eventStoreKind(env),
    seedDemo: seed === 'true',
    marketDataFile: env.OMS_MARKET_DATA?.trim() || null,
  };
}
