import { eventually, startOms } from './harness';

jest.setTimeout(60_000);

type Oms = Awaited<ReturnType<typeof startOms>>;

/**
 * The OMS laid out as docker compose runs it: the gateway (with the venues' market data), projector and
 * ledger in one process, and an API in another that has no market data of its own. The API's risk and
 * marks follow the reference prices the gateway publishes.
 */
describe('an API process without the gateway (docker compose layout)', () => {
  let back: Oms;
  let api: Oms;

  beforeAll(async () => {
    back = await startOms(undefined, ['gateway', 'projector', 'ledger']);
    api = await startOms(back.database, ['api'], {});
  });

  afterAll(async () => {
    await api?.stop();
    await back?.stop();
    await back?.database.drop();
  });

  it("risk sees the gateway's reference price, seen moments ago on the venues", async () => {
    const reference = await eventually(
      async () => api.runtime.prices.referencePrice('BTCUSDT', new Date()),
      (r) => r !== null,
      'a published BTCUSDT reference price',
    );
    const atGateway = back.runtime.prices.referencePrice('BTCUSDT', new Date());
    expect(atGateway).not.toBeNull();
    // Published as the gateway sees them: the API's copy is one the gateway had, never newer, and it
    // moves on as the market does.
    expect(reference!.observedAt).toBeLessThanOrEqual(atGateway!.observedAt);
    await eventually(
      async () => api.runtime.prices.referencePrice('BTCUSDT', new Date()),
      (r) => r !== null && r.observedAt > reference!.observedAt,
      'a newer reference price published to the API process',
    );
  });

  it('a MARKET order placed on the API fills at a venue and is marked at the market', async () => {
    const placed = await api.gql<{ placeOrder: { accepted: boolean; rejections: { code: string }[] } }>(
      `mutation { placeOrder(input: {accountId: "demo", clientOrderId: "split-1", instrumentId: "BTCUSDT",
         side: BUY, type: MARKET, quantity: "0.01"}) { accepted rejections { code } } }`,
    );
    expect(placed.errors).toBeUndefined();
    expect(placed.data?.placeOrder).toEqual({ accepted: true, rejections: [] });

    const positions = await eventually(
      async () =>
        (
          await api.gql<{ positions: { quantity: string; markPrice: string | null }[] }>(
            `{ positions(accountId: "demo") { quantity markPrice } }`,
          )
        ).data?.positions ?? [],
      // The router may split the order over both venues: the position is whole once both slices fill.
      (p) => p.length > 0 && p[0].quantity === '0.01',
      'the position of the whole order',
      15_000,
    );
    expect(positions).toEqual([{ quantity: '0.01', markPrice: expect.any(String) }]);
    // The synthetic market trades around 9,600–9,750.
    expect(Number(positions[0].markPrice)).toBeGreaterThan(9_000);
    expect(Number(positions[0].markPrice)).toBeLessThan(10_500);
  });

  it('the API process serves the venues and the market the gateway publishes (books, quotes, trades)', async () => {
    const venues = await eventually(
      async () =>
        (
          await api.gql<{ venues: { id: string; connected: boolean; reportedAt: string }[] }>(
            '{ venues { id connected reportedAt } }',
          )
        ).data?.venues ?? [],
      (v) => v.length === 2 && v.every((venue) => venue.connected),
      'both venues, connected, as the gateway reports them',
    );
    expect(venues.map((v) => v.id).sort()).toEqual(['SIM-A', 'SIM-B']);
    const market = await eventually(
      async () =>
        (
          await api.gql<{
            book: { bids: { price: string }[] } | null;
            quote: { venues: { venueId: string }[] };
            trades: { price: string }[];
          }>(
            `{ book(venueId: "SIM-A", instrumentId: "BTCUSDT", depth: 5) { bids { price } }
               quote(instrumentId: "BTCUSDT") { venues { venueId } }
               trades(instrumentId: "BTCUSDT", last: 10) { price } }`,
          )
        ).data,
      (m) => !!m?.book && m.quote.venues.length === 2 && m.trades.length > 0,
      'books of both venues and trades, published to the API process',
    );
    expect(market!.book!.bids.length).toBeGreaterThan(0);
    // The same book the gateway holds, or one a moment older.
    const atGateway = back.runtime.marketDataView.book('SIM-A', 'BTCUSDT');
    const published = api.runtime.marketDataView.book('SIM-A', 'BTCUSDT');
    expect(published!.marketTime).toBeLessThanOrEqual(atGateway!.marketTime);
  });
});
