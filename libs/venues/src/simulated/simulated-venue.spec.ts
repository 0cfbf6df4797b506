import { Decimal } from '@oms/domain';
import { VirtualClock } from '@oms/platform';
import { MarketEvent } from '../market-data/market-data';
import { ExecutionReport, VenueCapabilities, VenueOrderRequest, VenueUnavailable } from '../venue';
import { SimulatedVenue, SimulatedVenueOptions } from './simulated-venue';

const d = (v: string) => Decimal.parse(v);
const capabilities = (venueId = 'SIM-A'): VenueCapabilities => ({
  venueId,
  orderTypes: ['MARKET', 'LIMIT'],
  timesInForce: ['DAY', 'GTC', 'IOC', 'FOK'],
  instruments: { BTCUSDT: { symbol: 'BTCUSDT', tickSize: d('0.01'), lotSize: d('0.001') } },
  rateLimit: { perSecond: 50, burst: 5 },
  fees: { maker: d('0.0001'), taker: d('0.0004') },
});
const book = (at: number, bid: string, ask: string, size = '1'): MarketEvent => ({
  kind: 'book',
  exchange: 'test',
  symbol: 'BTCUSDT',
  timestamp: at * 1000,
  localTimestamp: at * 1000,
  snapshot: true,
  bids: [{ price: d(bid), quantity: d(size) }],
  asks: [{ price: d(ask), quantity: d(size) }],
});
const order = (clientOrderId: string, over: Partial<VenueOrderRequest> = {}): VenueOrderRequest => ({
  clientOrderId,
  instrumentId: 'BTCUSDT',
  side: 'BUY',
  type: 'MARKET',
  timeInForce: 'IOC',
  quantity: d('0.5'),
  limitPrice: null,
  ...over,
});

async function venue(options: Partial<SimulatedVenueOptions> = {}) {
  const clock = new VirtualClock(1_000_000);
  const v = new SimulatedVenue({
    capabilities: capabilities(),
    clock,
    seed: 1,
    latency: { fixedMs: 5, jitterMs: 0 },
    feeds: { BTCUSDT: [book(0, '9680', '9681'), book(100, '9685', '9686')] },
    ...options,
  });
  const reports: ExecutionReport[] = [];
  v.onReport((r) => reports.push(r));
  await v.connect();
  clock.advance(1); // the first book
  return { v, clock, reports };
}
const kinds = (reports: ExecutionReport[]) =>
  reports.map((r) =>
    r.kind === 'fill' ? `fill ${r.quantity}@${r.price} ${r.liquidity} fee ${r.fee}` : r.kind,
  );

describe('simulated venue', () => {
  it('fills a market order from the replayed book after its latency, with the taker fee', async () => {
    const { v, clock, reports } = await venue();
    await v.submit(order('c1'));
    clock.advance(4);
    expect(reports).toEqual([]); // still on the wire
    clock.advance(6);
    expect(kinds(reports)).toEqual(['ack', 'fill 0.5@9681 TAKER fee 1.9362']);
    expect(await v.queryOrder('c1')).toMatchObject({ state: 'FILLED', filledQuantity: d('0.5') });
    expect((await v.fillsSince(0)).map((f) => f.execId)).toEqual(['SIM-A-E1']);
  });

  it('rests a limit order, fills it when the market moves across it, cancels what is left', async () => {
    const { v, clock, reports } = await venue({
      feeds: { BTCUSDT: [book(0, '9680', '9681'), book(100, '9670', '9671', '0.2')] },
    });
    await v.submit(order('c1', { type: 'LIMIT', timeInForce: 'GTC', limitPrice: d('9675') }));
    clock.advance(20);
    expect(kinds(reports)).toEqual(['ack']);
    clock.advance(100);
    expect(kinds(reports)).toEqual(['ack', 'fill 0.2@9675 MAKER fee 0.1935']);
    await v.cancel('c1');
    clock.advance(20);
    expect(reports.at(-1)).toMatchObject({ kind: 'canceled', leavesQuantity: d('0.3') });
    expect(await v.openOrders()).toEqual([]);
  });

  it('refuses a second order under one client order id', async () => {
    const { v, clock, reports } = await venue();
    await v.submit(order('c1', { type: 'LIMIT', timeInForce: 'GTC', limitPrice: d('1') }));
    await v.submit(order('c1', { type: 'LIMIT', timeInForce: 'GTC', limitPrice: d('1') }));
    clock.advance(20);
    expect(kinds(reports)).toEqual(['ack', 'rejected']);
    expect(reports[1]).toMatchObject({ reason: 'duplicate client order id' });
  });

  it('while disconnected refuses requests and loses reports; the venue still knows what happened', async () => {
    const { v, clock, reports } = await venue();
    await v.submit(order('c1'));
    await v.disconnect();
    await expect(v.submit(order('c2'))).rejects.toBeInstanceOf(VenueUnavailable);
    clock.advance(20);
    expect(reports).toEqual([]);
    await v.connect();
    expect(await v.queryOrder('c1')).toMatchObject({ state: 'FILLED' });
    expect(await v.fillsSince(0)).toHaveLength(1);
    expect(await v.queryOrder('c2')).toBeNull();
  });

  it('drops acks, duplicates reports and rejects orders when told to, the same way for the same seed', async () => {
    const run = async () => {
      const { v, clock, reports } = await venue({
        faults: { dropAckProbability: 0.3, duplicateProbability: 0.3, rejectProbability: 0.2 },
        capabilities: { ...capabilities(), rateLimit: { perSecond: 1000, burst: 100 } },
      });
      for (let i = 0; i < 20; i++)
        await v.submit(order(`c${i}`, { type: 'LIMIT', timeInForce: 'GTC', limitPrice: d('9000') }));
      clock.advance(50);
      return reports.map((r) => `${r.clientOrderId} ${r.kind}`);
    };
    const first = await run();
    expect(first.filter((k) => k.endsWith(' ack')).length).toBeLessThan(20);
    expect(first.filter((k) => k.endsWith(' rejected')).length).toBeGreaterThan(0);
    expect(new Set(first).size).toBeLessThan(first.length); // some report came twice
    expect(await run()).toEqual(first);
  });

  it('enforces its own rate limit', async () => {
    const { v } = await venue();
    for (let i = 0; i < 5; i++) await v.submit(order(`c${i}`));
    await expect(v.submit(order('c5'))).rejects.toThrow('rate limit exceeded');
  });

  it('a thinner venue shows a scaled-down book', async () => {
    const { v } = await venue({ liquidityScale: d('0.25') });
    expect(v.book('BTCUSDT')?.bestAsk?.quantity).toEqual(d('0.25'));
  });
});

describe('simulated venue latency models (backtests)', () => {
  const delayed = (localLagMs: number, at: number): MarketEvent => ({
    ...book(at, '9680', '9681'),
    localTimestamp: (at + localLagMs) * 1000,
  });

  it('recorded latency: market data reaches the OMS at each row’s receipt time, and orders travel as long', async () => {
    const { v, clock, reports } = await venue({
      feeds: {},
      latency: { fixedMs: 0, jitterMs: 0, recorded: true },
      delayMarketData: true,
    });
    const seen: number[] = [];
    v.onMarketData((event) => seen.push(clock.now() - event.timestamp / 1000));
    v.publish('BTCUSDT', delayed(120, clock.now()));
    clock.advance(119);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toEqual([120]);
    // An order now takes the feed's 120 ms to arrive, and its report 120 ms to come back.
    await v.submit(order('o1'));
    clock.advance(239);
    expect(kinds(reports)).toEqual([]);
    clock.advance(1);
    expect(kinds(reports)).toEqual(['ack', 'fill 0.5@9681 TAKER fee 1.9362']);
  });

  it('a latency spike adds to every one-way delay until it ends; market data is not heard while the line is down', async () => {
    const { v, clock, reports } = await venue({ feeds: {}, delayMarketData: true });
    v.publish('BTCUSDT', book(clock.now(), '9680', '9681'));
    v.setExtraLatency(100);
    await v.submit(order('o1'));
    clock.advance(209);
    expect(kinds(reports)).toEqual([]);
    clock.advance(1);
    expect(kinds(reports)).toEqual(['ack', 'fill 0.5@9681 TAKER fee 1.9362']);
    v.setExtraLatency(0);
    const seen: number[] = [];
    v.onMarketData(() => seen.push(clock.now()));
    await v.disconnect();
    v.publish('BTCUSDT', book(clock.now(), '9682', '9683'));
    clock.advance(10);
    expect(seen).toEqual([]);
  });

  it('a halted market: resting orders do not fill while the feed moves through them, and do after', async () => {
    const { v, clock, reports } = await venue({ feeds: {} });
    v.publish('BTCUSDT', book(clock.now(), '9680', '9681'));
    await v.submit(order('b1', { type: 'LIMIT', timeInForce: 'GTC', limitPrice: d('9679') }));
    clock.advance(10);
    expect(kinds(reports)).toEqual(['ack']);
    v.haltMarket(true);
    v.publish('BTCUSDT', book(clock.now(), '9670', '9671'));
    clock.advance(10);
    expect(kinds(reports)).toEqual(['ack']);
    v.haltMarket(false);
    v.publish('BTCUSDT', book(clock.now(), '9670', '9671'));
    clock.advance(10);
    expect(kinds(reports)).toEqual(['ack', 'fill 0.5@9679 MAKER fee 0.48395']);
  });
});

describe('simulated venue outages on incremental books', () => {
  const level = (price: string, quantity: string) => ({ price: d(price), quantity: d(quantity) });
  const delta = (at: number, bids: [string, string][], asks: [string, string][]): MarketEvent => ({
    kind: 'book',
    exchange: 'test',
    symbol: 'BTCUSDT',
    timestamp: at * 1000,
    localTimestamp: at * 1000,
    snapshot: false,
    bids: bids.map(([p, q]) => level(p, q)),
    asks: asks.map(([p, q]) => level(p, q)),
  });

  it('the book follows the feed while the market is halted, and a line that comes back starts from it', async () => {
    const { v, clock, reports } = await venue({ feeds: {}, delayMarketData: true });
    const heard: MarketEvent[] = [];
    v.onMarketData((event) => heard.push(event));
    v.publish('BTCUSDT', book(clock.now(), '100', '101'));
    clock.advance(10);
    v.haltMarket(true);
    await v.disconnect();
    // The market moves up while the venue is down: 100/101 go, 104/105 come.
    v.publish(
      'BTCUSDT',
      delta(
        clock.now(),
        [
          ['100', '0'],
          ['104', '1'],
        ],
        [
          ['101', '0'],
          ['105', '1'],
        ],
      ),
    );
    clock.advance(10);
    v.haltMarket(false);
    await v.connect();
    clock.advance(10);
    const last = heard[heard.length - 1];
    expect(last.kind === 'book' && last.snapshot).toBe(true);
    expect(last.kind === 'book' && [last.bids[0].price.toString(), last.asks[0].price.toString()]).toEqual([
      '104',
      '105',
    ]);
    // Nothing is left at 101: an IOC buy at 103 finds no seller.
    await v.submit(order('b1', { type: 'LIMIT', limitPrice: d('103') }));
    clock.advance(20);
    expect(kinds(reports)).toEqual(['ack', 'canceled']);
  });
});

describe('simulated venue liquidity share', () => {
  it('scales the sizes of market data published to it, as it does its own feed’s', async () => {
    const { v } = await venue({ feeds: {}, liquidityScale: d('0.5') });
    v.publish('BTCUSDT', book(0, '9680', '9681', '2'));
    expect(v.book('BTCUSDT')?.bestBid?.quantity.toString()).toBe('1');
    expect(v.book('BTCUSDT')?.bestAsk?.quantity.toString()).toBe('1');
  });
  it('holds a stop-limit when it declares STOP_LIMIT, reports it triggered on its trade, and refuses one when it does not', async () => {
    const stop = order('s1', {
      side: 'SELL',
      type: 'LIMIT',
      timeInForce: 'GTC',
      limitPrice: d('9600'),
      stopPrice: d('9650'),
    });
    const plain = await venue();
    await plain.v.submit(stop);
    plain.clock.advance(10);
    expect(plain.reports).toMatchObject([
      { kind: 'rejected', reason: 'order type or time in force not supported' },
    ]);

    const { v, clock, reports } = await venue({
      capabilities: { ...capabilities(), orderTypes: ['MARKET', 'LIMIT', 'STOP_LIMIT'] },
    });
    await v.submit(stop);
    clock.advance(10);
    expect(kinds(reports)).toEqual(['ack']);
    v.publish('BTCUSDT', book(200, '9640', '9641'));
    v.publish('BTCUSDT', {
      kind: 'trade',
      exchange: 'test',
      symbol: 'BTCUSDT',
      timestamp: 200_000,
      localTimestamp: 200_000,
      tradeId: 't1',
      aggressor: 'SELL',
      price: d('9640'),
      quantity: d('0.1'),
    });
    clock.advance(10);
    expect(kinds(reports)).toEqual(['ack', 'triggered', 'fill 0.5@9640 TAKER fee 1.928']);
  });
});
