import { Decimal, ReferencePrice } from '@oms/domain';

/** Where pre-trade risk gets reference prices (the market-data handler, once venues exist). */
export interface ReferencePriceSource {
  referencePrice(instrumentId: string, now: Date): ReferencePrice | null;
  markPrice(instrumentId: string): Decimal | null;
}

/**
 * Seeded reference prices, treated as fresh, until the market-data module (execution issue) feeds real
 * ones. Instruments without a seed have none, so their orders fail closed (REFERENCE_PRICE_MISSING).
 */
export class SeededReferencePrices implements ReferencePriceSource {
  private readonly prices = new Map<string, Decimal>();

  set(instrumentId: string, price: Decimal): void {
    this.prices.set(instrumentId, price);
  }

  referencePrice(instrumentId: string, now: Date): ReferencePrice | null {
    const price = this.prices.get(instrumentId);
    return price ? { price, observedAt: now.getTime() } : null;
  }

  markPrice(instrumentId: string): Decimal | null {
    return this.prices.get(instrumentId) ?? null;
  }
}
