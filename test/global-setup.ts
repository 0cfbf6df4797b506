import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync } from 'fs';
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
  buildQuickFix();
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

/**
 * The FIX interop suites' counterparties (QuickFIX's executor and ordermatch), built once into
 * dist/quickfix when QuickFIX is installed and they are not there yet. Without QuickFIX those suites
 * say NOT RUN and why (in CI they fail: .ci/run installs it).
 */
function buildQuickFix(): void {
  const root = join(__dirname, '..');
  const built = ['executor', 'ordermatch'].every((app) => existsSync(join(root, 'dist', 'quickfix', app)));
  if (built || !existsSync('/usr/include/quickfix/Application.h')) return;
  const result = spawnSync('bash', [join(root, 'scripts', 'build-quickfix.sh')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('scripts/build-quickfix.sh failed (see above)');
}
