import { RiskLimitsData } from '@oms/domain';
import { RunningPostgres, startEmbeddedPostgres } from '@oms/event-store';
import { ChildProcess, fork } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DEMO_LIMITS } from '../apps/api/src/runtime/demo-seed';
import { OmsRuntime } from '../apps/api/src/runtime/oms-runtime';
import { fixedPrices } from '../apps/api/test/fixed-prices';
import { Role } from '../apps/api/src/runtime/settings';

/** Limits high enough that every benchmark order is accepted (rejected orders would be cheaper). */
export const BENCH_LIMITS: RiskLimitsData = {
  ...DEMO_LIMITS,
  maxPosition: '1000000000',
  maxOpenNotional: '1000000000000',
  maxOrdersPerWindow: 1_000_000,
};

/**
 * The OMS on a throw-away embedded PostgreSQL, the demo seeded: `roles` in this process (api,
 * projector and ledger by default, as `npm start` runs them), and `workerRoles`, if any, in a process
 * of their own, as docker compose runs them (the projector beside the API, say).
 */
export async function startBenchOms(
  name: string,
  roles: Role[] = ['api', 'projector', 'ledger'],
  workerRoles: Role[] = [],
): Promise<{ server: RunningPostgres; runtime: OmsRuntime; stop(): Promise<void> }> {
  const server = await startEmbeddedPostgres({
    dataDir: mkdtempSync(join(tmpdir(), `oms-bench-${name}-`)),
    persistent: false,
  });
  const runtime = await OmsRuntime.start(
    {
      roles: new Set(roles),
      port: 0,
      dataDir: '',
      databaseUrl: server.connectionString,
      eventStore: 'postgres',
      seedDemo: true,
      marketDataFile: null,
    },
    undefined,
    roles.includes('gateway') ? {} : { referencePrices: fixedPrices() },
  );
  const worker = workerRoles.length > 0 ? await startWorker(server.connectionString, workerRoles) : null;
  return {
    server,
    runtime,
    async stop() {
      if (worker) await stopWorker(worker);
      await runtime.stop();
      await server.stop();
    },
  };
}

/** The projector's own entry point (it runs any roles OMS_ROLES names), started once it has caught up. */
async function startWorker(databaseUrl: string, roles: Role[]): Promise<ChildProcess> {
  const child = fork(join(__dirname, '../apps/projector/src/main.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: { ...process.env, DATABASE_URL: databaseUrl, OMS_ROLES: roles.join(','), PORT: '0' },
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
