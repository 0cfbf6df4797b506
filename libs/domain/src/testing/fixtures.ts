import { RiskLimitsData } from '../accounts/account';
import { PreTradeRequest } from '../accounts/risk-checks';
import { dec } from '../decimal/decimal';
import { Instrument, instrumentFromDefinition, InstrumentDefinition } from '../instruments/instrument';
import { OrderTerms } from '../orders/order';
import { CommandMetadata } from '../shared/decision';

export const T0 = new Date('2026-11-21T10:00:00.000Z');

export function at(offsetMs = 0): CommandMetadata {
  return { now: new Date(T0.getTime() + offsetMs) };
}

export const iso = (offsetMs = 0) => new Date(T0.getTime() + offsetMs).toISOString();

export const btcDefinition: InstrumentDefinition = {
  instrumentId: 'BTCUSDT',
  baseCurrency: 'BTC',
  quoteCurrency: 'USDT',
  tickSize: '0.01',
  lotSize: '0.001',
  minQuantity: '0.001',
  maxQuantity: '100',
  pricePrecision: 2,
  tradable: true,
  venueSymbols: { 'SIM-A': 'BTCUSDT' },
};

export const btc: Instrument = instrumentFromDefinition(btcDefinition);

export const limits: RiskLimitsData = {
  maxOrderQuantity: '5',
  maxOrderNotional: '50000',
  maxPosition: '10',
  positionLimits: {},
  maxOpenNotional: '200000',
  priceCollarPercent: '5',
  staleReferenceAfterMs: 5_000,
  maxOrdersPerWindow: 100,
  orderRateWindowMs: 1_000,
  maxDailyLoss: '1000',
  reduceOnly: false,
  allowedInstruments: null,
};

export function terms(overrides: Partial<OrderTerms> = {}): OrderTerms {
  return {
    orderId: 'o1',
    accountId: 'acc',
    clientOrderId: 'c1',
    instrumentId: 'BTCUSDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'DAY',
    quantity: '1',
    limitPrice: '9680',
    venueId: null,
    ...overrides,
  };
}

export function preTrade(
  order: Partial<OrderTerms> = {},
  overrides: Partial<PreTradeRequest> = {},
): PreTradeRequest {
  return {
    order: terms(order),
    instrument: btc,
    instrumentHalt: null,
    globalHalt: null,
    referencePrice: { price: dec('9680'), observedAt: T0.getTime() - 100 },
    ...overrides,
  };
}
