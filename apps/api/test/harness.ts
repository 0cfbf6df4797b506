import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../../../libs/event-store/src/testing/test-database';
import { createApiApp } from '../src/app';
import { fixedPrices } from './fixed-prices';
import { OmsRuntime, RuntimeOptions } from '../src/runtime/oms-runtime';
import { Role } from '../src/runtime/settings';

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

/** A real OMS over HTTP on a fresh, migrated database (seeded with the demo account and BTCUSDT). */
export async function startOms(
  database?: TestDatabase,
  roles: Role[] = ['api', 'projector', 'ledger'],
  // Without a gateway there is no market: risk gets a fixed BTCUSDT price unless told otherwise.
  options: RuntimeOptions = roles.includes('gateway') ? {} : { referencePrices: fixedPrices() },
): Promise<RunningOms & { database: TestDatabase }> {
  const db = database ?? (await createTestDatabase());
  const runtime = await OmsRuntime.start(
    {
      roles: new Set(roles),
      port: 0,
      dataDir: '',
      databaseUrl: db.connectionString,
      eventStore: 'postgres',
      seedDemo: true,
      marketDataFile: null,
    },
    undefined,
    options,
  );
  await runtime.whenReady();
  const app = await createApiApp(runtime, { logger: false });
  await app.listen(0, '127.0.0.1');
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

export async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
