import { Client } from 'pg';
import { RunningOms, startOms } from './harness';

jest.setTimeout(90_000);

const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { accepted order { id status } }
}`;

interface Placed {
  placeOrder: { accepted: boolean; order: { id: string; status: string } };
}

/**
 * Backpressure instead of queues: past the intake limit of orders accepted and not yet taken by the
 * execution gateway, a new order is refused at once with a retryable OVERLOADED and nothing is
 * recorded; cancels are never refused; once the gateway takes the backlog, orders go in again. This
 * OMS runs without a gateway, so the test moves the gateway's checkpoint itself.
 */
describe('the intake limit (GraphQL end to end)', () => {
  let oms: RunningOms & { database: { connectionString: string; drop(): Promise<void> } };

  beforeAll(async () => {
    // A long wait allowed: only the count of orders not yet routed is under test here.
    oms = await startOms(undefined, undefined, undefined, { intakeLimit: 3, intakeMaxWaitMs: 60_000 });
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  const place = (clientOrderId: string) =>
    oms.gql<Placed>(PLACE, {
      input: {
        accountId: 'demo',
        clientOrderId,
        instrumentId: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        quantity: '0.01',
        limitPrice: '9600',
        timeInForce: 'GTC',
      },
    });

  /** The gateway has taken everything in the log so far. */
  const gatewayTakesAll = async () => {
    const client = new Client({ connectionString: oms.database.connectionString });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO rm_checkpoints (projection, position, updated_at)
         SELECT 'execution-gateway', lpad(transaction_id::text, 20, '0') || '/' || lpad(position::text, 20, '0'), now()
           FROM es_events ORDER BY transaction_id DESC, position DESC LIMIT 1
         ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position`,
      );
    } finally {
      await client.end();
    }
  };

  it('refuses placeOrder past the limit with a retryable OVERLOADED, records nothing, and never refuses a cancel', async () => {
    const placed = [];
    for (const id of ['bp-1', 'bp-2', 'bp-3']) placed.push(await place(id));
    expect(placed.map((p) => p.data?.placeOrder.accepted)).toEqual([true, true, true]);

    const events = await oms.eventCount();
    const refused = await place('bp-4');
    expect(refused.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/intake limit \(3 orders accepted and not yet routed\)/),
        extensions: { code: 'OVERLOADED', retryable: true },
      }),
    ]);
    expect(await oms.eventCount()).toBe(events);

    const canceled = await oms.gql<{ cancelOrder: { id: string } }>(
      `mutation { cancelOrder(orderId: "${placed[0].data!.placeOrder.order.id}") { id } }`,
    );
    expect(canceled.errors).toBeUndefined();

    // A retry of an order already accepted is answered as before, limit or not.
    expect((await place('bp-2')).data?.placeOrder.order.id).toBe(placed[1].data?.placeOrder.order.id);

    await gatewayTakesAll();
    const again = await place('bp-4');
    expect(again.errors).toBeUndefined();
    expect(again.data?.placeOrder.accepted).toBe(true);
  });
});
