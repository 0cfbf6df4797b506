import 'reflect-metadata';
import {
  BacktestConfig,
  BacktestConfigError,
  BacktestReport,
  RunDescription,
  StrategyLoadError,
  StrategyParamError,
  buildRunReport,
  compareRuns,
  dataStartOf,
  loadStrategy,
  readBacktestConfig,
  timeOf,
  writeReport,
} from '@oms/backtest';
import { PostgresEventStore, startEmbeddedPostgres } from '@oms/event-store';
import { runMigrations } from '@oms/migrations';
import { SingleBar } from 'cli-progress';
import { mkdirSync } from 'fs';
import { basename, join, resolve } from 'path';
import { parseArgs } from 'util';
import { RunProgress, runBacktest } from './backtest/backtest-runner';

const USAGE = `npm run backtest -- --data <file...> --strategy <twap | market-maker | path to .ts/.js>
  [--config <file>] [--seed N] [--from <time>] [--to <time>] [--out <dir>] [--compare <config file>]
  [--store memory|postgres]

  --data      tardis CSV files (trades, quotes, book_snapshot_N, incremental_book_L2; .gz or not)
  --strategy  a built-in strategy, or a module whose default export makes one
  --config    venues, latency/fill/fee models, faults, risk limits, strategy params (JSON or YAML)
  --seed      overrides the config's seed (default 1)
  --from/--to ISO-8601 UTC, or an offset from the data's start (+90s, +2m)
  --out       where report.json, report.html and the charts go (default backtest-report/)
  --compare   a second config run on the same data and seed, side by side in one report
  --store     memory (default), or postgres: the whole log is kept for audit queries afterwards, in
              an embedded PostgreSQL of its own in <out>/oms-data (never DATABASE_URL's)
              (then: OMS_DATA_DIR=<out>/oms-data npm start, and ask the GraphQL API)`;

class UsageError extends Error {}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        data: { type: 'string', multiple: true },
        strategy: { type: 'string' },
        config: { type: 'string' },
        seed: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
        compare: { type: 'string' },
        store: { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = args;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // `--data a.csv b.csv`: the files after the first come as positionals.
  const data = [...(values.data ?? []), ...positionals];
  if (data.length === 0 || !values.strategy) throw new UsageError('--data and --strategy are required.');
  const strategy = await loadStrategy(values.strategy);
  const seed = values.seed === undefined ? null : Number(values.seed);
  if (seed !== null && (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1))
    throw new UsageError(`--seed ${values.seed}: a whole number from 0 to 2147483647.`);

  const configs = [values.config ?? null, ...(values.compare ? [values.compare] : [])].map((file) => {
    const config = readBacktestConfig(file, data.length);
    return { file, config: seed === null ? config : { ...config, seed } };
  });
  // A comparison runs the same data with the same seed.
  if (configs.length > 1) configs[1].config = { ...configs[1].config, seed: configs[0].config.seed };

  const storeKind = values.store ?? 'memory';
  if (storeKind !== 'memory' && storeKind !== 'postgres')
    throw new UsageError(`--store ${storeKind}: memory or postgres.`);
  const out = resolve(values.out ?? 'backtest-report');
  mkdirSync(out, { recursive: true });
  const kept = storeKind === 'postgres' ? await keptLog(out) : null;
  try {
    await backtest(data, strategy, configs, values, out, kept);
  } finally {
    await kept?.close();
  }
}

/**
 * A PostgreSQL event store that outlives the run: an embedded server in <out>/oms-data, the backtest's
 * own. Never DATABASE_URL: a backtest defines instruments and runs a gateway and a ledger over the log,
 * which must not meet a live OMS's.
 */
async function keptLog(out: string): Promise<KeptLog> {
  const dataDir = join(out, 'oms-data');
  const embedded = await startEmbeddedPostgres({ dataDir });
  try {
    await runMigrations(embedded.connectionString);
    const store = new PostgresEventStore({ connectionString: embedded.connectionString });
    const pool = store.connectionPool;
    return {
      store,
      busy: () => pool.totalCount > pool.idleCount || pool.waitingCount > 0,
      where: `embedded PostgreSQL in ${dataDir}`,
      close: async () => {
        await store.close();
        await embedded.stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

interface KeptLog {
  store: PostgresEventStore;
  busy: () => boolean;
  where: string;
  close(): Promise<void>;
}

async function backtest(
  data: string[],
  strategy: Awaited<ReturnType<typeof loadStrategy>>,
  configs: { file: string | null; config: BacktestConfig }[],
  values: { from?: string; to?: string },
  out: string,
  kept: KeptLog | null,
): Promise<void> {
  // Both runs of a comparison replay the same window of the same data.
  const dataStart = await dataStartOf(data);
  const from = values.from ? timeOf(values.from, dataStart) : null;
  const to = values.to ? timeOf(values.to, dataStart) : null;
  if (from !== null && to !== null && to <= from) throw new UsageError('--to must be after --from.');
  const runs = [];
  for (const [i, { file, config }] of configs.entries()) {
    const label =
      configs.length === 1 ? 'backtest' : `${i === 0 ? 'A' : 'B'}: ${file ? basename(file) : 'defaults'}`;
    const startedAt = performance.now();
    const progress = progressBar(label);
    const record = await runBacktest({
      dataFiles: data,
      strategy,
      config,
      from,
      to,
      onProgress: progress.update,
      ...(kept
        ? {
            store: kept,
            // A kept log holds every run: each trades in an account of its own.
            accountId: `backtest_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${i}`,
          }
        : {}),
    }).finally(progress.stop);
    const seconds = (performance.now() - startedAt) / 1000;
    console.log(
      `${label}: ${record.marketEvents} market events in ${seconds.toFixed(1)} s (${Math.round(record.marketEvents / seconds)}/s), ` +
        `${record.events.length} OMS events`,
    );
    const description: RunDescription = {
      label,
      strategy: strategy.name,
      config,
      configSource: file,
      from,
      to,
    };
    runs.push(buildRunReport(description, record));
  }
  const report: BacktestReport = {
    version: 1,
    runs,
    differences: runs.length > 1 ? compareRuns(runs) : null,
  };
  const written = writeReport(report, out);
  for (const r of runs) {
    const s = r.summary;
    console.log(
      `${r.label}: net P&L ${s.netPnl} (fees ${s.fees}), ${s.fills} fills, fill ratio ${s.fillRatio ?? '—'}, ` +
        `rejections ${r.rejections.reduce((n, x) => n + x.count, 0)}, position ${JSON.stringify(s.position)}`,
    );
  }
  console.log(`report: ${out}/report.html (${written.files.join(', ')})`);
  if (kept)
    console.log(
      `the log is kept (${kept.where}), account ${runs.map((r) => r.assumptions.account).join(', ')}`,
    );
}

/** A bar with simulated time, events/s and ETA on a terminal; a plain line every few seconds otherwise. */
function progressBar(label: string): { update: (p: RunProgress) => void; stop: () => void } {
  const started = performance.now();
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${label} |{bar}| {percentage}% | {simulated} | {rate} events/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    });
    bar.start(1000, 0, { simulated: '', rate: 0 });
    return {
      update: (p) =>
        bar.update(Math.round(p.done * 1000), {
          simulated: new Date(p.simulatedAt).toISOString(),
          rate: Math.round(p.events / Math.max(0.001, (performance.now() - started) / 1000)),
        }),
      stop: () => bar.stop(),
    };
  }
  let lastLine = 0;
  return {
    update: (p) => {
      const now = performance.now();
      if (now - lastLine < 5_000 && p.done < 1) return;
      lastLine = now;
      const elapsed = (now - started) / 1000;
      const eta = p.done > 0 ? (elapsed / p.done) * (1 - p.done) : null;
      console.error(
        `${label}: ${(p.done * 100).toFixed(0)}% simulated ${new Date(p.simulatedAt).toISOString()}, ` +
          `${Math.round(p.events / Math.max(0.001, elapsed))} events/s, ETA ${eta === null ? '?' : `${eta.toFixed(0)} s`}`,
      );
    },
    stop: () => undefined,
  };
}

main().catch((error: unknown) => {
  const known =
    error instanceof UsageError ||
    error instanceof BacktestConfigError ||
    error instanceof StrategyLoadError ||
    error instanceof StrategyParamError;
  console.error(known ? (error as Error).message : error);
  if (error instanceof UsageError) console.error(`\n${USAGE}`);
  process.exit(known ? 2 : 1);
});
