import 'reflect-metadata';
import { createEventStore, positionKey, startEmbeddedPostgres } from '@oms/event-store';
import { runMigrations } from '@oms/migrations';
import { createLogger, systemClock } from '@oms/platform';
import { ReadModelRebuild } from '@oms/projector';
import { SingleBar } from 'cli-progress';
import { runCli } from './cli';
import { loadSettings } from './settings';

/**
 * `npm run rebuild`: replays the whole log into fresh read-model tables and switches them in, while
 * the OMS keeps running (same DATABASE_URL, or the embedded server of OMS_DATA_DIR). Shows progress.
 */
async function main(): Promise<void> {
  const settings = loadSettings(process.env);
  const logger = createLogger({
    level: settings.logLevel === 'info' ? 'warn' : settings.logLevel,
    pretty: settings.prettyLogs ?? undefined,
  });
  const embedded = settings.databaseUrl ? null : await startEmbeddedPostgres({ dataDir: settings.dataDir });
  const databaseUrl = settings.databaseUrl ?? (embedded?.connectionString as string);
  const store = await createEventStore(
    {
      EVENT_STORE: settings.eventStore,
      KURRENTDB_CONNECTION_STRING: settings.eventStoreConnectionString ?? undefined,
    },
    databaseUrl,
  );
  try {
    await runMigrations(databaseUrl);
    const bar = new SingleBar({
      format: 'rebuilding read models [{bar}] {percentage}% | {events} events',
      noTTYOutput: true,
      notTTYSchedule: 2_000,
    });
    bar.start(1_000, 0, { events: 0 });
    const rebuild = new ReadModelRebuild(store, databaseUrl, systemClock, logger);
    const result = await rebuild.run(({ events, position, head }) => {
      const share = head.prepare > 0n ? Number((position.prepare * 1_000n) / head.prepare) : 1_000;
      bar.update(Math.min(share, 1_000), { events });
    });
    bar.update(1_000, { events: result.events });
    bar.stop();
    console.log(
      `switched over: ${result.events} events replayed up to ${positionKey(result.position)}; rows: ${Object.entries(
        result.rows,
      )
        .map(([table, count]) => `${table} ${count}`)
        .join(', ')} (switch took ${result.swapAttempts} attempt${result.swapAttempts === 1 ? '' : 's'})`,
    );
  } finally {
    await store.close();
    await embedded?.stop();
  }
}

runCli(main);
