import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Positions keep what their open quantity cost, exactly (issue 12, item 10): unrealised P&L is the
 * mark times the quantity minus this, never a rounded average times the quantity. Rows written before
 * it get quantity × average price, the best the old figures allow; a rebuild of the projection
 * replaces them with the exact value from the log.
 */
export class PositionCostBasis1764200000000 implements MigrationInterface {
  name = 'PositionCostBasis1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rm_positions ADD COLUMN cost_basis numeric`);
    await q.query(`UPDATE rm_positions SET cost_basis = round(quantity * average_price, 30)`);
    await q.query(`ALTER TABLE rm_positions ALTER COLUMN cost_basis SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rm_positions DROP COLUMN cost_basis`);
  }
}
