import { existsSync } from 'fs';
import { join, resolve } from 'path';

/**
 * The recorded market data shared beside the project (../shared/market-data, or OMS_MARKET_DATA_DIR).
 * Tests and benchmarks read it from there; it is not copied into the project. Missing data is an error,
 * never a silently skipped test.
 */
export function recordedFile(name: string): string {
  const candidates = [
    process.env.OMS_MARKET_DATA_DIR,
    join(__dirname, '../../../../../shared/market-data'), // beside the project's root
    join(process.cwd(), '../shared/market-data'),
    // A clone made elsewhere on the workplace machine (CI checks in /tmp) still finds the shared folder.
    '/work/shared/market-data',
  ].filter((dir): dir is string => Boolean(dir));
  for (const dir of candidates) {
    const path = resolve(dir, 'tardis', name);
    if (existsSync(path)) return path;
  }
  throw new Error(
    `Recorded market data ${name} not found in ${candidates.join(' or ')}: set OMS_MARKET_DATA_DIR to the shared market-data folder.`,
  );
}

export const RECORDED = {
  trades: 'binance-futures_trades_2020-02-22_BTCUSDT.csv',
  quotes: 'binance-futures_quotes_2020-02-22_BTCUSDT.csv',
  bookSnapshots: 'binance-futures_book_snapshot_5_2020-09-01_BTCUSDT.csv',
  incrementalL2: 'deribit_incremental_book_L2_2020-04-01_BTC-PERPETUAL.csv',
} as const;
