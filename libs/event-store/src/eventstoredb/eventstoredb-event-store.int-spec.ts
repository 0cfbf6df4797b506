import { notRun } from '../../../../test/not-run';
import { describeEventStoreContract } from '../testing/event-store-contract';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

/**
 * The contract against a real EventStoreDB when EVENTSTORE_CONNECTION_STRING points at one (for example
 * `docker compose up eventstore` and `esdb://localhost:2113?tls=false`). Without it the run says so.
 */
const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;

if (connectionString) {
  describeEventStoreContract(`EventStoreDB (${connectionString})`, async () => {
    const store = EventStoreDbEventStore.connect(connectionString);
    return { store, close: () => store.close() };
  });
} else {
  describe('event store contract: EventStoreDB', () => {
    notRun(
      'EventStoreDB contract suite',
      'EVENTSTORE_CONNECTION_STRING is not set (no EventStoreDB server on this machine; the mapping unit tests in eventstoredb/mapping.spec.ts did run)',
    );
  });
}
