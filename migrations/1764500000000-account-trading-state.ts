import { MigrationInterface, QueryRunner } from 'typeorm';

/** An account's trading state (ACTIVE, REDUCING, HALTED) beside its halt flag (issue 12, halts). */
export class AccountTradingState1764500000000 implements MigrationInterface {
  name = 'AccountTradingState1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rm_risk_limits ADD COLUMN trading_state text NOT NULL DEFAULT 'ACTIVE'`);
    await q.query(`UPDATE rm_risk_limits SET trading_state = 'HALTED' WHERE halted`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rm_risk_limits DROP COLUMN trading_state`);
  }
}
