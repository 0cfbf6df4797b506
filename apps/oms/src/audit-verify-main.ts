import 'reflect-metadata';
import { EventStore, auditChainOf, createEventStore, startEmbeddedPostgres } from '@oms/event-store';
import { runMigrations } from '@oms/migrations';
import { SingleBar } from 'cli-progress';
import { runCli } from './cli';
import { SettingsError, loadSettings } from './settings';

/**
 * `npm run audit:verify`: recomputes the hash chain over the event log (the same EVENT_STORE and
 * DATABASE_URL, OMS_DATA_DIR or KURRENTDB_CONNECTION_STRING as the OMS, running or not) and says where it first breaks and how:
 * altered, deleted, inserted or reordered. Prints the head to keep as an anchor. Exit code 1 when broken.
 */
async function main(): Promise<void> {
  const settings = loadSettings(process.env);
  if (settings.eventStore === 'memory') {
    throw new SettingsError('EVENT_STORE=memory keeps no log between runs: there is nothing to verify');
  }
  const postgres = settings.eventStore === 'postgres';
  const embedded =
    postgres && !settings.databaseUrl ? await startEmbeddedPostgres({ dataDir: settings.dataDir }) : null;
  const databaseUrl = settings.databaseUrl ?? embedded?.connectionString ?? '';
  let store: EventStore | null = null;
  try {
    if (postgres) await runMigrations(databaseUrl);
    store = await createEventStore(
      {
        EVENT_STORE: settings.eventStore,
        KURRENTDB_CONNECTION_STRING: settings.eventStoreConnectionString ?? undefined,
      },
      databaseUrl,
    );
    const bar = new SingleBar({
      format: 'verifying the audit chain [{bar}] {value}/{total} events',
      noTTYOutput: true,
      notTTYSchedule: 2_000,
    });
    bar.start(1, 0);
    const result = await auditChainOf(store).verify(
      anchorArgument(process.argv.slice(2)),
      (checked, total) => {
        bar.setTotal(total);
        bar.update(checked);
      },
    );
    bar.stop();
    if (result.ok) {
      console.log(
        `audit chain intact: ${result.checked} events; head ${result.head?.position ?? '(empty)'}; anchor ${result.head?.count ?? 0}:${result.head?.hash ?? ''}`,
      );
    } else {
      console.log(
        `audit chain BROKEN at ${result.problem?.position}: ${result.problem?.kind} — ${result.problem?.detail}`,
      );
      process.exitCode = 1;
    }
  } finally {
    await store?.close();
    await embedded?.stop();
  }
}

/** `--anchor <count>:<hash>`: the head kept elsewhere from an earlier run; a rewritten chain will not match it. */
function anchorArgument(args: string[]): { count: number; hash: string } | null {
  const i = args.indexOf('--anchor');
  if (i < 0) return null;
  const match = /^(\d+):([0-9a-f]{64})$/.exec(args[i + 1] ?? '');
  if (!match) throw new SettingsError('--anchor takes <count>:<hash>, as an earlier run printed them');
  return { count: Number(match[1]), hash: match[2] };
}

runCli(main);
