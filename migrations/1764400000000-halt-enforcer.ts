import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The halt enforcer's record of the orders that may be working, kept from the log and moved with its
 * checkpoint (issue 12, halts). Empty at first: the enforcer has no checkpoint yet, so it reads the log
 * from the start and fills it (halts recorded before it existed did not ask to cancel, and are not acted on).
 */
export class HaltEnforcer1764400000000 implements MigrationInterface {
  name = 'HaltEnforcer1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE hx_working_orders (
        order_id       text PRIMARY KEY,
        account_id     text NOT NULL,
        instrument_id  text NOT NULL,
        side           text NOT NULL,
        seq            bigserial NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE hx_working_orders`);
  }
}
