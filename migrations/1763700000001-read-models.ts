import { MigrationInterface, QueryRunner } from 'typeorm';

/** Read models written by the projector and queried by the API (libs/read-models/src/entities.ts). */
export class ReadModels1763700000001 implements MigrationInterface {
  name = 'ReadModels1763700000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rm_orders (
        order_id            text PRIMARY KEY,
        account_id          text NOT NULL,
        client_order_id     text NOT NULL,
        instrument_id       text NOT NULL,
        side                text NOT NULL,
        type                text NOT NULL,
        time_in_force       text NOT NULL,
        quantity            numeric NOT NULL,
        limit_price         numeric,
        venue_id            text,
        status              text NOT NULL,
        filled_quantity     numeric NOT NULL,
        leaves_quantity     numeric NOT NULL,
        average_price       numeric,
        overfilled_quantity numeric NOT NULL,
        rejections          jsonb NOT NULL,
        snapshot            jsonb NOT NULL,
        revision            bigint NOT NULL,
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX rm_orders_account_created ON rm_orders (account_id, created_at, order_id)`);
    await q.query(`CREATE INDEX rm_orders_status ON rm_orders (status)`);
    await q.query(`
      CREATE TABLE rm_fills (
        order_id      text NOT NULL,
        exec_id       text NOT NULL,
        account_id    text NOT NULL,
        instrument_id text NOT NULL,
        venue_id      text NOT NULL,
        side          text NOT NULL,
        quantity      numeric NOT NULL,
        price         numeric NOT NULL,
        fee           numeric NOT NULL,
        liquidity     text NOT NULL,
        executed_at   timestamptz NOT NULL,
        busted        boolean NOT NULL DEFAULT false,
        PRIMARY KEY (order_id, exec_id)
      )`);
    await q.query(`CREATE INDEX rm_fills_account ON rm_fills (account_id)`);
    await q.query(`
      CREATE TABLE rm_positions (
        account_id    text NOT NULL,
        instrument_id text NOT NULL,
        quantity      numeric NOT NULL,
        average_price numeric NOT NULL,
        realized_pnl  numeric NOT NULL,
        fees          numeric NOT NULL,
        updated_at    timestamptz NOT NULL,
        PRIMARY KEY (account_id, instrument_id)
      )`);
    await q.query(`
      CREATE TABLE rm_risk_limits (
        account_id  text PRIMARY KEY,
        limits      jsonb,
        halted      boolean NOT NULL DEFAULT false,
        halt_reason text,
        updated_at  timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE rm_checkpoints (
        projection text PRIMARY KEY,
        position   text NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['rm_checkpoints', 'rm_risk_limits', 'rm_positions', 'rm_fills', 'rm_orders']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
