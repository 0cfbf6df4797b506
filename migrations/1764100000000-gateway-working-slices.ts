import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The execution gateway's own record of the venue slices that may still be working (sent, not yet
 * ended with their order), kept from the log and moved with the gateway's checkpoint, so a restarted
 * gateway knows what to ask its venues about without reading any read model. Filled once here from
 * the orders read model of a database that ran an older version.
 */
export class GatewayWorkingSlices1764100000000 implements MigrationInterface {
  name = 'GatewayWorkingSlices1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE gw_working_slices (
        child_id  text PRIMARY KEY,
        order_id  text NOT NULL,
        venue_id  text NOT NULL
      )`);
    await q.query(`CREATE INDEX gw_working_slices_order ON gw_working_slices (order_id)`);
    await q.query(`
      INSERT INTO gw_working_slices (child_id, order_id, venue_id)
      SELECT child.value->>'childId', o.order_id, child.value->>'venueId'
        FROM rm_orders o, jsonb_each(coalesce(o.snapshot->'children', '{}'::jsonb)) AS child
       WHERE o.status IN ('PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'PENDING_REPLACE')
         AND child.value->>'status' IN ('SUBMITTED', 'UNCONFIRMED', 'ACKNOWLEDGED')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gw_working_slices`);
  }
}
