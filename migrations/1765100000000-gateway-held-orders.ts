import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The orders the OMS holds until their trigger (stops, trailing stops, if-touched), kept by the
 * execution gateway from the log and moved with its checkpoint like its working slices, so a
 * restarted gateway watches them again without reading any read model.
 */
export class GatewayHeldOrders1765100000000 implements MigrationInterface {
  name = 'GatewayHeldOrders1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE gw_held_orders (order_id text PRIMARY KEY)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gw_held_orders`);
  }
}
