import { REFERENCE_PRICES_CHANNEL } from '@oms/application';
import { ReferencePrice } from '@oms/domain';
import { Clock, Logger } from '@oms/platform';
import { MarketDataHandler } from '@oms/venues';
import { DataSource } from 'typeorm';

/**
 * Shares the gateway's reference prices with API processes that run without market data of their own
 * (docker compose): every `intervalMs`, each instrument whose price was seen again since the last write
 * is written with the time it was seen, in one statement that also notifies the readers. Risk in those
 * processes judges the age as it would here: a gateway that stops writing leaves prices that go stale,
 * and orders fail closed.
 */
export class ReferencePricePublisher {
  /** When the price last written for each instrument was seen. */
  private readonly written = new Map<string, number>();
  private timer: unknown = null;
  private writing: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly marketData: MarketDataHandler,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.schedule();
  }

  /** Writes every reference price seen since the last write; resolves with how many. */
  async publish(): Promise<number> {
    const changed: [string, ReferencePrice][] = [];
    for (const instrumentId of this.marketData.instruments()) {
      const reference = this.marketData.referencePrice(instrumentId);
      if (reference && reference.observedAt !== this.written.get(instrumentId)) {
        changed.push([instrumentId, reference]);
      }
    }
    if (changed.length === 0) return 0;
    await this.dataSource.query(
      `WITH written AS (
         INSERT INTO md_reference_prices (instrument_id, price, observed_at)
         SELECT * FROM unnest($1::text[], $2::numeric[], $3::timestamptz[])
         ON CONFLICT (instrument_id) DO UPDATE SET price = EXCLUDED.price, observed_at = EXCLUDED.observed_at
         RETURNING 1
       )
       SELECT pg_notify('${REFERENCE_PRICES_CHANNEL}', '') FROM (SELECT count(*) AS n FROM written) w WHERE w.n > 0`,
      [
        changed.map(([id]) => id),
        changed.map(([, r]) => r.price.toString()),
        changed.map(([, r]) => new Date(r.observedAt).toISOString()),
      ],
    );
    for (const [id, reference] of changed) this.written.set(id, reference.observedAt);
    return changed.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    await this.writing;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.writing = this.publish()
        .catch((error: unknown) => this.log.error({ err: error }, 'publishing reference prices'))
        .finally(() => this.schedule());
    }, this.intervalMs);
  }
}
