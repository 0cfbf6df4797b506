import { FixedReferencePrices } from '../reference/reference-prices';

/** The reference price risk sees in tests and benchmarks that run without a market: BTCUSDT at 9,680. */
export const fixedPrices = (): FixedReferencePrices => new FixedReferencePrices({ BTCUSDT: '9680' });
