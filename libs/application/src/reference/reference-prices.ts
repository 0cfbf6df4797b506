import { Decimal, ReferencePrice } from '@oms/domain';
import { Client } from 'pg';

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

/** How often the table is read even without a notice (a lost notice, a dropped connection). */
const SAFETY_READ_MS = 1_000;

/**
 * The reference prices the execution gateway publishes (`md_reference_prices`), held in memory for
 * risk: read at start, again on every notice, and every second in case one was missed. Each keeps the
 * time the market showed it, so risk judges its age as the gateway's own process would.
 */
export class PublishedReferencePrices implements ReferencePriceSource {
  private readonly prices = new Map<string, ReferencePrice>();
  private client: Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private stopped = false;

  private constructor(
    private readonly connectionString: string,
    private readonly safetyReadMs: number,
  ) {}

  /** `safetyReadMs`: how often the table is read even without a notice. */
  static async start(
    connectionString: string,
    safetyReadMs = SAFETY_READ_MS,
  ): Promise<PublishedReferencePrices> {
    const prices = new PublishedReferencePrices(connectionString, safetyReadMs);
    await prices.read();
    prices.timer = setInterval(() => void prices.read().catch(() => undefined), safetyReadMs);
    prices.timer.unref();
    return prices;
  }

  referencePrice(instrumentId: string): ReferencePrice | null {
    return this.prices.get(instrumentId) ?? null;
  }

  markPrice(instrumentId: string): Decimal | null {
    return this.prices.get(instrumentId)?.price ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.reading?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  /** One read at a time; a notice during a read asks for one more. */
  private read(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.readAgain = false;
        await this.readOnce();
      } while (this.readAgain && !this.stopped);
    })().finally(() => (this.reading = null));
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    const client = this.client ?? (await this.connect());
    const { rows } = await client
      .query<{ instrument_id: string; price: string; observed_ms: string }>(
        `SELECT instrument_id, price::text AS price,
                floor(extract(epoch FROM observed_at) * 1000)::bigint AS observed_ms
           FROM md_reference_prices`,
      )
      .catch((error: unknown) => {
        // A timed-out or failed read: start afresh on a new connection next time.
        if (this.client === client) this.client = null;
        void client.end().catch(() => undefined);
        throw error;
      });
    for (const row of rows) {
      this.prices.set(row.instrument_id, {
        price: Decimal.parse(row.price),
        observedAt: Number(row.observed_ms),
      });
    }
  }

  /**
   * One connection listens and reads; after an error (or a read that hangs past its timeout) the next
   * read connects again.
   */
  private async connect(): Promise<Client> {
    const client = new Client({
      connectionString: this.connectionString,
      keepAlive: true,
      query_timeout: Math.max(this.safetyReadMs, SAFETY_READ_MS) * 5,
    });
    const drop = () => {
      if (this.client === client) this.client = null;
      void client.end().catch(() => undefined);
    };
    client.on('notification', () => void this.read().catch(() => undefined));
    client.on('error', drop);
    try {
      await client.connect();
      await client.query(`LISTEN ${REFERENCE_PRICES_CHANNEL}`);
    } catch (error) {
      drop();
      throw error;
    }
    this.client = client;
    return client;
  }
}
