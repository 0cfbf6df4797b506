import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Market data as the active execution gateway last saw it, for API processes that run without it:
 * each venue's book (its best 50 levels a side) and last 200 trades per instrument, and the venues'
 * status. A row's `version` says what changed in its table since a reader's last read (one writer,
 * the active gateway, so versions commit in order). Not a read model of the log (market data is not event-sourced), so a rebuild leaves it alone.
 */
export class MarketData1765000000000 implements MigrationInterface {
  name = 'MarketData1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE md_version`);
    await q.query(`
      CREATE TABLE md_books (
        venue_id      text        NOT NULL,
        instrument_id text        NOT NULL,
        bids          jsonb       NOT NULL,
        asks          jsonb       NOT NULL,
        market_time   timestamptz NOT NULL,
        received_at   timestamptz NOT NULL,
        version       bigint      NOT NULL DEFAULT nextval('md_version'),
        PRIMARY KEY (venue_id, instrument_id)
      )`);
    await q.query(`
      CREATE TABLE md_trades (
        venue_id      text   NOT NULL,
        instrument_id text   NOT NULL,
        trades        jsonb  NOT NULL,
        version       bigint NOT NULL DEFAULT nextval('md_version'),
        PRIMARY KEY (venue_id, instrument_id)
      )`);
    await q.query(`
      CREATE TABLE md_venues (
        venue_id    text        PRIMARY KEY,
        status      jsonb       NOT NULL,
        reported_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE md_venues`);
    await q.query(`DROP TABLE md_trades`);
    await q.query(`DROP TABLE md_books`);
    await q.query(`DROP SEQUENCE md_version`);
  }
}
