import { RunningOms, principalWithKey, startOms } from './harness';

jest.setTimeout(60_000);

const PLACE = (clientOrderId: string, accountId = 'demo') =>
  `mutation { placeOrder(input: {accountId: "${accountId}", clientOrderId: "${clientOrderId}", instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.001", limitPrice: "9600"}) { order { id } } }`;

interface Trail {
  auditTrail: {
    edges: { cursor: string; node: { type: string; actor: string; stream: string; recordedAt: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}
const TRAIL = `query Trail($filter: AuditFilter, $first: Int, $after: String) {
  auditTrail(filter: $filter, first: $first, after: $after) {
    edges { cursor node { position stream revision type recordedAt actor correlationId causationId data } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** The log searched the way an auditor asks (issue 13): by actor, account, order, event type and time. */
describe('auditTrail: the log searched by actor, account, order, type and time', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };
  let aliceOrder: string;
  let start: string;

  beforeAll(async () => {
    oms = await startOms();
    start = new Date().toISOString();
    const asAlice = await principalWithKey(oms, 'alice', ['TRADER'], ['demo']);
    const asBob = await principalWithKey(oms, 'bob', ['TRADER'], ['demo']);
    const alice = await oms.gql<{ placeOrder: { order: { id: string } } }>(
      PLACE('trail-a'),
      undefined,
      asAlice,
    );
    aliceOrder = alice.data!.placeOrder.order.id;
    await oms.gql(PLACE('trail-b'), undefined, asBob);
    await oms.gql(`mutation { cancelOrder(orderId: "${aliceOrder}") { status } }`, undefined, asBob);
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  const trail = (filter: Record<string, unknown>, first = 50, after: string | null = null) =>
    oms.gql<Trail>(TRAIL, { filter, first, after }, oms.as('auditor'));

  it('what one actor did, and nothing else', async () => {
    const { data, errors } = await trail({ actor: 'user:alice' });
    expect(errors).toBeUndefined();
    const nodes = data!.auditTrail.edges.map((e) => e.node);
    expect(nodes.map((n) => n.type)).toEqual(['ExposureReserved', 'OrderAccepted']);
    expect(new Set(nodes.map((n) => n.actor))).toEqual(new Set(['user:alice']));
  });

  it('everything about one order, whoever did it, oldest first', async () => {
    const { data } = await trail({ orderId: aliceOrder });
    expect(data!.auditTrail.edges.map((e) => [e.node.type, e.node.actor])).toEqual([
      ['OrderAccepted', 'user:alice'],
      ['OrderCancelRequested', 'user:bob'],
    ]);
  });

  it('everything about one account, its orders included; by event type; in a time range', async () => {
    const account = await trail({ accountId: 'demo', from: start });
    const types = account.data!.auditTrail.edges.map((e) => e.node.type);
    expect(types.filter((t) => t === 'OrderAccepted')).toHaveLength(2);
    expect(types).toContain('ExposureReserved');
    const cancels = await trail({ accountId: 'demo', eventTypes: ['OrderCancelRequested'] });
    expect(cancels.data!.auditTrail.edges.map((e) => e.node.stream)).toEqual([`order-${aliceOrder}`]);
    const future = await trail({ from: new Date(Date.now() + 60_000).toISOString() });
    expect(future.data!.auditTrail.edges).toEqual([]);
  });

  it('pages with cursors, and refuses a cursor it did not give out', async () => {
    const first = await trail({ from: start }, 2);
    expect(first.data!.auditTrail.pageInfo.hasNextPage).toBe(true);
    const next = await trail({ from: start }, 2, first.data!.auditTrail.pageInfo.endCursor);
    const seen = [...first.data!.auditTrail.edges, ...next.data!.auditTrail.edges].map((e) => e.cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const bad = await trail({}, 2, 'nonsense');
    expect(bad.errors?.[0].extensions?.code).toBe('INVALID_CURSOR');
    const huge = await trail(
      {},
      2,
      Buffer.from('99999999999999999999|99999999999999999999').toString('base64url'),
    );
    expect(huge.errors?.[0].extensions?.code).toBe('INVALID_CURSOR');
  });
});
