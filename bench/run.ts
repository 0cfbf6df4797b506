import { fork } from 'child_process';
import { BenchFigure, crossSuiteFigures, printTable, writeResults } from './report';

/** Each suite measures one part of the system and returns its figures. */
interface BenchSuite {
  name: string;
  run(): Promise<BenchFigure[]>;
}

const suites: BenchSuite[] = [
  { name: 'pre-trade risk', run: () => import('./risk.bench').then((m) => m.run()) },
  { name: 'event store', run: () => import('./event-store.bench').then((m) => m.run()) },
  { name: 'command path', run: () => import('./api.bench').then((m) => m.run()) },
  { name: 'overload', run: () => import('./overload.bench').then((m) => m.run()) },
  { name: 'matching engine', run: () => import('./matching.bench').then((m) => m.run()) },
  { name: 'execution', run: () => import('./execution.bench').then((m) => m.run()) },
  { name: 'market data', run: () => import('./market-data.bench').then((m) => m.run()) },
  { name: 'audit', run: () => import('./audit.bench').then((m) => m.run()) },
  { name: 'backtest', run: () => import('./backtest.bench').then((m) => m.run()) },
];

/**
 * Each suite in a fresh process of its own: a suite run after another measured the other's heap and
 * leftovers too (the execution suite after the matching engine's 200k orders routed three times slower).
 */
function runInOwnProcess(suite: BenchSuite): Promise<BenchFigure[]> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], {
      // --expose-gc: a suite may measure the heap after a collection (what stays, not what is garbage).
      execArgv: ['--expose-gc', '-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      env: { ...process.env, OMS_BENCH_SUITE: suite.name },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let figures: BenchFigure[] | null = null;
    child.once('message', (message) => (figures = message as BenchFigure[]));
    child.once('error', reject);
    child.once('exit', (code) =>
      figures && code === 0 ? resolve(figures) : reject(new Error(`${suite.name} exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const own = process.env.OMS_BENCH_SUITE;
  if (own) {
    const suite = suites.find((s) => s.name === own) as BenchSuite;
    const figures = await suite.run();
    process.send?.(figures, () => process.exit(0));
    return;
  }
  const only = process.argv.slice(2);
  const figures: BenchFigure[] = [];
  for (const suite of suites) {
    if (only.length > 0 && !only.some((o) => suite.name.includes(o))) continue;
    console.log(`\n▶ ${suite.name}`);
    const started = Date.now();
    const result = await runInOwnProcess(suite);
    printTable(result);
    console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    figures.push(...result);
  }
  figures.push(...crossSuiteFigures(figures));
  console.log('\nAll figures');
  printTable(figures);
  writeResults('bench-results.json', figures);
  console.log('\nwrote bench-results.json');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
