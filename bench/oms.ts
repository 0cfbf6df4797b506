import { RiskLimitsData } from '@oms/domain';
import { RunningPostgres, startEmbeddedPostgres } from '@oms/event-store';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DEMO_LIMITS } from '../apps/api/src/runtime/demo-seed';
import { OmsRuntime } from '../apps/api/src/runtime/oms-runtime';

/** Limits high enough that every benchmark order is accepted (rejected orders would be cheaper). */
export const BENCH_LIMITS: RiskLimitsData = {
  ...DEMO_LIMITS,
  maxPosition: '1000000000',
  maxOpenNotional: '1000000000000',
  maxOrdersPerWindow: 1_000_000,
};

/** The OMS (api, projector, ledger) on a throw-away embedded PostgreSQL, the demo seeded. */
export async function startBenchOms(name: string): Promise<{ server: RunningPostgres; runtime: OmsRuntime }> {
  const server = await startEmbeddedPostgres({
    dataDir: mkdtempSync(join(tmpdir(), `oms-bench-${name}-`)),
    persistent: false,
  });
  const runtime = await OmsRuntime.start({
    roles: new Set(['api', 'projector', 'ledger'] as const),
    port: 0,
    dataDir: '',
    databaseUrl: server.connectionString,
    eventStore: 'postgres',
    seedDemo: true,
    marketDataFile: null,
  });
  return { server, runtime };
}
