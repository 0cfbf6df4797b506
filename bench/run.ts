import { BenchFigure, printTable, writeResults } from './report';

/** Each suite measures one part of the system and returns its figures. */
interface BenchSuite {
  name: string;
  run(): Promise<BenchFigure[]>;
}

const suites: BenchSuite[] = [
  { name: 'pre-trade risk', run: () => import('./risk.bench').then((m) => m.run()) },
  { name: 'event store', run: () => import('./event-store.bench').then((m) => m.run()) },
  { name: 'command path', run: () => import('./api.bench').then((m) => m.run()) },
  { name: 'matching engine', run: () => import('./matching.bench').then((m) => m.run()) },
  { name: 'execution', run: () => import('./execution.bench').then((m) => m.run()) },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const figures: BenchFigure[] = [];
  for (const suite of suites) {
    if (only.length > 0 && !only.some((o) => suite.name.includes(o))) continue;
    console.log(`\n▶ ${suite.name}`);
    const started = Date.now();
    const result = await suite.run();
    printTable(result);
    console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    figures.push(...result);
  }
  console.log('\nAll figures');
  printTable(figures);
  writeResults('bench-results.json', figures);
  console.log('\nwrote bench-results.json');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
