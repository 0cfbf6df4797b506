import { fixedPrices } from '@oms/application/testing/fixed-prices';
import { DEMO_VENUES, buildVenues } from '@oms/gateway';
import { silentLogger } from '@oms/platform';
import { RunningOms, eventually, startOms } from './harness';

jest.setTimeout(90_000);

/**
 * After a crash the gateway may take a while to recover (catch up, reconnect, re-send, reconcile).
 * The API does not wait for it: it serves at once, `/health` says where each role is, and orders
 * accepted meanwhile are routed once the gateway is back.
 */
describe('the API serves while the gateway recovers (end to end)', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };
  let release!: () => void;
  const venuesReachable = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    oms = await startOms(undefined, ['api', 'projector', 'ledger', 'gateway'], {
      referencePrices: fixedPrices(),
      // The venues answer only when the test lets them: the gateway's start hangs until then.
      venues: async (clock) => {
        const venues = await buildVenues(DEMO_VENUES, {
          clock,
          dataDir: '',
          marketDataFile: null,
          logger: silentLogger,
        });
        for (const venue of venues) {
          const connect = venue.connect.bind(venue);
          venue.connect = async () => {
            await venuesReachable;
            return connect();
          };
        }
        return venues;
      },
    });
  });

  afterAll(async () => {
    release();
    await oms?.stop();
    await oms?.database.drop();
  });

  const health = async () => {
    const response = await fetch(`${oms.url}/health`);
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };

  it('answers /health role by role and takes orders before the gateway is back, which routes them after', async () => {
    expect(await health()).toEqual({
      status: 503,
      body: expect.objectContaining({
        status: 'starting',
        api: 'ok',
        projector: 'ok',
        ledger: 'ok',
        gateway: 'recovering (catching up and reconciling with the venues)',
      }),
    });

    const placed = await oms.gql<{ placeOrder: { accepted: boolean; order: { id: string } } }>(
      `mutation { placeOrder(input: { accountId: "demo", clientOrderId: "while-recovering", instrumentId: "BTCUSDT",
         side: BUY, type: LIMIT, quantity: "0.01", limitPrice: "9600", timeInForce: GTC }) { accepted order { id } } }`,
    );
    expect(placed.data?.placeOrder.accepted).toBe(true);

    release();
    await eventually(health, (h) => h.status === 200 && h.body.gateway === 'ok', 'the gateway back');
    const id = placed.data!.placeOrder.order.id;
    await eventually(
      () => oms.gql<{ order: { status: string } }>(`{ order(id: "${id}") { status } }`),
      (r) => r.data?.order.status === 'NEW',
      'the order routed and acknowledged',
    );
  });
});
