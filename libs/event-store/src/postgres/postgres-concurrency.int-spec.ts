import { randomUUID } from 'crypto';
import { Client } from 'pg';
import { GlobalPosition, NO_STREAM, RecordedEvent, comparePositions } from '../event-store';
import { TestDatabase, createTestDatabase } from '../testing/test-database';
import { waitUntil } from '../../../../test/wait-for';
import { PostgresEventStore } from './postgres-event-store';

jest.setTimeout(60_000);

const metadata = JSON.stringify({ correlationId: 'c', causationId: null, actor: 'test' });
const tick = (data: unknown = {}) => ({ type: 'Tick', data, metadata: JSON.parse(metadata) });

interface OpenAppend {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/**
 * An append through the same SQL path as the store, inside a transaction the test controls: the
 * events are written (the transaction has its id) and wait, uncommitted, until the test commits or
 * rolls back — a slow writer whose events commit after later ones, or one that never commits.
 */
async function appendInOpenTransaction(
  connectionString: string,
  stream: string,
  ids: string[],
): Promise<OpenAppend> {
  const client = new Client({ connectionString });
  client.on('error', () => undefined); // ended under it when a failed test drops the database
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT * FROM es_append($1, $2, $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])', [
    stream,
    'no_stream',
    ids,
    ids.map(() => 'Tick'),
    ids.map((id) => JSON.stringify({ id })),
    ids.map(() => metadata),
  ]);
  const end = async (statement: string) => {
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  return { commit: () => end('COMMIT'), rollback: () => end('ROLLBACK') };
}

/** Records the waits a subscription's store starts: how long it means to sleep before reading again. */
function recordWaits(store: PostgresEventStore): number[] {
  const waits: number[] = [];
  const target = store as unknown as {
    waitForAppends(watcher: unknown, wait: number, n: number): Promise<void>;
  };
  const original = target.waitForAppends.bind(store);
  jest.spyOn(target, 'waitForAppends').mockImplementation((watcher, wait, n) => {
    waits.push(wait);
    return original(watcher, wait, n);
  });
  return waits;
}

describe('PostgreSQL event store under concurrency', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(() => database.drop());

  it('delivers every committed event exactly once, in position order, with slow and rolled-back writers', async () => {
    const store = new PostgresEventStore({ connectionString: database.connectionString });
    const delivered: RecordedEvent[] = [];
    const subscription = store.subscribeToAll(
      { filter: { streamCategories: ['conc'] }, batchSize: 17 },
      async (events) => {
        delivered.push(...events);
      },
    );
    await subscription.caughtUp;

    const committed = new Set<string>();
    const rolledBack = new Set<string>();
    const appendNow = async (stream: string, ids: string[]) => {
      await store.appendToStream(
        stream,
        ids.map((id) => ({ eventId: id, ...tick({ id }) })),
        NO_STREAM,
      );
      ids.forEach((id) => committed.add(id));
    };
    const writers = Array.from({ length: 16 }, async (_, w) => {
      for (let round = 0; round < 6; round++) {
        const stream = `conc-${w}x${round}`;
        const ids = Array.from({ length: 1 + ((w + round) % 3) }, () => randomUUID());
        const kind = (w + round) % 5;
        if (kind === 0 || kind === 1) {
          // A slow writer: a later transaction commits while it is open; then it commits or rolls back.
          const open = await appendInOpenTransaction(database.connectionString, stream, ids);
          await appendNow(`${stream}-meanwhile`, [randomUUID()]);
          if (kind === 0) {
            await open.commit();
            ids.forEach((id) => committed.add(id));
          } else {
            await open.rollback();
            ids.forEach((id) => rolledBack.add(id));
          }
        } else {
          await appendNow(stream, ids);
        }
      }
    });
    await Promise.all(writers);
    // A last event after every writer has ended: delivered in log order, it comes after anything
    // else the subscriber would ever get (a duplicate, a rolled-back event).
    const sentinel = randomUUID();
    await store.appendToStream('conc-sentinel', [{ eventId: sentinel, ...tick() }], NO_STREAM);
    await waitUntil(() => delivered.some((e) => e.eventId === sentinel), 'the sentinel event delivered');
    await subscription.stop();
    await store.close();

    const ids = delivered.map((e) => e.eventId).filter((id) => id !== sentinel);
    expect(new Set(ids).size).toBe(ids.length); // exactly once
    expect(new Set(ids)).toEqual(committed); // none skipped, none rolled back
    expect(ids.filter((id) => rolledBack.has(id))).toEqual([]);
    for (let i = 1; i < delivered.length; i++) {
      expect(comparePositions(delivered[i - 1].position, delivered[i].position)).toBe(-1);
    }
  });

  it('a filtered subscriber moves past what it skips, yet gets a match that commits late', async () => {
    const store = new PostgresEventStore({ connectionString: database.connectionString });
    const reads: GlobalPosition[] = [];
    const reader = store as unknown as { readPage(from: GlobalPosition, ...rest: unknown[]): unknown };
    const readPage = reader.readPage.bind(store);
    jest.spyOn(reader, 'readPage').mockImplementation((from, ...rest) => {
      reads.push(from);
      return readPage(from, ...rest);
    });
    const delivered: RecordedEvent[] = [];
    const subscription = store.subscribeToAll(
      { filter: { streamCategories: ['wanted'] } },
      async (events) => {
        delivered.push(...events);
      },
    );
    await subscription.caughtUp;

    // The match's transaction starts first (older id, earlier in the log) and commits after the noise.
    const late = randomUUID();
    const slow = await appendInOpenTransaction(database.connectionString, 'wanted-late', [late]);
    let lastNoise: GlobalPosition = { commit: 0n, prepare: 0n };
    for (let i = 0; i < 50; i++) {
      lastNoise = (await store.appendToStream(`noise-${i}`, [tick({ i })], NO_STREAM)).position;
    }
    await slow.commit();
    await waitUntil(() => delivered.length >= 1, 'the late match delivered');
    // One more append wakes the subscriber: it reads on from where the last read looked, not from
    // its last match (which would be every noise event again on every wake).
    const readsBefore = reads.length;
    await store.appendToStream('noise-wake', [tick()], NO_STREAM);
    await waitUntil(() => reads.length > readsBefore, 'a read after the wake');

    expect(delivered.map((e) => e.eventId)).toEqual([late]);
    expect(comparePositions(reads[readsBefore], lastNoise)).toBeGreaterThanOrEqual(0);
    await subscription.stop();
    await store.close();
  });

  it('completes 1,000 concurrent appends right after connecting', async () => {
    const store = new PostgresEventStore({ connectionString: database.connectionString });
    const results = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => store.appendToStream(`burst-${i}`, [tick({ i })], NO_STREAM)),
    );
    expect(results.every((r) => r.nextExpectedRevision === 0n)).toBe(true);
    expect(await store.readAll({ filter: { streamCategories: ['burst'] } })).toHaveLength(1_000);
    await store.close();
  }, 60_000);
});

describe('PostgreSQL event store across transaction ids of different lengths', () => {
  it('orders by transaction id as a number (999 before 1000), in reads and subscriptions', async () => {
    const database = await createTestDatabase();
    const store = new PostgresEventStore({ connectionString: database.connectionString });
    const client = new Client({ connectionString: database.connectionString });
    await client.connect();
    try {
      // Burn transaction ids (one committed transaction each, server-side, without waiting for disk)
      // until the next one is a few below a power of ten, where text order and number order part.
      const { rows } = await client.query('SELECT pg_current_xact_id()::text AS xid');
      const current = Number(rows[0].xid);
      const burn = 10 ** String(current).length - current - 5;
      await client.query('SET synchronous_commit = off');
      await client.query(
        `DO $$ BEGIN FOR i IN 1..${burn} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`,
      );
      for (let i = 0; i < 12; i++) {
        await store.appendToStream(`digits-${i}`, [tick({ i })], NO_STREAM);
      }
      const all = await store.readAll({ filter: { streamCategories: ['digits'] } });
      expect(all.map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      const digits = new Set(all.map((e) => e.position.commit.toString().length));
      expect(digits.size).toBeGreaterThan(1); // the ids really crossed a power of ten

      const seen: number[] = [];
      const subscription = store.subscribeToAll(
        { filter: { streamCategories: ['digits'] }, batchSize: 5 },
        async (events) => {
          seen.push(...events.map((e) => (e.data as { i: number }).i));
        },
      );
      await subscription.caughtUp;
      await subscription.stop();
      expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i));
    } finally {
      await client.end();
      await store.close();
      await database.drop();
    }
  });
});

/** Counts the subscription page reads the store sends from now on. */
function countPageReads(store: PostgresEventStore): () => number {
  const query = jest.spyOn(store.connectionPool, 'query');
  return () =>
    query.mock.calls.filter(([text]) => typeof text === 'string' && text.includes('WITH page AS')).length;
}

describe('PostgreSQL event store notices', () => {
  let database: TestDatabase;
  /** The safety wake is an hour away: whatever a subscriber reads here, a notice or a poll made it. */
  const NO_SAFETY_WAKE = 3_600_000;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(() => database.drop());

  it('a filtered subscription sleeps through commits it cannot match, and wakes for one it can', async () => {
    const store = new PostgresEventStore({
      connectionString: database.connectionString,
      idleWakeMs: NO_SAFETY_WAKE,
    });
    const delivered: RecordedEvent[] = [];
    const waits = recordWaits(store);
    const subscription = store.subscribeToAll({ filter: { streamCategories: ['quiet'] } }, async (events) => {
      delivered.push(...events);
    });
    await subscription.caughtUp;
    await waitUntil(() => waits.length > 0, 'the subscription asleep, waiting for appends');
    // Its store listens from the first wait on: probe until a notice is heard.
    let probes = 0;
    await waitUntil(() => {
      if (store.noticesHeard > 0) return true;
      if (probes++ % 20 === 0) void store.appendToStream(`probe-${randomUUID()}`, [tick()], NO_STREAM);
      return false;
    }, 'the store listening for notices');
    const pageReads = countPageReads(store);
    const heardBefore = store.noticesHeard;
    for (let i = 0; i < 20; i++) await store.appendToStream(`noise-${randomUUID()}`, [tick()], NO_STREAM);
    await waitUntil(() => store.noticesHeard >= heardBefore + 20, 'the twenty noise notices heard');

    await store.appendToStream(`quiet-${randomUUID()}`, [tick()], NO_STREAM);
    // Woken by the notice (the safety wake is an hour away), and only by this one: one read.
    await waitUntil(() => delivered.length === 1, 'the quiet event delivered after its notice');
    expect(pageReads()).toBe(1);
    await subscription.stop();
    await store.close();
  });

  it('a filtered subscription polls only while events it wants are held back', async () => {
    const store = new PostgresEventStore({
      connectionString: database.connectionString,
      idleWakeMs: NO_SAFETY_WAKE,
      heldBackPollMs: 20,
    });
    const delivered: RecordedEvent[] = [];
    const waits = recordWaits(store);
    /** How many waits had begun when each batch was delivered. */
    const waitsAtDelivery: number[] = [];
    const subscription = store.subscribeToAll(
      { filter: { streamCategories: ['wanted'] } },
      async (events) => {
        delivered.push(...events);
        waitsAtDelivery.push(waits.length);
      },
    );
    await subscription.caughtUp;

    // The wanted event's transaction is older than the open one, so it is below the horizon when it
    // commits; the noise committed after the open transaction began stays held back until it ends.
    const wanted = randomUUID();
    const wantedWrite = await appendInOpenTransaction(database.connectionString, 'wanted-early', [wanted]);
    const holder = await appendInOpenTransaction(database.connectionString, 'other-holder', [randomUUID()]);
    for (let i = 0; i < 10; i++)
      await store.appendToStream(`noise-${randomUUID()}`, [tick({ i })], NO_STREAM);
    await wantedWrite.commit();
    await waitUntil(() => delivered.length === 1, 'the wanted event delivered');
    expect(delivered.map((e) => e.eventId)).toEqual([wanted]);
    // Held back is only noise it does not want: it sleeps until the next notice, it does not poll.
    await waitUntil(() => waits.length > waitsAtDelivery[0], 'the subscription asleep after the delivery');
    expect(waits[waitsAtDelivery[0]]).toBe(NO_SAFETY_WAKE);
    await holder.rollback();

    // A held-back event it wants is polled for: its holder rolls back, which notifies no one.
    const blocker = await appendInOpenTransaction(database.connectionString, 'other-blocker', [randomUUID()]);
    const waitsBefore = waits.length;
    const late = await store.appendToStream(`wanted-${randomUUID()}`, [tick()], NO_STREAM);
    await waitUntil(
      () => waits.slice(waitsBefore).includes(20),
      'the subscription polling for its held-back event',
    );
    await blocker.rollback();
    // Found by the short poll: no notice comes, and the safety wake is an hour away.
    await waitUntil(() => delivered.length === 2, 'the held-back event delivered after its holder ended');
    expect(comparePositions(delivered[1].position, late.position)).toBe(0);
    await subscription.stop();
    await store.close();
  });
});
