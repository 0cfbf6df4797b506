import { randomUUID } from 'crypto';
import { Client } from 'pg';
import { GlobalPosition, NO_STREAM, RecordedEvent, comparePositions } from '../event-store';
import { TestDatabase, createTestDatabase } from '../testing/test-database';
import { PostgresEventStore } from './postgres-event-store';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const metadata = JSON.stringify({ correlationId: 'c', causationId: null, actor: 'test' });

/**
 * An append through the same SQL path as the store, but inside a transaction the test controls: held
 * open for `holdMs` (a slow writer whose events commit after later ones), then committed or rolled back.
 */
async function appendInOpenTransaction(
  connectionString: string,
  stream: string,
  ids: string[],
  holdMs: number,
  outcome: 'commit' | 'rollback',
): Promise<void> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT * FROM es_append($1, $2, $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])', [
      stream,
      'no_stream',
      ids,
      ids.map(() => 'Tick'),
      ids.map((id) => JSON.stringify({ id })),
      ids.map(() => metadata),
    ]);
    await sleep(holdMs);
    await client.query(outcome === 'commit' ? 'COMMIT' : 'ROLLBACK');
  } finally {
    await client.end();
  }
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
    const writers = Array.from({ length: 16 }, async (_, w) => {
      for (let round = 0; round < 6; round++) {
        const stream = `conc-${w}x${round}`;
        const ids = Array.from({ length: 1 + ((w + round) % 3) }, () => randomUUID());
        const kind = (w + round) % 5;
        if (kind === 0) {
          await appendInOpenTransaction(database.connectionString, stream, ids, 150, 'commit');
          ids.forEach((id) => committed.add(id));
        } else if (kind === 1) {
          await appendInOpenTransaction(database.connectionString, stream, ids, 100, 'rollback');
          ids.forEach((id) => rolledBack.add(id));
        } else {
          await store.appendToStream(
            stream,
            ids.map((id) => ({ eventId: id, type: 'Tick', data: { id }, metadata: JSON.parse(metadata) })),
            NO_STREAM,
          );
          ids.forEach((id) => committed.add(id));
        }
      }
    });
    await Promise.all(writers);

    // No stall: everything committed arrives, although rolled-back transactions left gaps.
    const deadline = Date.now() + 15_000;
    while (delivered.length < committed.size && Date.now() < deadline) await sleep(10);
    await sleep(200); // anything extra (a duplicate or a rolled-back event) would show up now
    await subscription.stop();
    await store.close();

    const ids = delivered.map((e) => e.eventId);
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
    const slow = appendInOpenTransaction(database.connectionString, 'wanted-late', [late], 300, 'commit');
    await sleep(50);
    let lastNoise: GlobalPosition = { commit: 0n, prepare: 0n };
    for (let i = 0; i < 50; i++) {
      const result = await store.appendToStream(
        `noise-${i}`,
        [{ type: 'Tick', data: { i }, metadata: JSON.parse(metadata) }],
        NO_STREAM,
      );
      lastNoise = result.position;
    }
    await slow;
    const deadline = Date.now() + 5_000;
    while (delivered.length < 1 && Date.now() < deadline) await sleep(10);
    // One more append wakes the subscriber: it reads on from where the last read looked, not from
    // its last match (which would be every noise event again on every wake).
    const readsBefore = reads.length;
    await store.appendToStream(
      'noise-wake',
      [{ type: 'Tick', data: {}, metadata: JSON.parse(metadata) }],
      NO_STREAM,
    );
    while (reads.length === readsBefore && Date.now() < deadline) await sleep(10);

    expect(delivered.map((e) => e.eventId)).toEqual([late]);
    expect(comparePositions(reads[readsBefore], lastNoise)).toBeGreaterThanOrEqual(0);
    await subscription.stop();
    await store.close();
  });

  it('completes 1,000 concurrent appends right after connecting', async () => {
    const store = new PostgresEventStore({ connectionString: database.connectionString });
    const results = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        store.appendToStream(
          `burst-${i}`,
          [{ type: 'Tick', data: { i }, metadata: { correlationId: 'c', causationId: null, actor: 'test' } }],
          NO_STREAM,
        ),
      ),
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
      const metadata = { correlationId: 'c', causationId: null, actor: 'test' };
      for (let i = 0; i < 12; i++) {
        await store.appendToStream(`digits-${i}`, [{ type: 'Tick', data: { i }, metadata }], NO_STREAM);
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

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(() => database.drop());

  it('a filtered subscription sleeps through commits it cannot match, and wakes for one it can', async () => {
    const store = new PostgresEventStore({ connectionString: database.connectionString });
    const delivered: RecordedEvent[] = [];
    const subscription = store.subscribeToAll({ filter: { streamCategories: ['quiet'] } }, async (events) => {
      delivered.push(...events);
    });
    await subscription.caughtUp;
    await sleep(50); // listening, and asleep
    const pageReads = countPageReads(store);
    const event = { type: 'Tick', data: {}, metadata: { correlationId: 'c', causationId: null, actor: 't' } };
    for (let i = 0; i < 20; i++) await store.appendToStream(`noise-${randomUUID()}`, [event], NO_STREAM);
    await sleep(100);
    expect(pageReads()).toBe(0);

    const started = performance.now();
    await store.appendToStream(`quiet-${randomUUID()}`, [event], NO_STREAM);
    while (delivered.length === 0 && performance.now() - started < 900) await sleep(5);
    // Woken by the notice, not by the one-second safety timer.
    expect(delivered).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(900);
    expect(pageReads()).toBeGreaterThan(0);
    await subscription.stop();
    await store.close();
  });

  it('a filtered subscription polls only while events it wants are held back', async () => {
    const store = new PostgresEventStore({ connectionString: database.connectionString });
    const delivered: RecordedEvent[] = [];
    const subscription = store.subscribeToAll(
      { filter: { streamCategories: ['wanted'] } },
      async (events) => {
        delivered.push(...events);
      },
    );
    await subscription.caughtUp;
    await sleep(50);
    const pageReads = countPageReads(store);

    // The wanted event's transaction is older than the open one, so it is below the horizon when it
    // commits; the noise committed after the open transaction began stays held back until it ends.
    const wanted = randomUUID();
    const wantedWrite = appendInOpenTransaction(
      database.connectionString,
      'wanted-early',
      [wanted],
      100,
      'commit',
    );
    await sleep(20);
    const holder = appendInOpenTransaction(
      database.connectionString,
      'other-holder',
      [randomUUID()],
      900,
      'rollback',
    );
    await sleep(20);
    for (let i = 0; i < 10; i++) {
      await store.appendToStream(
        `noise-${randomUUID()}`,
        [{ type: 'Tick', data: { i }, metadata: JSON.parse(metadata) }],
        NO_STREAM,
      );
    }
    await wantedWrite;
    const deadline = Date.now() + 2_000;
    while (delivered.length === 0 && Date.now() < deadline) await sleep(5);
    expect(delivered.map((e) => e.eventId)).toEqual([wanted]);
    const readsAfterDelivery = pageReads();
    await sleep(500); // the open transaction still holds the noise back
    // Polling for held-back noise would read every 20 ms (about 25 times here).
    expect(pageReads() - readsAfterDelivery).toBeLessThanOrEqual(1);

    await holder;

    // A held-back event it wants is still polled for: its holder rolls back, which notifies no one.
    const blocker = appendInOpenTransaction(
      database.connectionString,
      'other-blocker',
      [randomUUID()],
      300,
      'rollback',
    );
    await sleep(20);
    const late = await store.appendToStream(
      `wanted-${randomUUID()}`,
      [{ type: 'Tick', data: {}, metadata: JSON.parse(metadata) }],
      NO_STREAM,
    );
    await blocker;
    const rolledBackAt = performance.now();
    while (delivered.length < 2 && performance.now() - rolledBackAt < 2_000) await sleep(5);
    expect(delivered).toHaveLength(2);
    expect(comparePositions(delivered[1].position, late.position)).toBe(0);
    // Found by the short poll, not by the one-second idle wake.
    expect(performance.now() - rolledBackAt).toBeLessThan(500);
    await subscription.stop();
    await store.close();
  });
});
