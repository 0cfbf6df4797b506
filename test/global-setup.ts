import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startEmbeddedPostgres } from '../libs/event-store/src/postgres/embedded-postgres';

type Stoppable = { stop(): Promise<void> };

/**
 * One throw-away PostgreSQL server per jest worker (free port, temp dir, removed on stop); each suite
 * creates its own database on its worker's server. Separate servers matter: the event store's
 * visibility horizon is server-wide, so a suite that holds transactions open on purpose must not
 * delay another suite's readers. Runs in plain Node, outside jest's module sandbox, which cannot load
 * the ESM-only embedded-postgres package.
 */
export default async function globalSetup(config: { maxWorkers: number }): Promise<void> {
  if (process.env.OMS_TEST_POSTGRES_URLS) return; // servers given from outside
  const servers = await Promise.all(
    Array.from({ length: Math.max(1, config.maxWorkers) }, () =>
      startEmbeddedPostgres({
        dataDir: mkdtempSync(join(tmpdir(), 'oms-test-pg-')),
        database: 'postgres',
        persistent: false,
      }),
    ),
  );
  process.env.OMS_TEST_POSTGRES_URLS = servers.map((s) => s.connectionString).join(',');
  (globalThis as { omsTestPostgres?: Stoppable[] }).omsTestPostgres = servers;
}
