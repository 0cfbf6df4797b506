import { describeEventStoreContract } from '../testing/event-store-contract';
import { MemoryEventStore } from './memory-event-store';

describeEventStoreContract('in-memory', async () => {
  const store = new MemoryEventStore();
  return { store, close: () => store.close() };
});
