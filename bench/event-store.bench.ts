import {
  GlobalPosition,
  NO_STREAM,
  NewEvent,
  PostgresEventStore,
  createDatabaseIfMissing,
  startEmbeddedPostgres,
} from '@oms/event-store';
import { runMigrations } from '@oms/migrations';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { randomUUID } from 'crypto';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Pool } from 'pg';
import { AccountSnapshots, AggregateStore, DEMO_LIMITS, accountStream } from '@oms/application';
import { accountDecider } from '@oms/domain';
import { BenchFigure, figure, percentile } from './report';

/**
 * Append and read throughput of the PostgreSQL event store, beside the raw capacity of the same
 * server (plain INSERTs of rows shaped like events) and beside Emmett's PostgreSQL event store, with
 * the same 16 concurrent writers, in the same run.
 */
const WRITERS = 16;
const SECONDS = 3;
const BATCH = 100;

const payload = { orderId: 'o-1', side: 'BUY', quantity: '0.013', price: '9680.25', venueId: 'SIM-A' };
const metadata = { correlationId: 'c-1', causationId: null, actor: 'bench' };

/** Runs `writers` loops of `op` for SECONDS and returns operations per second. */
async function throughput(op: (writer: number, i: number) => Promise<number>): Promise<number> {
  const until = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  const counts = await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      let done = 0;
      for (let i = 0; Date.now() < until; i++) done += await op(writer, i);
      return done;
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return counts.reduce((a, b) => a + b, 0) / seconds;
}

const RAW_TABLE = `CREATE TABLE IF NOT EXISTS raw_events (
  position bigserial PRIMARY KEY, stream_name text NOT NULL, event_id uuid NOT NULL UNIQUE, type text NOT NULL,
  data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`;

async function rawInsert(pool: Pool, writer: number, rows: number): Promise<number> {
  const values: string[] = [];
  const params: unknown[] = [];
  for (let r = 0; r < rows; r++) {
    const b = r * 5;
    values.push(`($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`);
    params.push(
      `raw-${writer}`,
      randomUUID(),
      'OrderFilled',
      JSON.stringify(payload),
      JSON.stringify(metadata),
    );
  }
  await pool.query(
    `INSERT INTO raw_events (stream_name, event_id, type, data, metadata) VALUES ${values.join(', ')}`,
    params,
  );
  return rows;
}

const events = (n: number): NewEvent[] =>
  Array.from({ length: n }, () => ({ type: 'OrderFilled', data: payload, metadata }));

export async function run(): Promise<BenchFigure[]> {
  const server = await startEmbeddedPostgres({
    dataDir: mkdtempSync(join(tmpdir(), 'oms-bench-pg-')),
    persistent: false,
    database: 'raw',
  });
  const url = (db: string) => {
    const u = new URL(server.connectionString);
    u.pathname = `/${db}`;
    return u.toString();
  };
  for (const db of ['oms', 'emmett']) await createDatabaseIfMissing(url('postgres'), db);
  await runMigrations(url('oms'));

  const raw = new Pool({ connectionString: url('raw'), max: WRITERS });
  await raw.query(RAW_TABLE);
  const ours = new PostgresEventStore({ connectionString: url('oms'), poolSize: WRITERS });
  const emmett = getPostgreSQLEventStore(url('emmett'));
  await emmett.appendToStream('warmup-1', [{ type: 'OrderFilled', data: payload }]); // creates its schema

  try {
    const revision = new Map<string, bigint>();
    const appendOurs = async (stream: string, n: number) => {
      const result = await ours.appendToStream(stream, events(n), revision.get(stream) ?? NO_STREAM);
      revision.set(stream, result.nextExpectedRevision);
      return n;
    };
    const appendEmmett = async (stream: string, n: number) => {
      await emmett.appendToStream(
        stream,
        Array.from({ length: n }, () => ({ type: 'OrderFilled', data: payload })),
      );
      return n;
    };

    const commitLatency = await loneCommitLatency(raw);
    const rawSingle = await throughput((w) => rawInsert(raw, w, 1));
    const oursSingle = await throughput((w) => appendOurs(`order-single${w}`, 1));
    const emmettSingle = await throughput((w) => appendEmmett(`order-single${w}`, 1));
    const rawBatch = await throughput((w) => rawInsert(raw, w, BATCH));
    const oursBatch = await throughput((w) => appendOurs(`order-batch${w}`, BATCH));
    const emmettBatch = await throughput((w) => appendEmmett(`order-batch${w}`, BATCH));

    const readStarted = process.hrtime.bigint();
    let read = 0;
    let from: GlobalPosition | undefined;
    for (;;) {
      const page = await ours.readAll({ fromPosition: from, maxCount: 1000 });
      if (page.length === 0) break;
      read += page.length;
      from = page[page.length - 1].position;
    }
    const oursRead = read / (Number(process.hrtime.bigint() - readStarted) / 1e9);
    const rawReadStarted = process.hrtime.bigint();
    let rawRead = 0;
    let last = 0;
    for (;;) {
      const { rows } = await raw.query(
        'SELECT * FROM raw_events WHERE position > $1 ORDER BY position LIMIT 1000',
        [last],
      );
      if (rows.length === 0) break;
      rawRead += rows.length;
      last = Number(rows[rows.length - 1].position);
    }
    const rawReadRate = rawRead / (Number(process.hrtime.bigint() - rawReadStarted) / 1e9);

    return [
      figure('raw INSERT, 1 row per commit (16 clients)', rawSingle, 'rows/s'),
      figure('event store: single-event appends (16 writers)', oursSingle, 'events/s', {
        ratio: oursSingle / rawSingle,
        comparedWith: 'raw single-row commits (target >= 0.6)',
      }),
      figure('event store single appends vs raw', oursSingle / rawSingle, 'ratio', { atLeast: 0.6 }),
      figure('Emmett PostgreSQL: single-event appends (16 writers)', emmettSingle, 'events/s'),
      figure('event store single appends vs Emmett', oursSingle / emmettSingle, 'ratio', { atLeast: 1.0 }),
      figure(`raw INSERT, ${BATCH} rows per statement (16 clients)`, rawBatch, 'rows/s'),
      figure(`event store: ${BATCH}-event appends (16 writers)`, oursBatch, 'events/s', {
        ratio: oursBatch / rawBatch,
        comparedWith: 'raw batched inserts (target >= 0.5)',
      }),
      figure('event store batched appends vs raw', oursBatch / rawBatch, 'ratio', { atLeast: 0.5 }),
      figure(`Emmett PostgreSQL: ${BATCH}-event appends (16 writers)`, emmettBatch, 'events/s'),
      figure('event store batched appends vs Emmett', oursBatch / emmettBatch, 'ratio', { atLeast: 1.0 }),
      figure('event store: readAll (pages of 1000)', oursRead, 'events/s', {
        ratio: oursRead / rawReadRate,
        comparedWith: 'raw paged SELECT',
      }),
      figure('raw paged SELECT', rawReadRate, 'rows/s'),
      figure('one durable commit alone (a single-row INSERT, one client): p50', commitLatency.p50, 'ms'),
      figure('one durable commit alone (a single-row INSERT, one client): p99', commitLatency.p99, 'ms'),
      ...(await coldStart(ours)),
    ];
  } finally {
    await ours.close();
    await emmett.close();
    await raw.end();
    // A pool inside Emmett may still hold an idle connection with no error listener; the server's
    // shutdown notice (57P01) to it is expected here and nothing else is ignored.
    const shutdownNotice = (error: Error & { code?: string }) => {
      if (error.code !== '57P01') throw error;
    };
    process.on('uncaughtException', shutdownNotice);
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.off('uncaughtException', shutdownNotice);
  }
}

/**
 * What one durable commit costs on this machine when nothing else is committing: a single-row INSERT
 * from one client, 500 times in a row (the floor under any append's latency at a light load).
 */
async function loneCommitLatency(raw: Pool): Promise<{ p50: number; p99: number }> {
  const latencies: number[] = [];
  for (let i = 0; i < 500; i++) {
    const started = performance.now();
    await rawInsert(raw, 999, 1);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Events in the busy account of the cold-start measure. */
const BUSY_ACCOUNT_EVENTS = 100_000;

/**
 * Cold start of a busy account: 100,000 events (limits, then orders reserved and released), loaded by
 * replaying the whole stream and from its last snapshot (taken, as the command side takes them, at
 * the last multiple of 1,000 events, 500 events before the head). Best of three each.
 */
async function coldStart(store: PostgresEventStore): Promise<BenchFigure[]> {
  const accountId = 'busy';
  const stream = accountStream(accountId);
  const at = new Date(Date.UTC(2026, 11, 1)).toISOString();
  const eventAt = (i: number): NewEvent => {
    if (i === 0) {
      return { type: 'RiskLimitsSet', data: { accountId, limits: DEMO_LIMITS, setAt: at }, metadata };
    }
    const orderId = `o-${Math.ceil(i / 2)}`;
    return i % 2 === 1
      ? {
          type: 'ExposureReserved',
          data: {
            accountId,
            orderId,
            clientOrderId: `c-${orderId}`,
            instrumentId: 'BTCUSDT',
            side: 'BUY',
            quantity: '0.013',
            price: '9680.25',
            notional: '125.84325',
            reservedAt: at,
          },
          metadata,
        }
      : {
          type: 'ExposureReleased',
          data: {
            accountId,
            orderId,
            quantity: '0.013',
            notional: '125.84325',
            reason: 'OrderCanceled',
            releasedAt: at,
            sourceSequence: null,
          },
          metadata,
        };
  };
  let revision: bigint | null = null;
  for (let i = 0; i < BUSY_ACCOUNT_EVENTS; i += 1_000) {
    const batch = Array.from({ length: 1_000 }, (_, k) => eventAt(i + k));
    revision = (await store.appendToStream(stream, batch, revision ?? NO_STREAM)).nextExpectedRevision;
  }
  const aggregates = new AggregateStore(store);
  const snapshots = new AccountSnapshots(store);
  const snapshotAt = await aggregates.load(accountDecider, stream, undefined, {
    toRevision: BigInt(BUSY_ACCOUNT_EVENTS - 501),
  });
  await snapshots.save(accountId, snapshotAt);

  const best = async (load: () => Promise<unknown>) => {
    let fastest = Infinity;
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      await load();
      fastest = Math.min(fastest, performance.now() - started);
    }
    return fastest;
  };
  const replay = await best(() => aggregates.load(accountDecider, stream));
  const fromSnapshot = await best(async () => {
    const latest = await snapshots.latest(accountId);
    return aggregates.load(accountDecider, stream, latest ?? undefined);
  });
  return [
    figure(`busy account (${BUSY_ACCOUNT_EVENTS} events): replay of its stream`, replay, 'ms'),
    figure(`busy account (${BUSY_ACCOUNT_EVENTS} events): from its last snapshot`, fromSnapshot, 'ms', {
      ratio: fromSnapshot / replay,
      comparedWith: 'replaying its stream (target <= 0.2)',
    }),
    figure('busy account: snapshot load vs replay', fromSnapshot / replay, 'ratio', { atMost: 0.2 }),
  ];
}
