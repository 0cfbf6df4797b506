import { PostgresAuditChain } from '@oms/event-store';
import { Decimal } from '@oms/domain';
import { TestWorld, openTestWorld } from './world';

jest.setTimeout(60_000);

/**
 * The tamper-evident log (issue 13): every event chained in log order; a row changed, deleted,
 * inserted or moved directly in SQL is found at its position, and said which.
 */
describe('the audit chain over the PostgreSQL event log', () => {
  let world: TestWorld;
  let chain: PostgresAuditChain;
  let positions: string[];

  beforeEach(async () => {
    world = await openTestWorld();
    chain = new PostgresAuditChain(world.store);
    // More than ten events: positions and sequence numbers must sort as numbers, not as text.
    for (const clientOrderId of ['chain-1', 'chain-2', 'chain-3', 'chain-4', 'chain-5', 'chain-6']) {
      await world.commands.placeOrder(
        {
          accountId: 'demo',
          clientOrderId,
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          type: 'LIMIT',
          quantity: Decimal.parse('0.01'),
          limitPrice: Decimal.parse('9600'),
          timeInForce: 'GTC',
          venueId: null,
        },
        { actor: 'user:test', correlationId: 'chain' },
      );
    }
    while ((await chain.extend(7)) > 0); // in several steps, as it runs
    const { rows } = await world.store.connectionPool.query<{ position: string }>(
      `SELECT position::text FROM es_events WHERE type = 'OrderAccepted' ORDER BY position`,
    );
    positions = rows.map((r) => r.position);
  });

  afterEach(async () => {
    await world.close();
  });

  const sql = (text: string, values: unknown[] = []) => world.store.connectionPool.query(text, values);
  const at = async (position: string) =>
    (await sql(`SELECT transaction_id::text AS tx FROM es_events WHERE position = $1`, [position])).rows[0]
      ?.tx;

  it('an untouched log verifies, and its head can be anchored elsewhere', async () => {
    const result = await chain.verify();
    expect(result).toMatchObject({ ok: true, problem: null });
    expect(result.checked).toBeGreaterThan(10);
    expect(await chain.anchor()).toEqual(result.head);
  });

  it('a row changed in SQL: altered, at its position', async () => {
    await sql(`UPDATE es_events SET data = jsonb_set(data, '{quantity}', '"9"') WHERE position = $1`, [
      positions[1],
    ]);
    const result = await chain.verify();
    expect(result.problem).toMatchObject({
      kind: 'altered',
      position: expect.stringContaining(positions[1]),
    });
  });

  it('a row deleted in SQL: deleted, at its position', async () => {
    await sql(`DELETE FROM es_events WHERE position = $1`, [positions[0]]);
    expect((await chain.verify()).problem).toMatchObject({
      kind: 'deleted',
      position: expect.stringContaining(positions[0]),
    });
  });

  it('a row inserted among chained ones: inserted', async () => {
    const tx = await at(positions[1]);
    await sql(
      `INSERT INTO es_events (transaction_id, stream_name, revision, event_id, type, data, metadata)
       VALUES ($1::text::xid8, 'order-forged', 0, gen_random_uuid(), 'OrderAccepted', '{}'::jsonb, '{}'::jsonb)`,
      [tx],
    );
    expect((await chain.verify()).problem).toMatchObject({ kind: 'inserted' });
  });

  it('a row moved to another place in the log: reordered', async () => {
    const later = await at(positions[2]);
    await sql(`UPDATE es_events SET transaction_id = $1::text::xid8 WHERE position = $2`, [
      later,
      positions[0],
    ]);
    expect((await chain.verify()).problem).toMatchObject({ kind: 'reordered' });
  });

  it('a row forged with a transaction id from the future: inserted', async () => {
    await sql(
      `INSERT INTO es_events (transaction_id, stream_name, revision, event_id, type, data, metadata)
       VALUES ('1000000000000'::xid8, 'order-forged', 0, gen_random_uuid(), 'OrderCanceled', '{}'::jsonb, '{}'::jsonb)`,
    );
    expect((await chain.verify()).problem).toMatchObject({ kind: 'inserted' });
  });

  it('the head row moved later in the log: reordered', async () => {
    const { rows } = await sql(`SELECT position::text AS p FROM es_chain ORDER BY es_chain.seq DESC LIMIT 1`);
    const { rows: tx } = await sql(`SELECT pg_current_xact_id()::text AS tx`);
    await sql(`UPDATE es_events SET transaction_id = $1::text::xid8 WHERE position = $2`, [
      tx[0].tx,
      rows[0].p,
    ]);
    expect((await chain.verify()).problem).toMatchObject({ kind: 'reordered' });
  });

  it('rows and chain rewritten together: found against an anchor kept elsewhere', async () => {
    const anchor = (await chain.anchor())!;
    await sql(`UPDATE es_events SET data = jsonb_set(data, '{quantity}', '"9"') WHERE position = $1`, [
      positions[1],
    ]);
    await sql(`DELETE FROM es_chain WHERE position >= $1`, [positions[1]]);
    while ((await chain.extend()) > 0); // re-chained over the altered row
    expect((await chain.verify()).ok).toBe(true);
    expect((await chain.verify({ count: anchor.count, hash: anchor.hash })).problem).toMatchObject({
      kind: 'rewritten',
    });
  });
});
