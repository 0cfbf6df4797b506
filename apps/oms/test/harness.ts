import { fixedPrices } from '@oms/application/testing/fixed-prices';
import { TestDatabase, createTestDatabase } from '@oms/event-store/testing/test-database';
import { INestApplication } from '@nestjs/common';
import { silentLogger } from '@oms/platform';
import { Client } from 'pg';
import { randomBytes } from 'crypto';
import { DemoCredentials } from '../src/credentials';
import { waitFor } from '../../../test/wait-for';
import { createOmsApp } from '../src/oms-app';
import { OmsRuntime, RuntimeOptions } from '../src/oms-runtime';
import { OmsSettings, Role } from '../src/settings';
import { DEMO_VENUES } from '@oms/gateway';

/** The demo's keys by role, and the bootstrap ADMIN key. */
export type Keys = DemoCredentials & { bootstrapAdmin: string };
export type KeyRole = keyof Keys;

export interface RunningOms {
  runtime: OmsRuntime;
  app: INestApplication;
  url: string;
  keys: Keys;
  /** The Authorization header of one of the demo's roles. */
  as(role: KeyRole): Record<string, string>;
  /** A GraphQL request, as the demo trader unless the headers carry another authorization. */
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

/** The ADMIN key every test OMS is started with (OMS_ADMIN_KEY). */
export const TEST_ADMIN_KEY = randomBytes(32).toString('base64url');

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
    venues: DEMO_VENUES,
    logLevel: 'silent',
    prettyLogs: false,
    adminKey: TEST_ADMIN_KEY,
    // Tests that are not about the rate limit are not slowed by it.
    requestsPerSecond: 1_000_000,
    responseBudget: 250_000,
    marketDataRate: 10,
    // Most tests run without a gateway, so nothing they accept is ever routed: no intake limit for them.
    intakeLimit: null,
    intakeMaxWaitMs: 500,
    jwt: null,
  };
}

/** A real OMS over HTTP on a fresh, migrated database (seeded with the demo account and BTCUSDT). */
export async function startOms(
  database?: TestDatabase,
  roles: Role[] = ['api', 'projector', 'ledger'],
  // Without a gateway there is no market: risk gets a fixed BTCUSDT price unless told otherwise.
  options: RuntimeOptions = roles.includes('gateway') ? {} : { referencePrices: fixedPrices() },
  settings: Partial<OmsSettings> = {},
): Promise<RunningOms & { database: TestDatabase }> {
  const db = database ?? (await createTestDatabase());
  const runtime = await OmsRuntime.start(
    { ...testSettings(db.connectionString, roles), ...settings },
    silentLogger,
    options,
  );
  const app = await createOmsApp(runtime);
  await app.listen(0, '127.0.0.1');
  await runtime.whenReady();
  if (!options.venues) await runtime.whenGatewaySettled(); // a test with its own venues decides
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const demo = runtime.credentials?.demo;
  const keys: Keys = {
    ...(demo ?? { trader: '', riskOfficer: '', auditor: '', admin: '' }),
    bootstrapAdmin: TEST_ADMIN_KEY,
  };
  const as = (role: KeyRole) => ({ authorization: `Bearer ${keys[role]}` });
  return {
    database: db,
    runtime,
    app,
    url,
    keys,
    as,
    async gql(query, variables, headers) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...as('trader'), ...(headers ?? {}) },
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

/**
 * A principal made through the API as the demo admin: its roles, the accounts granted to it, and its
 * key (the Authorization header to send).
 */
export async function principalWithKey(
  oms: RunningOms,
  principalId: string,
  roles: string[],
  accounts: string[] = [],
): Promise<Record<string, string>> {
  const grants = accounts
    .map(
      (a, i) =>
        `g${i}: grantAccount(principalId: "${principalId}", accountId: "${a}", reason: "test desk") { principalId }`,
    )
    .join(' ');
  const made = await oms.gql<{ issueApiKey: { key: string } }>(
    `mutation { createPrincipal(input: { principalId: "${principalId}", name: "${principalId}", roles: [${roles.join(', ')}] }) { principalId }
      ${grants}
      issueApiKey(principalId: "${principalId}", label: "test") { key } }`,
    undefined,
    oms.as('admin'),
  );
  if (!made.data) throw new Error(`could not make principal ${principalId}: ${JSON.stringify(made.errors)}`);
  return { authorization: `Bearer ${made.data.issueApiKey.key}` };
}
