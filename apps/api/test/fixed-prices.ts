import { SeededReferencePrices } from '../src/commands/reference-prices';

/** The reference price risk sees in tests and benchmarks that run without a market: BTCUSDT at 9,680. */
export const fixedPrices = (): SeededReferencePrices => new SeededReferencePrices({ BTCUSDT: '9680' });
