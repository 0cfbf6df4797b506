import { createTestDatabase } from '../testing/test-database';
import { describeEventStoreContract } from '../testing/event-store-contract';
import { PostgresEventStore } from './postgres-event-store';

describeEventStoreContract('PostgreSQL', async () => {
  const database = await createTestDatabase();
  const store = new PostgresEventStore({ connectionString: database.connectionString });
  return {
    store,
    async close() {
      await store.close();
      await database.drop();
    },
  };
});
