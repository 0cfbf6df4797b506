import { RunReport, buildRunReport, dataStartOf, loadStrategy, parseBacktestConfig } from '@oms/backtest';
import { PostgresEventStore } from '@oms/event-store';
import { TestDatabase, createTestDatabase } from '@oms/event-store/testing/test-database';
import { RECORDED, recordedFile } from '@oms/venues/testing/recorded-data';
import { runBacktest } from '../src/backtest/backtest-runner';

jest.setTimeout(180_000);

const QUOTES = recordedFile(RECORDED.quotes);

/** What two runs must agree on: everything but the account and the order ids derived from it. */
const comparable = (r: RunReport) => ({
  summary: r.summary,
  equity: r.equity,
  fills: r.fills.map(({ orderId: _orderId, ...rest }) => rest),
  latencySamples: r.latencySamples,
  venues: r.venues,
  rejections: r.rejections,
});

describe('backtest with the log kept in PostgreSQL (--store postgres)', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = new PostgresEventStore({ connectionString: database.connectionString });
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('gives the same report as the in-memory store, and the log stays for audit queries; a second run beside it reads only its own', async () => {
    const config = parseBacktestConfig({ strategy: { quantity: '0.3', durationMs: 60_000 } }, 'test', 1);
    const strategy = await loadStrategy('twap');
    const to = (await dataStartOf([QUOTES])) + 75_000;
    const run = async (kept: boolean, accountId: string) => {
      const pool = store.connectionPool;
      const record = await runBacktest({
        dataFiles: [QUOTES],
        strategy,
        config,
        from: null,
        to,
        accountId,
        ...(kept
          ? { store: { store, busy: () => pool.totalCount > pool.idleCount || pool.waitingCount > 0 } }
          : {}),
      });
      const description = { label: 'x', strategy: 'twap', config, configSource: null, from: null, to };
      return { record, report: buildRunReport(description, record) };
    };
    const inMemory = await run(false, 'bt_memory');
    const first = await run(true, 'bt_kept_1');
    expect(comparable(first.report)).toEqual(comparable(inMemory.report));
    expect(first.report.summary.filledQuantity).toEqual({ BTCUSDT: '0.3' });

    // The log holds every event of the run, for the audit trail.
    const logged = (await store.readAll()).filter((e) => e.type === 'OrderFilled');
    expect(logged.map((e) => (e.data as { execId: string }).execId)).toEqual(
      first.report.fills.map((f) => f.execId),
    );

    // A second run on the same kept log, in an account of its own, reports only itself.
    const second = await run(true, 'bt_kept_2');
    expect(comparable(second.report)).toEqual(comparable(inMemory.report));
    expect(second.report.fills.every((f) => !first.report.fills.some((g) => g.orderId === f.orderId))).toBe(
      true,
    );
  });
});
