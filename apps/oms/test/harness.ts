import { fixedPrices } from '@oms/application/testing/fixed-prices';
import { TestDatabase, createTestDatabase } from '@oms/event-store/testing/test-database';
import { INestApplication } from '@nestjs/common';
import { silentLogger } from '@oms/platform';
import { Client } from 'pg';
import { waitFor } from '../../../test/wait-for';
import { createOmsApp } from '../src/oms-app';
import { OmsRuntime, RuntimeOptions } from '../src/oms-runtime';
import { OmsSettings, Role } from '../src/settings';

export interface RunningOms {
  runtime: OmsRuntime;
  app: INestApplication;
  url: string;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GqlResponse<T>>;
  eventCount(): Promise<number>;
  stop(): Promise<void>;
}

export interface GqlResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** The settings `startOms` runs with: a test database, the demo seeded, nothing else from outside. */
export function testSettings(databaseUrl: string, roles: Role[]): OmsSettings {
  return {
    roles: new Set(roles),
    port: 0,
    host: '127.0.0.1',
    allowedOrigins: [],
    allowedHosts: [],
    dataDir: '',
    databaseUrl,
    eventStore: 'postgres',
    eventStoreConnectionString: null,
    seedDemo: true,
    marketDataFile: null,
    logLevel: 'silent',
    prettyLogs: false,
  };
}

/** A real OMS over HTTP on a fresh, migrated database (seeded with the demo account and BTCUSDT). */
export async function startOms(
  database?: TestDatabase,
  roles: Role[] = ['api', 'projector', 'ledger'],
  // Without a gateway there is no market: risk gets a fixed BTCUSDT price unless told otherwise.
  options: RuntimeOptions = roles.includes('gateway') ? {} : { referencePrices: fixedPrices() },
): Promise<RunningOms & { database: TestDatabase }> {
  const db = database ?? (await createTestDatabase());
  const runtime = await OmsRuntime.start(testSettings(db.connectionString, roles), silentLogger, options);
  const app = await createOmsApp(runtime);
  await app.listen(0, '127.0.0.1');
  await runtime.whenReady();
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    database: db,
    runtime,
    app,
    url,
    async gql(query, variables, headers) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(headers ?? {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GqlResponse<never>;
    },
    async eventCount() {
      const client = new Client({ connectionString: db.connectionString });
      await client.connect();
      const { rows } = await client.query('SELECT count(*)::int AS n FROM es_events');
      await client.end();
      return rows[0].n as number;
    },
    async stop() {
      await app.close();
      await runtime.stop();
    },
  };
}

/** Waits for a condition over HTTP or the log (see test/wait-for.ts), ten seconds at most. */
export function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return waitFor(read, ok, what, timeoutMs);
}
