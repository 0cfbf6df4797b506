import { createServer } from 'net';
import { notRun } from '../../../../test/not-run';
import { describeEventStoreContract } from '../testing/event-store-contract';
import { KurrentDbEventStore } from './kurrentdb-event-store';
import { KurrentDbUnavailable } from './mapping';

/**
 * The contract against a real KurrentDB (25.1 or later) when KURRENTDB_CONNECTION_STRING points at one
 * (for example `docker compose up kurrentdb` and `kurrentdb://localhost:2113?tls=false`). Without it
 * the run says so.
 */
const connectionString = process.env.KURRENTDB_CONNECTION_STRING;

if (connectionString) {
  describeEventStoreContract(`KurrentDB (${connectionString})`, async () => {
    const store = await KurrentDbEventStore.connect(connectionString);
    return { store, close: () => store.close() };
  });
} else {
  describe('event store contract: KurrentDB', () => {
    notRun(
      'KurrentDB contract suite',
      'KURRENTDB_CONNECTION_STRING is not set (no KurrentDB server on this machine; the mapping unit tests in kurrentdb/mapping.spec.ts did run)',
    );
  });
}

/** A port nothing listens on: taken from the OS, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('KurrentDB at start-up', () => {
  it('an unreachable server fails the start with a sentence, not a raw gRPC error', async () => {
    const port = await closedPort();
    const connecting = KurrentDbEventStore.connect(`kurrentdb://127.0.0.1:${port}?tls=false`);
    await expect(connecting).rejects.toBeInstanceOf(KurrentDbUnavailable);
    await expect(connecting).rejects.toThrow(/^KurrentDB cannot be reached \(/);
  });
});
