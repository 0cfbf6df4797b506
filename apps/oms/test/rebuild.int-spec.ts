import { ActiveInstanceLock, PlaceOrderRequest, PostgresCheckpoints } from '@oms/application';
import { Decimal } from '@oms/domain';
import { PostgresEventStore } from '@oms/event-store';
import { TestDatabase } from '@oms/event-store/testing/test-database';
import { silentLogger, systemClock } from '@oms/platform';
import { Projector, READ_MODEL_PROJECTIONS, READ_MODEL_TABLES, ReadModelRebuild } from '@oms/projector';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { TestCommands } from './command-bus';
import { TestWorld, openTestWorld } from './world';

jest.setTimeout(60_000);

const ctx = { actor: 'test', correlationId: 'rebuild-test' };
const order = (clientOrderId: string, quantity = '0.1'): PlaceOrderRequest => ({
  accountId: 'demo',
  clientOrderId,
  instrumentId: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  quantity: Decimal.parse(quantity),
  limitPrice: Decimal.parse('9650'),
  timeInForce: 'DAY',
  venueId: null,
});

async function readModel(dataSource: DataSource): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const table of READ_MODEL_TABLES)
    dump[table] = await dataSource.query(`SELECT * FROM ${table} ORDER BY 1, 2`);
  return dump;
}

describe('read-model rebuild', () => {
  let world: TestWorld | undefined;
  let database: TestDatabase;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  let commands: TestCommands;
  let live: Projector;

  beforeAll(async () => {
    world = await openTestWorld();
    ({ database, store, dataSource, commands } = world);
    for (let i = 0; i < 8; i++) {
      const placed = await commands.placeOrder(order(`r-${i}`, i === 3 ? '50' : '0.1'), ctx);
      if (i % 3 === 0 && placed.accepted) await commands.cancelOrder(placed.order.terms.orderId, null, ctx);
    }
    live = new Projector(
      {
        store,
        checkpoints: new PostgresCheckpoints(dataSource),
        lock: new ActiveInstanceLock(dataSource, 'oms-projection:read-models'),
        clock: systemClock,
        logger: silentLogger,
      },
      READ_MODEL_PROJECTIONS,
    );
    await live.start();
    await live.processor.whenCaughtUp();
  });

  afterAll(async () => {
    await live?.stop();
    await world?.close();
  });

  it('replays into fresh tables and switches them in under a running projector and a busy reader', async () => {
    const expected = await readModel(dataSource);
    expect(expected.rm_orders).toHaveLength(8);
    // A bug (or a hand edit) damaged the live read model; the log is intact.
    await dataSource.query(`UPDATE rm_orders SET status = 'DAMAGED'`);
    await dataSource.query(`DELETE FROM rm_risk_limits`);
    expect(await readModel(dataSource)).not.toEqual(expected);

    // A reader holds the orders table when the switch is first tried; the switch waits its turn.
    const reader = new Client({ connectionString: database.connectionString });
    await reader.connect();
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM rm_orders');
    const progress: number[] = [];
    let during: Promise<unknown> = Promise.resolve();
    const rebuild = new ReadModelRebuild(store, database.connectionString, systemClock, silentLogger);
    const result = await rebuild.run((p) => {
      progress.push(p.events);
      // Progress is last reported when the replay has stopped: an order placed now reaches only the
      // old tables (the live projector moves on), and the reader lets go only later.
      during = commands.placeOrder(order('r-during'), ctx);
      setTimeout(() => void reader.query('COMMIT'), 300);
    });
    await during;
    await reader.end();

    expect(result.swapAttempts).toBeGreaterThan(1);
    expect(progress[progress.length - 1]).toBe(result.events);
    expect(result.rows.rm_orders).toBe(8);
    // The replay's tables, switched in. The live projector may already have carried the order placed
    // during the switch into them (on a busy machine it gets there first): that row is its, not the replay's.
    const switched = await readModel(dataSource);
    switched.rm_orders = switched.rm_orders.filter(
      (row) => (row as { client_order_id: string }).client_order_id !== 'r-during',
    );
    expect(switched).toEqual(expected);
    // The switched-in tables carry the migration's index names, and nothing is left behind.
    const indexes = (await dataSource.query(
      `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'rm_orders' ORDER BY 1`,
    )) as { indexname: string }[];
    expect(indexes.map((i) => i.indexname)).toEqual([
      'rm_orders_account_created',
      'rm_orders_pkey',
      'rm_orders_status',
    ]);
    const schemas = (await dataSource.query(
      `SELECT nspname FROM pg_namespace WHERE nspname IN ('rm_rebuild', 'rm_retired')`,
    )) as unknown[];
    expect(schemas).toEqual([]);

    // The live projector finds its checkpoint moved back and carries on from it into the new tables:
    // the order placed during the switch and the next one, once each.
    const placed = await commands.placeOrder(order('r-after'), ctx);
    const deadline = Date.now() + 10_000;
    let rows: { order_id: string }[] = [];
    while (Date.now() < deadline) {
      rows = (await dataSource.query(`SELECT order_id FROM rm_orders`)) as { order_id: string }[];
      if (rows.some((r) => r.order_id === placed.order.terms.orderId)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(rows).toHaveLength(10);
    expect(live.processor.status).toBe('live');
  });
});
