import { accountDecider } from '@oms/domain';
import { RunningOms, startOms } from './harness';
import { accountStream } from '../src/commands/streams';

jest.setTimeout(60_000);

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { accepted rejections { code } order { quantity } } }`;

describe('two API instances on one database', () => {
  let a: RunningOms & { database: { drop(): Promise<void> } };
  let b: RunningOms;

  beforeAll(async () => {
    a = await startOms();
    b = await startOms(a.database as never);
  });

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await a?.database.drop();
  });

  it('hammering one account cannot together exceed its position limit (10 BTC on the demo account)', async () => {
    // 2 × 16 buys of 0.5 BTC = 16 BTC wanted; at most 10 BTC may be open.
    const orders = Array.from({ length: 32 }, (_, i) => ({
      instance: i % 2 ? a : b,
      input: {
        accountId: 'demo',
        clientOrderId: `hammer-${i}`,
        instrumentId: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        quantity: '0.5',
        limitPrice: '9600',
      },
    }));
    const results = await Promise.all(
      orders.map(({ instance, input }) =>
        instance.gql<{ placeOrder: { accepted: boolean; rejections: { code: string }[] } }>(PLACE, { input }),
      ),
    );
    const accepted = results.filter((r) => r.data?.placeOrder.accepted).length;
    const refusedCodes = new Set(
      results.flatMap((r) => r.data?.placeOrder.rejections.map((x) => x.code) ?? []),
    );
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    expect(accepted).toBe(20); // exactly the limit: 20 × 0.5 = 10
    expect([...refusedCodes]).toEqual(['POSITION_LIMIT_EXCEEDED']);
    // The account stream agrees: open buy quantity is exactly the limit, never above.
    const events = await a.runtime.store.readStream(accountStream('demo'));
    const state = events.reduce(
      (s, e) => accountDecider.evolve(s, { type: e.type, data: e.data } as never),
      accountDecider.initialState(),
    );
    expect(state.openQuantity.get('BTCUSDT')?.buy.toString()).toBe('10');
  });

  it('an account created on one instance is known on the other, even after it was looked up there first', async () => {
    const input = {
      accountId: 'late',
      clientOrderId: 'l-1',
      instrumentId: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.1',
      limitPrice: '9600',
    };
    const before = await b.gql(PLACE, { input });
    expect(before.errors?.[0].extensions?.code).toBe('UNKNOWN_ACCOUNT');
    await a.runtime.commands.setRiskLimits('late', (await import('../src/runtime/demo-seed')).DEMO_LIMITS, {
      actor: 'test',
      correlationId: 'late',
    });
    const after = await b.gql<{ placeOrder: { accepted: boolean } }>(PLACE, { input });
    expect(after.data?.placeOrder.accepted).toBe(true);
  });
});
