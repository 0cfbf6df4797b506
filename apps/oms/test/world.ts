import { ReferencePriceSource } from '@oms/application';
import { PostgresEventStore } from '@oms/event-store';
import { TestDatabase, createTestDatabase } from '@oms/event-store/testing/test-database';
import { Clock } from '@oms/platform';
import { DataSource } from 'typeorm';
import { TestCommands, startCommands } from './command-bus';
import { testDataSource } from './data-source';

/** A fresh database with the demo seeded, its event store, a TypeORM connection and the command side. */
export interface TestWorld {
  database: TestDatabase;
  store: PostgresEventStore;
  dataSource: DataSource;
  commands: TestCommands;
  /** Stops the command side, closes the connections and drops the database. */
  close(): Promise<void>;
}

export async function openTestWorld(
  options: { prices?: ReferencePriceSource; clock?: Clock } = {},
): Promise<TestWorld> {
  const database = await createTestDatabase();
  const store = new PostgresEventStore({ connectionString: database.connectionString });
  const dataSource = await testDataSource(database.connectionString);
  const commands = await startCommands(store, options);
  await commands.seedDemo();
  return {
    database,
    store,
    dataSource,
    commands,
    async close() {
      await commands.stop();
      await dataSource.destroy();
      await store.close();
      await database.drop();
    },
  };
}
