import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit chain over the event log (issue 13): one row per event, in log order, with
 * SHA-256(previous hash, the event's canonical bytes). Filled by PostgresAuditChain.extend from the
 * first event on; `npm run audit:verify` and the `auditVerification` query recompute it.
 */
export class AuditChain1764600000000 implements MigrationInterface {
  name = 'AuditChain1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE es_chain (
        seq       bigint PRIMARY KEY,
        tx        text NOT NULL,
        position  bigint NOT NULL UNIQUE,
        hash      bytea NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE es_chain`);
  }
}
