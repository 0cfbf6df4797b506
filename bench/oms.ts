import { DEMO_LIMITS } from '@oms/application';
import { fixedPrices } from '@oms/application/testing/fixed-prices';
import { RiskLimitsData } from '@oms/domain';
import { RunningPostgres, startEmbeddedPostgres } from '@oms/event-store';
import { INestApplication } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { silentLogger } from '@oms/platform';
import { ChildProcess, fork } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createOmsApp } from '../apps/oms/src/oms-app';
import { OmsRuntime, RuntimeOptions } from '../apps/oms/src/oms-runtime';
import { OmsSettings, Role } from '../apps/oms/src/settings';
import { testSettings } from '../apps/oms/test/harness';

/** Limits high enough that every benchmark order is accepted (rejected orders would be cheaper). */
export const BENCH_LIMITS: RiskLimitsData = {
  ...DEMO_LIMITS,
  maxPosition: '1000000000',
  maxOpenNotional: '1000000000000',
  maxOrdersPerWindow: 1_000_000,
};

/**
 * A `placeOrder` request for the load generator: the demo account buys 0.001 BTCUSDT at 9650 (below
 * the market: it rests), a new client order id for every request (`%ID%`).
 */
export const PLACE_ORDER_BODY = JSON.stringify({
  query: `mutation P($input: PlaceOrderInput!) { placeOrder(input: $input) { accepted order { id status } } }`,
  variables: {
    input: {
      accountId: 'demo',
      clientOrderId: '%ID%',
      instrumentId: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.001',
      limitPrice: '9650',
    },
  },
});

/**
 * The OMS on a throw-away embedded PostgreSQL, the demo seeded: `roles` in this process (api,
 * projector and ledger by default, as `npm start` runs them), and `workerRoles`, if any, in a process
 * of their own, as docker compose runs them (the projector beside the API, say).
 */
export async function startBenchOms(
  name: string,
  roles: Role[] = ['api', 'projector', 'ledger'],
  workerRoles: Role[] = [],
  settings: Partial<OmsSettings> = {},
  options: RuntimeOptions = {},
): Promise<{
  server: RunningPostgres;
  /** The embedded server's data directory (its postmaster.pid: CPU accounting). */
  dataDir: string;
  /** The worker process, when there is one. */
  workerPid: number | null;
  runtime: OmsRuntime;
  /** The Nest application (not listening): the CommandBus, and GraphQL with the `api` role. */
  app: INestApplication;
  bus: CommandBus;
  stop(): Promise<void>;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), `oms-bench-${name}-`));
  const server = await startEmbeddedPostgres({ dataDir, persistent: false });
  const runtime = await OmsRuntime.start(
    { ...testSettings(server.connectionString, roles), ...settings },
    silentLogger,
    roles.includes('gateway') ? options : { referencePrices: fixedPrices(), ...options },
  );
  const app = await createOmsApp(runtime);
  await runtime.whenReady();
  await runtime.whenGatewaySettled();
  const worker = workerRoles.length > 0 ? await startWorker(server.connectionString, workerRoles) : null;
  return {
    server,
    dataDir,
    workerPid: worker?.pid ?? null,
    runtime,
    app,
    bus: app.get(CommandBus),
    async stop() {
      if (worker) await stopWorker(worker);
      await app.close();
      await runtime.stop();
      await server.stop();
    },
  };
}

/** The OMS's entry point with the roles given (as a docker compose service), once it has caught up. */
async function startWorker(databaseUrl: string, roles: Role[]): Promise<ChildProcess> {
  const child = fork(join(__dirname, '../apps/oms/src/main.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      OMS_ROLES: roles.join(','),
      OMS_SEED_DEMO: 'false',
      OMS_LOG_FORMAT: 'json',
      PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('caught up and running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker (${roles.join(',')}) exited with ${code}`)));
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
