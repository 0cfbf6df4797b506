import { InstrumentDefinition, RiskLimitsData } from '@oms/domain';

export const DEMO_ACCOUNT = 'demo';

export const BTCUSDT: InstrumentDefinition = {
  instrumentId: 'BTCUSDT',
  baseCurrency: 'BTC',
  quoteCurrency: 'USDT',
  tickSize: '0.01',
  lotSize: '0.001',
  minQuantity: '0.001',
  maxQuantity: '100',
  pricePrecision: 2,
  tradable: true,
  venueSymbols: { 'SIM-A': 'BTCUSDT', 'SIM-B': 'BTCUSDT' },
};

/** Sensible limits for a demo strategy trading up to a few BTC. */
export const DEMO_LIMITS: RiskLimitsData = {
  maxOrderQuantity: '5',
  maxOrderNotional: '50000',
  maxPosition: '10',
  positionLimits: {},
  maxOpenNotional: '250000',
  priceCollarPercent: '5',
  staleReferenceAfterMs: 10_000,
  maxOrdersPerWindow: 50,
  orderRateWindowMs: 1_000,
  maxDailyLoss: '5000',
  reduceOnly: false,
  allowedInstruments: null,
};
