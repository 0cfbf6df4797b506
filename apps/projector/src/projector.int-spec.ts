import { Decimal } from '@oms/domain';
import { PostgresEventStore } from '@oms/event-store';
import { DataSource } from 'typeorm';
import { TestDatabase, createTestDatabase } from '../../../libs/event-store/src/testing/test-database';
import { OrderCommands } from '../../api/src/commands/order-commands';
import { fixedPrices } from '../../api/test/fixed-prices';
import { orderStream } from '../../api/src/commands/streams';
import { seedDemo } from '../../api/src/runtime/demo-seed';
import { READ_MODEL_PROJECTIONS, Projection } from './projections';
import { Projector } from './projector';

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
    async apply(tx, events, changes) {
      const dieAt = n - applied; // 1-based within this call
      applied += events.length;
      if (dieAt >= 1 && dieAt <= events.length) {
        // What was applied before the n-th event is in the same transaction, and dies with it.
        if (dieAt > 1) await p.apply(tx, events.slice(0, dieAt - 1), changes);
        throw new Killed(`killed at event ${n}`);
      }
      await p.apply(tx, events, changes);
    },
  }));
}

describe('projector killed at any point, then restarted', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  let commands: OrderCommands | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = new PostgresEventStore({ connectionString: database.connectionString });
    dataSource = await new DataSource({ type: 'postgres', url: database.connectionString }).initialize();
    // A history with every kind of change: accepted and rejected orders, cancels, fills, limits, a halt.
    const prices = fixedPrices();
    commands = new OrderCommands(store, prices);
    await seedDemo(commands);
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
        await commands.withAccount('demo', ctx, () => ({
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
        }));
      }
    }
    await commands.haltTrading('ACCOUNT', 'demo', 'end of test', ctx);
  });

  afterAll(async () => {
    await commands?.stop();
    await dataSource?.destroy();
    await store?.close();
    await database?.drop();
  });

  async function reset(): Promise<void> {
    await dataSource.query(`TRUNCATE ${TABLES.join(', ')}, rm_checkpoints`);
  }

  async function projectAll(projections = READ_MODEL_PROJECTIONS): Promise<Projector> {
    // Small batches, so a kill lands after some batches have committed and inside a later one.
    const projector = new Projector(store, dataSource, projections, { batchSize: 4 });
    await projector.start();
    return projector;
  }

  it('killed at the first, the last and every fifth event, it always restarts to the full replay', async () => {
    await reset();
    const full = await projectAll();
    await full.whenCaughtUp();
    await full.stop();
    const expected = await readModel(dataSource);
    expect(expected.rm_orders.length).toBe(12);
    expect(expected.rm_positions.length).toBe(1);

    const handled = new Set(READ_MODEL_PROJECTIONS.flatMap((p) => p.canHandle));
    const total = (await store.readAll()).filter((e) => handled.has(e.type)).length;
    expect(total).toBeGreaterThan(20);
    const killPoints = [1, 2, ...Array.from({ length: Math.floor(total / 5) }, (_, i) => (i + 1) * 5), total];
    for (const n of killPoints) {
      await reset();
      const dying = await projectAll(dyingAfter(n));
      await expect(dying.done).rejects.toBeInstanceOf(Killed);
      await dying.stop(); // what the process's exit does: its session, and with it the lock, ends
      const restarted = await projectAll();
      await restarted.whenCaughtUp();
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
    const dataSource = await new DataSource({
      type: 'postgres',
      url: database.connectionString,
    }).initialize();
    try {
      const prices = fixedPrices();
      await seedDemo(new OrderCommands(store, prices));
      const first = new Projector(store, dataSource, READ_MODEL_PROJECTIONS);
      const second = new Projector(store, dataSource, READ_MODEL_PROJECTIONS);
      await first.start();
      await first.whenCaughtUp();
      await second.start();
      await second.whenReadyOrStandby();
      expect([first.isCaughtUp, second.isStandby]).toEqual([true, true]);
      await first.stop();
      await second.whenCaughtUp(); // took the lock on its next try
      expect(second.isStandby).toBe(false);
      await second.stop();
    } finally {
      await dataSource.destroy();
      await store.close();
      await database.drop();
    }
  });
});
