import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The execution gateway's own record of the venue slices that may still be working (sent, not yet
 * ended with their order), kept from the log and moved with the gateway's checkpoint, so a restarted
 * gateway knows what to ask its venues about without reading any read model. Filled once here from
 * the orders read model of a database that ran an older version; where that read model trails the
 * gateway's checkpoint, the checkpoint is moved back to it, so the gateway reads the slices in
 * between from the log again (handling them twice is harmless: it asks the venues).
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
    // Checkpoint keys are fixed-width: their text order is log order.
    await q.query(`
      UPDATE rm_checkpoints gateway SET position = projector.position, updated_at = now()
        FROM rm_checkpoints projector
       WHERE gateway.projection = 'execution-gateway' AND projector.projection = 'read-models'
         AND projector.position < gateway.position`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gw_working_slices`);
  }
}
