import { PlaceOrderCommand } from '@oms/api';
import { PlaceOrderOutcome } from '@oms/application';
import { Decimal } from '@oms/domain';
import { CommandBus } from '@nestjs/cqrs';
import { Client } from 'pg';
import { eventually, startOms } from './harness';

jest.setTimeout(60_000);

type Oms = Awaited<ReturnType<typeof startOms>>;

/**
 * Two processes with the gateway role on one database: one sends to the venues, the other stands by
 * with its venues unconnected, takes over when the first goes, and stops sending if it ever loses the
 * lock session that makes it the active one.
 */
describe('one active execution gateway', () => {
  let first: Oms;
  let second: Oms;
  let firstStopped = false;

  beforeAll(async () => {
    first = await startOms(undefined, ['api', 'projector', 'ledger', 'gateway']);
    second = await startOms(first.database, ['api', 'gateway']);
  });

  afterAll(async () => {
    await second?.stop();
    if (!firstStopped) await first?.stop();
    await first?.database.drop();
  });

  const venuesOf = async (oms: Oms) =>
    (await oms.gql<{ venues: { id: string; connected: boolean }[] }>(`{ venues { id connected } }`)).data
      ?.venues;

  const statusOf = async (oms: Oms, orderId: string) => {
    const { rows } = await query(oms, `SELECT type FROM es_events WHERE stream_name = $1 ORDER BY revision`, [
      `order-${orderId}`,
    ]);
    return rows.map((r) => r.type as string);
  };

  async function query(oms: Oms, text: string, values: unknown[] = []) {
    const client = new Client({ connectionString: oms.database.connectionString });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  }

  const marketBuy = (oms: Oms, clientOrderId: string): Promise<PlaceOrderOutcome> =>
    oms.app.get(CommandBus).execute(
      new PlaceOrderCommand(
        {
          accountId: 'demo',
          clientOrderId,
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          type: 'MARKET',
          quantity: Decimal.parse('0.01'),
          limitPrice: null,
          timeInForce: 'DAY',
          venueId: null,
        },
        { actor: 'test', correlationId: clientOrderId },
      ),
    );

  it('the second stands by, ready, without connecting to any venue', async () => {
    expect(second.runtime.gatewayStatus).toBe('standby (another instance is active)');
    expect(second.runtime.ready).toBe(true);
    // Its own lines to the venues stay closed...
    expect(second.runtime.gateway!.status().map(({ id, connected }) => ({ id, connected }))).toEqual([
      { id: 'SIM-A', connected: false },
      { id: 'SIM-B', connected: false },
    ]);
    // ...while its API shows the venues as the active gateway reports them.
    expect(await venuesOf(second)).toEqual([
      { id: 'SIM-A', connected: true },
      { id: 'SIM-B', connected: true },
    ]);
    expect(first.runtime.gatewayStatus).toBe('ok');
    // Its own venues send no market data, so its risk follows what the active gateway publishes.
    const published = await eventually(
      async () => second.runtime.prices.referencePrice('BTCUSDT', new Date()),
      (r) => r !== null,
      'the published reference price in the standby process',
    );
    // It follows them as they are published: a newer one arrives.
    await eventually(
      async () => second.runtime.prices.referencePrice('BTCUSDT', new Date()),
      (r) => r !== null && r.observedAt > published!.observedAt,
      'a newer published reference price in the standby process',
    );

    const placed = await marketBuy(first, 'failover-1');
    const events = await eventually(
      () => statusOf(first, placed.order.terms.orderId),
      (types) => types.includes('OrderFilled'),
      'the first gateway to fill the order',
    );
    expect(events.filter((t) => t === 'OrderRouted')).toHaveLength(1);
  });

  it('takes over when the active one stops, and fills orders', async () => {
    await first.stop();
    firstStopped = true;
    await eventually(
      async () => second.runtime.gatewayStatus,
      (status) => status === 'ok',
      'the standby to take over',
    );
    expect((await venuesOf(second))?.every((v) => v.connected)).toBe(true);
    const placed = await marketBuy(second, 'failover-2');
    await eventually(
      () => statusOf(second, placed.order.terms.orderId),
      (types) => types.includes('OrderFilled'),
      'the new active gateway to fill the order',
    );
  });

  it('stops sending once its lock session ends, and says so', async () => {
    await query(second, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'`);
    const reason = await second.runtime.gatewayStopped;
    expect(reason).toMatch(/oms-execution-gateway lock ended/);
    expect(second.runtime.gatewayStatus).toMatch(/^stopped: .*restart this process$/);
    expect(second.runtime.ready).toBe(false);
    const health = await fetch(`${second.url}/health`);
    expect(health.status).toBe(503);

    // Nothing routes an order placed now: no gateway is active (none holds the lock), and this one
    // stays stopped rather than standing by again.
    const placed = await marketBuy(second, 'failover-3');
    const { rows } = await query(
      second,
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`,
    );
    expect(rows[0].n).toBe(0);
    expect(await statusOf(second, placed.order.terms.orderId)).toEqual(['OrderAccepted']);
  });
});
