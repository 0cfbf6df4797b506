import { Decimal, ReferencePrice } from '@oms/domain';
import { Client } from 'pg';
import { NotifiedReader } from './notified-reader';

/** Notified (on commit) whenever the active gateway writes reference prices (`md_reference_prices`). */
export const REFERENCE_PRICES_CHANNEL = 'oms_reference_prices';

/**
 * Where pre-trade risk and the positions' marks get reference prices: the gateway's market-data
 * handler in its own process, or what it publishes (`PublishedReferencePrices`) in an API process
 * without it.
 */
export interface ReferencePriceSource {
  referencePrice(instrumentId: string, now: Date): ReferencePrice | null;
  markPrice(instrumentId: string): Decimal | null;
}

/**
 * Fixed prices that never age, for tests and benchmarks that run the command side without a market.
 * Instruments without one have none, so their orders fail closed (REFERENCE_PRICE_MISSING).
 */
export class FixedReferencePrices implements ReferencePriceSource {
  private readonly prices: Map<string, Decimal>;

  constructor(prices: Record<string, string>) {
    this.prices = new Map(Object.entries(prices).map(([id, price]) => [id, Decimal.parse(price)]));
  }

  referencePrice(instrumentId: string, now: Date): ReferencePrice | null {
    const price = this.prices.get(instrumentId);
    return price ? { price, observedAt: now.getTime() } : null;
  }

  markPrice(instrumentId: string): Decimal | null {
    return this.prices.get(instrumentId) ?? null;
  }
}

/**
 * The freshest of several sources, by when the market showed each price: a process with the gateway
 * role uses its own market data while its gateway sends, and what the active gateway publishes while
 * its own stands by.
 */
export class FreshestReferencePrices implements ReferencePriceSource {
  constructor(private readonly sources: ReferencePriceSource[]) {}

  referencePrice(instrumentId: string, now: Date): ReferencePrice | null {
    let freshest: ReferencePrice | null = null;
    for (const source of this.sources) {
      const reference = source.referencePrice(instrumentId, now);
      if (reference && (!freshest || reference.observedAt > freshest.observedAt)) freshest = reference;
    }
    return freshest;
  }

  markPrice(instrumentId: string): Decimal | null {
    return this.referencePrice(instrumentId, new Date())?.price ?? null;
  }
}

/** How often the tables are read even without a notice (a lost notice, a dropped connection). */
export const SAFETY_READ_MS = 1_000;

/**
 * The reference prices the execution gateway publishes (`md_reference_prices`), held in memory for
 * risk: read at start, again on every notice, and every second in case one was missed. Each keeps the
 * time the market showed it, so risk judges its age as the gateway's own process would.
 */
export class PublishedReferencePrices implements ReferencePriceSource {
  private readonly prices = new Map<string, ReferencePrice>();
  private readonly reader: NotifiedReader;

  private constructor(connectionString: string, safetyReadMs: number) {
    this.reader = new NotifiedReader(
      connectionString,
      REFERENCE_PRICES_CHANNEL,
      (client) => this.readOnce(client),
      safetyReadMs,
    );
  }

  /** `safetyReadMs`: how often the table is read even without a notice. */
  static async start(
    connectionString: string,
    safetyReadMs = SAFETY_READ_MS,
  ): Promise<PublishedReferencePrices> {
    const prices = new PublishedReferencePrices(connectionString, safetyReadMs);
    await prices.reader.start();
    return prices;
  }

  referencePrice(instrumentId: string): ReferencePrice | null {
    return this.prices.get(instrumentId) ?? null;
  }

  markPrice(instrumentId: string): Decimal | null {
    return this.prices.get(instrumentId)?.price ?? null;
  }

  stop(): Promise<void> {
    return this.reader.stop();
  }

  private async readOnce(client: Client): Promise<void> {
    const { rows } = await client.query<{ instrument_id: string; price: string; observed_ms: string }>(
      `SELECT instrument_id, price::text AS price,
              floor(extract(epoch FROM observed_at) * 1000)::bigint AS observed_ms
         FROM md_reference_prices`,
    );
    for (const row of rows) {
      this.prices.set(row.instrument_id, {
        price: Decimal.parse(row.price),
        observedAt: Number(row.observed_ms),
      });
    }
  }
}
