import { accountDecider } from '@oms/domain';
import { RunningOms, principalWithKey, startOms } from './harness';
import { SetRiskLimitsCommand } from '@oms/api';
import { DEMO_LIMITS, accountStream, orderStream } from '@oms/application';
import { CommandBus } from '@nestjs/cqrs';

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

  it('one projector and one account ledger work; the other instance stands by', async () => {
    const standing = (oms: RunningOms) => [
      oms.runtime.projector?.processor.status === 'standby',
      oms.runtime.ledger?.processor.status === 'standby',
    ];
    expect(standing(a)).toEqual([false, false]);
    expect(standing(b)).toEqual([true, true]);
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
    // The trader is granted the account before it opens (the API grants only open accounts).
    await a.runtime.commandSide.access.execute(
      { type: 'GrantAccount', data: { principalId: 'demo-trader', accountId: 'late', reason: 'test' } },
      { actor: 'test', correlationId: 'late' },
    );
    const before = await b.gql(PLACE, { input });
    expect(before.errors?.[0].extensions?.code).toBe('UNKNOWN_ACCOUNT');
    await a.app
      .get(CommandBus)
      .execute(new SetRiskLimitsCommand('late', DEMO_LIMITS, { actor: 'test', correlationId: 'late' }));
    const after = await b.gql<{ placeOrder: { accepted: boolean } }>(PLACE, { input });
    expect(after.data?.placeOrder.accepted).toBe(true);
  });

  it('a request repeated on the other instance answers as the first time and leaves no reservation behind', async () => {
    const ORDER = `mutation Place($input: PlaceOrderInput!) {
      placeOrder(input: $input) { accepted rejections { code } order { id status rejections { code } } }
    }`;
    type Placed = {
      placeOrder: {
        accepted: boolean;
        rejections: { code: string }[];
        order: { id: string; status: string };
      };
    };
    const accepted = {
      accountId: 'demo',
      clientOrderId: 'repeat-accepted',
      instrumentId: 'BTCUSDT',
      side: 'SELL',
      type: 'LIMIT',
      quantity: '0.25',
      limitPrice: '9700',
    };
    const refused = { ...accepted, clientOrderId: 'repeat-refused', quantity: '5000' };
    const firstAccepted = await a.gql<Placed>(ORDER, { input: accepted });
    const firstRefused = await a.gql<Placed>(ORDER, { input: refused });
    expect(firstAccepted.data?.placeOrder.accepted).toBe(true);
    expect(firstRefused.data?.placeOrder.accepted).toBe(false);

    // Instance b has never seen these requests, so it does not look the orders up first.
    expect(await b.gql<Placed>(ORDER, { input: accepted })).toEqual(firstAccepted);
    expect(await b.gql<Placed>(ORDER, { input: refused })).toEqual(firstRefused);
    const clash = await b.gql(ORDER, { input: { ...accepted, limitPrice: '9800' } });
    expect(clash.errors?.[0].extensions?.code).toBe('DUPLICATE_CLIENT_ORDER_ID');

    const orderId = firstAccepted.data!.placeOrder.order.id;
    for (const instance of [a, b]) {
      const history = await instance.runtime.store.readStream(orderStream(orderId));
      expect(history.map((e) => e.type)).toEqual(['OrderAccepted']);
    }
    const events = await a.runtime.store.readStream(accountStream('demo'));
    const state = events.reduce(
      (s, e) => accountDecider.evolve(s, { type: e.type, data: e.data } as never),
      accountDecider.initialState(),
    );
    // Exactly the first reservation remains for the order: 0.25 open to sell.
    expect(state.reservations.get(orderId)?.quantity.toString()).toBe('0.25');
    expect(state.openQuantity.get('BTCUSDT')?.sell.toString()).toBe('0.25');
  });
});

describe('access on two API instances', () => {
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

  it('a key revoked through one instance stops working at once on the other', async () => {
    const key = await principalWithKey(a, 'carol', ['TRADER'], ['demo']);
    const me = () => b.gql<{ me: { principalId: string } }>('{ me { principalId } }', undefined, key);
    expect((await me()).data?.me.principalId).toBe('carol');
    const keyId = /^Bearer oms_([0-9a-f]{16})_/.exec(key.authorization)![1];
    const revoked = await a.gql(
      `mutation { revokeApiKey(keyId: "${keyId}", reason: "left the desk") { principalId } }`,
      undefined,
      a.as('admin'),
    );
    expect(revoked.errors).toBeUndefined();
    // The very next request, on the other instance: no wait.
    const after = await me();
    expect(after.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(after.data ?? null).toBeNull();
  });
});
