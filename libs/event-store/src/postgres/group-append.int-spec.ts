import { randomUUID } from 'crypto';
import { Client } from 'pg';
import { TestDatabase, createTestDatabase } from '../testing/test-database';

/**
 * `es_append_many` decides a whole group at once. These tests call it directly with groups the store
 * builds under load (several appends to one stream, failures beside successes, retried ids, a race on
 * an id) and check each append's outcome and what the log and the stream table hold afterwards.
 */
interface Append {
  stream: string;
  expected: string;
  ids: string[];
  /** The atomic unit it belongs to; its own by default. */
  unit?: number;
}

interface Outcome {
  ordinal: number;
  outcome: string;
  revision: string | null;
  last_position: string | null;
  last_transaction: string | null;
  detail: string | null;
}

async function appendGroup(client: Client, group: Append[]): Promise<Outcome[]> {
  const ids = group.flatMap((a) => a.ids);
  const { rows } = await client.query<Outcome>(
    'SELECT * FROM es_append_many($1, $2, $3, $4, $5::uuid[], $6::text[], $7::jsonb[], $8::jsonb[])',
    [
      group.map((a) => a.stream),
      group.map((a) => a.expected),
      group.map((a) => a.ids.length),
      group.map((a, i) => a.unit ?? 1000 + i),
      ids,
      ids.map(() => 'Tick'),
      ids.map((id) => JSON.stringify({ id })),
      ids.map(() => JSON.stringify({ actor: 'test' })),
    ],
  );
  return rows;
}

const ids = (n: number) => Array.from({ length: n }, () => randomUUID());

/** Waits until the backend `pid` waits for a lock (our group, on the other's uncommitted id). */
async function waitUntilBlocked(observer: Client, pid: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { rows } = await observer.query(
      'SELECT count(*)::int AS n FROM pg_locks WHERE pid = $1 AND NOT granted',
      [pid],
    );
    if (rows[0].n > 0) return;
    if (Date.now() > deadline) throw new Error(`within 15 s: backend ${pid} waiting on the other's id`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('PostgreSQL group append (es_append_many)', () => {
  let database: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new Client({ connectionString: database.connectionString });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  const streamRow = async (stream: string) =>
    (await client.query('SELECT revision FROM es_streams WHERE stream_name = $1', [stream])).rows[0]
      ?.revision;
  const stored = async (stream: string) =>
    (
      await client.query<{ revision: string; id: string }>(
        `SELECT revision, data->>'id' AS id FROM es_events WHERE stream_name = $1 ORDER BY revision`,
        [stream],
      )
    ).rows;

  it('decides each append against the revision the earlier appends of the group left', async () => {
    const first = ids(2);
    const second = ids(1);
    const existing = ids(1);
    await appendGroup(client, [{ stream: 'g1-existing', expected: 'no_stream', ids: existing }]);

    const outcomes = await appendGroup(client, [
      { stream: 'g1-a', expected: 'no_stream', ids: first },
      { stream: 'g1-a', expected: '1', ids: second },
      { stream: 'g1-a', expected: 'no_stream', ids: ids(1) },
      { stream: 'g1-existing', expected: 'any', ids: ids(1) },
      { stream: 'g1-existing', expected: '0', ids: ids(1) },
      { stream: 'g1-missing', expected: '5', ids: ids(1) },
      { stream: 'g1-missing2', expected: 'stream_exists', ids: ids(1) },
    ]);

    expect(outcomes.map((o) => [o.ordinal, o.outcome, o.revision, o.detail])).toEqual([
      [1, 'appended', '1', null],
      [2, 'appended', '2', null],
      [3, 'wrong_expected_version', null, '2'],
      [4, 'appended', '1', null],
      [5, 'wrong_expected_version', null, '1'],
      [6, 'wrong_expected_version', null, '-1'],
      [7, 'wrong_expected_version', null, '-1'],
    ]);
    // Later appends of the group come later in the log, and all of it is one transaction.
    expect(BigInt(outcomes[1].last_position!)).toBeGreaterThan(BigInt(outcomes[0].last_position!));
    expect(new Set(outcomes.filter((o) => o.last_transaction).map((o) => o.last_transaction)).size).toBe(1);
    expect(await stored('g1-a')).toEqual([
      { revision: '0', id: first[0] },
      { revision: '1', id: first[1] },
      { revision: '2', id: second[0] },
    ]);
    expect(await streamRow('g1-a')).toBe('2');
    expect(await streamRow('g1-existing')).toBe('1');
    // A stream whose only append failed is left as if nobody had tried.
    expect(await streamRow('g1-missing')).toBeUndefined();
    expect(await streamRow('g1-missing2')).toBeUndefined();
    expect(await appendGroup(client, [{ stream: 'g1-missing', expected: 'no_stream', ids: ids(1) }])).toEqual(
      [expect.objectContaining({ outcome: 'appended', revision: '0' })],
    );
  });

  it('answers a retried append as a duplicate while appending the rest of its group', async () => {
    const retried = ids(2);
    const [original] = await appendGroup(client, [{ stream: 'g2-a', expected: 'no_stream', ids: retried }]);

    const outcomes = await appendGroup(client, [
      { stream: 'g2-a', expected: 'no_stream', ids: retried },
      { stream: 'g2-b', expected: 'no_stream', ids: ids(1) },
      { stream: 'g2-c', expected: 'no_stream', ids: [retried[0], randomUUID()] },
    ]);

    expect(outcomes.map((o) => [o.outcome, o.revision])).toEqual([
      ['duplicate', '1'],
      ['appended', '0'],
      ['duplicate_event_id', null],
    ]);
    expect(outcomes[0].last_position).toBe(original.last_position);
    expect(await stored('g2-a')).toHaveLength(2);
    expect(await stored('g2-b')).toHaveLength(1);
    expect(await streamRow('g2-c')).toBeUndefined();
  });

  it('stores an id given twice in one group once', async () => {
    const same = ids(1);
    const outcomes = await appendGroup(client, [
      { stream: 'g3-a', expected: 'no_stream', ids: same },
      { stream: 'g3-a', expected: 'no_stream', ids: same },
    ]);

    expect(outcomes.map((o) => [o.outcome, o.revision])).toEqual([
      ['appended', '0'],
      ['duplicate', '0'],
    ]);
    expect(await stored('g3-a')).toHaveLength(1);
  });

  it('loses no append when another transaction commits one of its ids first', async () => {
    const contested = randomUUID();
    const other = new Client({ connectionString: database.connectionString });
    await other.connect();
    try {
      await other.query('BEGIN');
      await appendGroup(other, [{ stream: 'g4-first', expected: 'no_stream', ids: [contested] }]);

      // Our group cannot see the open transaction's id yet, so it takes the fast path, then waits on
      // the unique index; the other commits, and the group is decided again append by append.
      const ours = appendGroup(client, [
        { stream: 'g4-second', expected: 'no_stream', ids: [contested] },
        { stream: 'g4-third', expected: 'no_stream', ids: ids(1) },
      ]);
      await waitUntilBlocked(other, (client as unknown as { processID: number }).processID);
      await other.query('COMMIT');

      expect((await ours).map((o) => [o.outcome, o.revision])).toEqual([
        ['duplicate_event_id', null],
        ['appended', '0'],
      ]);
      expect(await stored('g4-first')).toEqual([{ revision: '0', id: contested }]);
      expect(await stored('g4-second')).toEqual([]);
      expect(await stored('g4-third')).toHaveLength(1);
    } finally {
      await other.end();
    }
  });

  it('writes an atomic unit whole or not at all, and decides the rest of the group without a failed one', async () => {
    await appendGroup(client, [{ stream: 'g5-account', expected: 'no_stream', ids: ids(1) }]);
    await appendGroup(client, [{ stream: 'g5-order-taken', expected: 'no_stream', ids: ids(1) }]);
    // Units 1 and 2 each reserve on the account (expected 0, then 1) with a new order; unit 1's order
    // stream exists, so unit 1 fails whole, and unit 2, decided again without it, conflicts on the
    // account; unit 3 expects what the account really is, and goes through with its check.
    const outcomes = await appendGroup(client, [
      { stream: 'g5-account', expected: '0', ids: ids(1), unit: 1 },
      { stream: 'g5-account', expected: '1', ids: ids(1), unit: 2 },
      { stream: 'g5-account', expected: '0', ids: ids(2), unit: 3 },
      { stream: 'g5-order-new', expected: 'no_stream', ids: ids(1), unit: 2 },
      { stream: 'g5-order-other', expected: 'no_stream', ids: [], unit: 3 },
      { stream: 'g5-order-taken', expected: 'no_stream', ids: ids(1), unit: 1 },
    ]);

    expect(outcomes.map((o) => [o.ordinal, o.outcome, o.revision, o.detail])).toEqual([
      [1, 'aborted', null, null],
      [2, 'wrong_expected_version', null, '0'],
      [3, 'appended', '2', null],
      [4, 'aborted', null, null],
      [5, 'checked', '-1', null],
      [6, 'wrong_expected_version', null, '0'],
    ]);
    expect(await stored('g5-account')).toHaveLength(3);
    expect(await streamRow('g5-order-new')).toBeUndefined();
    expect(await streamRow('g5-order-other')).toBeUndefined();
    expect(await stored('g5-order-taken')).toHaveLength(1);
  });

  it('writes units whole or not at all on the append-by-append path too (a retried id in the group)', async () => {
    const retried = ids(1);
    await appendGroup(client, [{ stream: 'g6-retried', expected: 'no_stream', ids: retried }]);
    await appendGroup(client, [{ stream: 'g6-taken', expected: 'no_stream', ids: ids(1) }]);

    const outcomes = await appendGroup(client, [
      { stream: 'g6-a', expected: 'no_stream', ids: ids(1), unit: 1 },
      { stream: 'g6-b', expected: 'no_stream', ids: ids(1), unit: 2 },
      { stream: 'g6-retried', expected: 'no_stream', ids: retried, unit: 3 },
      { stream: 'g6-taken', expected: 'no_stream', ids: ids(1), unit: 1 },
      { stream: 'g6-z', expected: 'no_stream', ids: ids(1), unit: 2 },
    ]);

    expect(outcomes.map((o) => [o.ordinal, o.outcome, o.revision])).toEqual([
      [1, 'aborted', null],
      [2, 'appended', '0'],
      [3, 'duplicate', '0'],
      [4, 'wrong_expected_version', null],
      [5, 'appended', '0'],
    ]);
    expect(await streamRow('g6-a')).toBeUndefined();
    expect(await stored('g6-b')).toHaveLength(1);
    expect(await stored('g6-z')).toHaveLength(1);
    expect(await stored('g6-taken')).toHaveLength(1);
  });
});
