import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reference prices as the execution gateway last saw them, for API processes that run without it
 * (docker compose): one row per instrument, the price and when the market showed it. Not a read
 * model of the log (market data is not event-sourced), so a rebuild leaves it alone.
 */
export class ReferencePrices1764000000000 implements MigrationInterface {
  name = 'ReferencePrices1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE md_reference_prices (
        instrument_id text PRIMARY KEY,
        price         numeric     NOT NULL,
        observed_at   timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE md_reference_prices`);
  }
}
