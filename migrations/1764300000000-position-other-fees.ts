import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fees charged in a currency other than the instrument's quote currency are kept apart, by currency
 * (issue 12, item 14): `fees` stays the quote-currency fees that P&L counts.
 */
export class PositionOtherFees1764300000000 implements MigrationInterface {
  name = 'PositionOtherFees1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rm_positions ADD COLUMN other_fees jsonb NOT NULL DEFAULT '{}'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rm_positions DROP COLUMN other_fees`);
  }
}
