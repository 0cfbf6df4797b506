import { OmsQueries } from '../apps/api/src/graphql/views';
import { fixedPrices } from '@oms/application/testing/fixed-prices';
import { PostgresAuditChain, PostgresEventStore, startEmbeddedPostgres } from '@oms/event-store';
import { runMigrations } from '@oms/migrations';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { BenchFigure, figure, percentile } from './report';

/**
 * The auditor's questions on a log of a million events (issue 13): one actor's events, one account's,
 * one order's, and the chain over the whole log. 20,000 orders of 50 events on 200 accounts, each
 * order's events by one of 500 traders and the system; the chain extended over all of it, then
 * recomputed end to end as `npm run audit:verify` does.
 */
const ORDERS = 20_000;
const EVENTS_PER_ORDER = 50;
const RUNS = 20;

async function timed<T>(runs: number, query: () => Promise<T>): Promise<Float64Array> {
  await query(); // warm: plans cached, pages in memory
  const samples = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await query();
    samples[i] = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return samples.sort();
}

export async function run(): Promise<BenchFigure[]> {
  const server = await startEmbeddedPostgres({
    dataDir: mkdtempSync(join(tmpdir(), 'oms-bench-audit-')),
    persistent: false,
  });
  const store = new PostgresEventStore({ connectionString: server.connectionString });
  const dataSource = await new DataSource({ type: 'postgres', url: server.connectionString }).initialize();
  try {
    await runMigrations(server.connectionString);
    const sql = new Client({ connectionString: server.connectionString });
    await sql.connect();
    const loading = Date.now();
    // One order stream per order: its first event names the account, as OrderAccepted does.
    await sql.query(
      `INSERT INTO es_events (stream_name, revision, event_id, type, data, metadata, recorded_at)
       SELECT 'order-o' || o, r, gen_random_uuid(),
              CASE WHEN r = 0 THEN 'OrderAccepted' ELSE 'OrderFilled' END,
              jsonb_build_object('orderId', 'o' || o, 'accountId', 'acc' || (o % 200), 'quantity', '0.001',
                                 'price', '9680.25', 'execId', 'x' || r),
              jsonb_build_object('actor', CASE WHEN r = 0 THEN 'user:trader' || (o % 500) ELSE 'venue:SIM-A' END,
                                 'correlationId', 'c' || o, 'causationId', null),
              now() - make_interval(secs => ($1 * $2 - (o * $2 + r)) / 100.0)
         FROM generate_series(0, $1 - 1) o, generate_series(0, $2 - 1) r
        ORDER BY o, r`,
      [ORDERS, EVENTS_PER_ORDER],
    );
    await sql.query(
      `INSERT INTO es_streams (stream_name, revision) SELECT 'order-o' || o, $2 - 1 FROM generate_series(0, $1 - 1) o`,
      [ORDERS, EVENTS_PER_ORDER],
    );
    await sql.query('ANALYZE es_events');
    const count = ORDERS * EVENTS_PER_ORDER;
    console.log(
      `  ${count.toLocaleString('en')} events loaded in ${((Date.now() - loading) / 1000).toFixed(0)} s`,
    );

    const chain = new PostgresAuditChain(store);
    const chaining = process.hrtime.bigint();
    while ((await chain.extend(50_000)) > 0);
    const chainSeconds = Number(process.hrtime.bigint() - chaining) / 1e9;
    const verifying = process.hrtime.bigint();
    const verified = await chain.verify(null);
    const verifySeconds = Number(process.hrtime.bigint() - verifying) / 1e9;
    if (!verified.ok) throw new Error(`the chain does not hold: ${JSON.stringify(verified.problem)}`);

    const queries = new OmsQueries(dataSource, store, fixedPrices());
    const actor = await timed(RUNS, () => queries.auditTrail({ actor: 'user:trader7' }, 100, null));
    const account = await timed(RUNS, () => queries.auditTrail({ accountId: 'acc7' }, 100, null));
    const order = await timed(RUNS, () => queries.auditTrail({ orderId: 'o12345' }, 100, null));
    const window = await timed(RUNS, () =>
      queries.auditTrail({ from: new Date(Date.now() - 60_000), eventTypes: ['OrderAccepted'] }, 100, null),
    );
    await sql.end();
    return [
      figure('auditTrail: one actor’s first 100 events in 1M: p50', percentile(actor, 50), 'ms'),
      figure('auditTrail: one account’s first 100 events in 1M: p50', percentile(account, 50), 'ms'),
      figure('auditTrail: one order’s events in 1M: p50', percentile(order, 50), 'ms'),
      figure('auditTrail: one event type in the last minute, in 1M: p50', percentile(window, 50), 'ms'),
      figure('audit chain: extending over 1M events', count / chainSeconds, 'events/s'),
      figure('audit chain: verifying 1M events (npm run audit:verify)', verifySeconds, 's'),
    ];
  } finally {
    await dataSource.destroy();
    await store.close();
    await server.stop();
  }
}
