import { ActiveInstanceLock, PostgresCheckpoints, metadataOf, orderStream } from '@oms/application';
import { Decimal } from '@oms/domain';
import { PostgresEventStore } from '@oms/event-store';
import { createTestDatabase } from '@oms/event-store/testing/test-database';
import { silentLogger, systemClock } from '@oms/platform';
import { Projection, Projector, READ_MODEL_PROJECTIONS } from '@oms/projector';
import { DataSource } from 'typeorm';
import { TestCommands, startCommands } from './command-bus';
import { TestWorld, openTestWorld } from './world';
import { testDataSource } from './data-source';

jest.setTimeout(60_000);

const TABLES = ['rm_orders', 'rm_fills', 'rm_positions', 'rm_risk_limits'];

async function readModel(dataSource: DataSource): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const table of TABLES) dump[table] = await dataSource.query(`SELECT * FROM ${table} ORDER BY 1, 2`);
  return dump;
}

class Killed extends Error {}

/** The same projections, except that the process "dies" while applying the n-th event. */
function dyingAfter(n: number): Projection[] {
  let applied = 0;
  return READ_MODEL_PROJECTIONS.map((p) => ({
    ...p,
    async applyBatch(tx, batch, changes) {
      const events = batch.filter((e) => p.canHandle.includes(e.type));
      const dieAt = n - applied; // 1-based within this call
      applied += events.length;
      if (dieAt >= 1 && dieAt <= events.length) {
        // What was applied before the n-th event is in the same transaction, and dies with it.
        if (dieAt > 1) await p.applyBatch(tx, events.slice(0, dieAt - 1), changes);
        throw new Killed(`killed at event ${n}`);
      }
      await p.applyBatch(tx, events, changes);
    },
  }));
}

/** A projector as the OMS runs it, on the test's database; `onFailure` sees every failed batch. */
function newProjector(
  store: PostgresEventStore,
  dataSource: DataSource,
  projections = READ_MODEL_PROJECTIONS,
  options: { batchSize?: number; onFailure?: (error: unknown) => void } = {},
): Projector {
  return new Projector(
    {
      store,
      checkpoints: new PostgresCheckpoints(dataSource),
      lock: new ActiveInstanceLock(dataSource, 'oms-projection:read-models'),
      clock: systemClock,
      logger: silentLogger,
    },
    projections,
    options,
  );
}

describe('projector killed at any point, then restarted', () => {
  let world: TestWorld | undefined;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  let commands: TestCommands;

  beforeAll(async () => {
    world = await openTestWorld();
    ({ store, dataSource, commands } = world);
    // A history with every kind of change: accepted and rejected orders, cancels, fills, limits, a halt.
    const ctx = { actor: 'test', correlationId: 'kill-test' };
    for (let i = 0; i < 12; i++) {
      const placed = await commands.placeOrder(
        {
          accountId: 'demo',
          clientOrderId: `k-${i}`,
          instrumentId: 'BTCUSDT',
          side: i % 2 ? 'SELL' : 'BUY',
          type: 'LIMIT',
          quantity: Decimal.parse(i === 5 ? '50' : '0.1'),
          limitPrice: Decimal.parse('9650'),
          timeInForce: 'DAY',
          venueId: null,
        },
        ctx,
      );
      const id = placed.order.terms.orderId;
      if (i % 3 === 0 && placed.accepted) await commands.cancelOrder(id, null, ctx);
      if (i % 3 === 1 && placed.accepted) {
        await store.appendToStream(
          orderStream(id),
          [
            {
              type: 'OrderFilled',
              data: {
                orderId: id,
                execId: `x${i}`,
                venueId: 'SIM-A',
                childId: null,
                quantity: '0.1',
                price: '9651.5',
                fee: '0.1',
                liquidity: 'TAKER',
                executedAt: new Date().toISOString(),
                cumQty: '0.1',
                leavesQty: '0',
                avgPx: '9651.5',
              },
              metadata: { correlationId: 'venue', causationId: null, actor: 'venue:SIM-A' },
            },
          ],
          0n,
        );
        await commands.side.accounts.decide(
          'demo',
          () => ({
            type: 'BookFill',
            data: {
              accountId: 'demo',
              orderId: id,
              execId: `x${i}`,
              instrumentId: 'BTCUSDT',
              side: i % 2 ? 'SELL' : 'BUY',
              quantity: '0.1',
              price: '9651.5',
              fee: '0.1',
              executedAt: new Date().toISOString(),
              sourceSequence: null,
            },
            metadata: { now: new Date() },
          }),
          metadataOf(ctx),
          false,
        );
      }
    }
    await commands.haltTrading('ACCOUNT', 'demo', 'end of test', ctx);
  });

  afterAll(() => world?.close());

  async function reset(): Promise<void> {
    await dataSource.query(`TRUNCATE ${TABLES.join(', ')}, rm_checkpoints`);
  }

  async function projectAll(
    projections = READ_MODEL_PROJECTIONS,
    onFailure?: (error: unknown) => void,
  ): Promise<Projector> {
    // Small batches, so a kill lands after some batches have committed and inside a later one.
    const projector = newProjector(store, dataSource, projections, { batchSize: 4, onFailure });
    await projector.start();
    return projector;
  }

  it('killed at the first, the last and every fifth event, it always restarts to the full replay', async () => {
    await reset();
    const full = await projectAll();
    await full.processor.whenCaughtUp();
    await full.stop();
    const expected = await readModel(dataSource);
    expect(expected.rm_orders.length).toBe(12);
    expect(expected.rm_positions.length).toBe(1);

    const handled = new Set<string>(READ_MODEL_PROJECTIONS.flatMap((p) => p.canHandle));
    const total = (await store.readAll()).filter((e) => handled.has(e.type)).length;
    expect(total).toBeGreaterThan(20);
    const killPoints = [1, 2, ...Array.from({ length: Math.floor(total / 5) }, (_, i) => (i + 1) * 5), total];
    for (const n of killPoints) {
      await reset();
      let killed!: (error: unknown) => void;
      const died = new Promise<unknown>((resolve) => (killed = resolve));
      const dying = await projectAll(dyingAfter(n), killed);
      await expect(died).resolves.toBeInstanceOf(Killed);
      await dying.stop(); // what the process's exit does: its session, and with it the lock, ends
      const restarted = await projectAll();
      await restarted.processor.whenCaughtUp();
      await restarted.stop();
      expect({ killedAt: n, readModel: await readModel(dataSource) }).toEqual({
        killedAt: n,
        readModel: expected,
      });
    }
  });
});

describe('one active projector per projection', () => {
  it('a second instance stands by and takes over when the first stops', async () => {
    const database = await createTestDatabase();
    const store = new PostgresEventStore({ connectionString: database.connectionString });
    const dataSource = await testDataSource(database.connectionString);
    const commands = await startCommands(store);
    try {
      await commands.seedDemo();
      const first = newProjector(store, dataSource);
      const second = newProjector(store, dataSource);
      await first.start();
      await first.processor.whenCaughtUp();
      await second.start();
      await second.processor.whenReady();
      expect([first.processor.status, second.processor.status]).toEqual(['live', 'standby']);
      await first.stop();
      await second.processor.whenCaughtUp(); // took the lock on its next try
      expect(second.processor.status).toBe('live');
      await second.stop();
    } finally {
      await commands.stop();
      await dataSource.destroy();
      await store.close();
      await database.drop();
    }
  });
});
