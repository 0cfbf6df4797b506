import { EventStoreKind, eventStoreKind } from '@oms/event-store';

export interface OmsSettings {
  port: number;
  dataDir: string;
  /** null: start an embedded PostgreSQL in dataDir. */
  databaseUrl: string | null;
  eventStore: EventStoreKind;
  seedDemo: boolean;
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
  return {
    port,
    dataDir: env.OMS_DATA_DIR?.trim() || './.oms-data',
    databaseUrl,
    eventStore: eventStoreKind(env),
    seedDemo: seed === 'true',
  };
}
