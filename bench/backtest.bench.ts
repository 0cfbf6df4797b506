import 'reflect-metadata';
import { loadStrategy, parseBacktestConfig } from '@oms/backtest';
import { readTardisFile } from '@oms/venues';
import { RECORDED, recordedFile } from '@oms/venues/testing/recorded-data';
import { runBacktest } from '../apps/oms/src/backtest/backtest-runner';
import { BenchFigure, figure } from './report';

/**
 * Replay speed: market events per second through a whole backtest (survey, replay into two venues,
 * the TWAP strategy trading through risk, the gateway and the ledger, the report's log read at the
 * end) beside the raw parse rate of the same files read on their own, and the process's peak memory.
 */
const FILES = [recordedFile(RECORDED.quotes), recordedFile(RECORDED.trades)];
const TRIALS = 5;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function parseRate(): Promise<number> {
  const started = performance.now();
  let events = 0;
  for (const file of FILES) for await (const event of readTardisFile(file)) if (event) events++;
  return events / ((performance.now() - started) / 1000);
}

export async function run(): Promise<BenchFigure[]> {
  const config = parseBacktestConfig(
    { strategy: { quantity: '1', durationMs: 120_000 } },
    'bench',
    FILES.length,
  );
  const strategy = await loadStrategy('twap');
  const replay = async () => {
    const started = performance.now();
    const record = await runBacktest({ dataFiles: FILES, strategy, config, from: null, to: null });
    const rate = record.marketEvents / ((performance.now() - started) / 1000);
    const fills = record.events.filter((e) => e.type === 'OrderFilled').length;
    if (fills === 0) throw new Error('the TWAP did not trade: the replay rate would not measure a backtest');
    return rate;
  };
  await parseRate(); // warm both paths
  await replay();
  const parse: number[] = [];
  const backtest: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    // Interleaved, so that a busy moment on the box weighs on both alike.
    parse.push(await parseRate());
    backtest.push(await replay());
  }
  const parsed = median(parse);
  const replayed = median(backtest);
  const peakMb = process.resourceUsage().maxRSS / 1024;
  return [
    figure('raw parse rate of the recorded files (quotes + trades)', parsed, 'events/s'),
    figure('backtest replay rate, TWAP trading (same files)', replayed, 'events/s', {
      ratio: replayed / parsed,
      comparedWith: 'raw parse rate',
    }),
    figure('backtest replay rate vs raw parse rate', replayed / parsed, 'ratio', { atLeast: 0.25 }),
    figure('backtest peak memory (process RSS)', peakMb, 'MB'),
  ];
}
