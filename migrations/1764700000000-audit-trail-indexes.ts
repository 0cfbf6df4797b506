import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for `auditTrail` (issue 13): what one actor did, what happened in a time range, and which
 * order streams belong to an account (their first event names it), each in log order.
 */
export class AuditTrailIndexes1764700000000 implements MigrationInterface {
  name = 'AuditTrailIndexes1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX es_events_actor ON es_events ((metadata->>'actor'), transaction_id, position)`,
    );
    await q.query(`CREATE INDEX es_events_recorded ON es_events (recorded_at)`);
    await q.query(
      `CREATE INDEX es_events_account_streams ON es_events ((data->>'accountId'), stream_name) WHERE revision = 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX es_events_account_streams`);
    await q.query(`DROP INDEX es_events_recorded`);
    await q.query(`DROP INDEX es_events_actor`);
  }
}
