import { START } from '@oms/event-store';
import { TestDatabase, createTestDatabase } from '@oms/event-store/testing/test-database';
import { READ_MODEL_ENTITIES } from '@oms/read-models';
import { DataSource } from 'typeorm';
import { CheckpointMoved, PostgresCheckpoints } from './checkpoints';

describe('checkpoints in PostgreSQL, moved by compare-and-set', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeEach(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource({
      type: 'postgres',
      url: database.connectionString,
      entities: READ_MODEL_ENTITIES,
    }).initialize();
  });

  afterEach(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  const at = (n: bigint) => ({ commit: n, prepare: n });

  it('moves from where it is, with the batch’s write, and refuses to move from anywhere else', async () => {
    const checkpoints = new PostgresCheckpoints(dataSource);
    await checkpoints.commit('p', START, at(5n));
    await checkpoints.commit('p', at(5n), at(9n));
    await expect(checkpoints.commit('p', at(5n), at(12n))).rejects.toBeInstanceOf(CheckpointMoved);
    expect(await checkpoints.load('p')).toEqual(at(9n));
  });

  it('a first batch refuses a checkpoint another instance (or a rebuild) already wrote, and writes nothing', async () => {
    const checkpoints = new PostgresCheckpoints(dataSource);
    await checkpoints.commit('p', START, at(10n)); // the other instance, first
    let wrote = false;
    await expect(
      checkpoints.commit('p', START, at(5n), async (tx) => {
        wrote = true;
        await tx.query(
          `INSERT INTO rm_risk_limits (account_id, halted, updated_at) VALUES ('x', false, now())`,
        );
      }),
    ).rejects.toBeInstanceOf(CheckpointMoved);
    expect(wrote).toBe(true); // it ran, inside the transaction that rolled back
    expect(await checkpoints.load('p')).toEqual(at(10n));
    expect(await dataSource.query(`SELECT account_id FROM rm_risk_limits`)).toEqual([]);
  });
});
