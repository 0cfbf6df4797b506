import { Decimal } from '@oms/domain';
import { L2Book } from '../market-data/l2-book';
import { BreakerState } from '../resilience/circuit-breaker';
import { VenueCapabilities } from '../venue';
import { RouteRequest, RoutableVenue, routeOrder } from './router';

const d = (v: string) => Decimal.parse(v);

function venue(
  venueId: string,
  taker: string,
  asks: [string, string][],
  breaker: BreakerState = 'CLOSED',
): RoutableVenue {
  const capabilities: VenueCapabilities = {
    venueId,
    orderTypes: ['MARKET', 'LIMIT'],
    timesInForce: ['DAY', 'GTC', 'IOC', 'FOK'],
    instruments: { BTCUSDT: { symbol: 'BTCUSDT', tickSize: d('0.01'), lotSize: d('0.001') } },
    rateLimit: { perSecond: 10, burst: 10 },
    fees: { maker: d('0'), taker: d(taker) },
  };
  const book = new L2Book();
  book.apply({
    kind: 'book',
    exchange: venueId,
    symbol: 'BTCUSDT',
    timestamp: 1,
    localTimestamp: 1,
    snapshot: true,
    bids: [],
    asks: asks.map(([price, quantity]) => ({ price: d(price), quantity: d(quantity) })),
  });
  return { capabilities, connected: true, breaker, book };
}

const request = (quantity: string, over: Partial<RouteRequest> = {}): RouteRequest => ({
  orderId: 'o1',
  instrumentId: 'BTCUSDT',
  side: 'BUY',
  limitPrice: null,
  quantity: d(quantity),
  venueId: null,
  timeInForce: 'DAY',
  ...over,
});

const slices = (decision: ReturnType<typeof routeOrder>) =>
  'slices' in decision ? decision.slices.map((s) => [s.childId, s.venueId, s.quantity]) : decision.refused;

describe('smart order router', () => {
  // Same prices; B is cheaper to take from (3 bp against 5 bp) but thinner.
  const a = venue('A', '0.0005', [
    ['100', '1'],
    ['100.5', '5'],
  ]);
  const b = venue('B', '0.0003', [
    ['100', '0.4'],
    ['101', '5'],
  ]);

  it('splits by effective price (fees included) and depth, best venue first', () => {
    expect(slices(routeOrder(request('2'), [a, b]))).toEqual([
      ['o1.1', 'B', '0.4'],
      ['o1.2', 'A', '1.6'],
    ]);
    const decision = routeOrder(request('2'), [a, b]);
    expect('rationale' in decision && decision.rationale).toMatch(
      /^smart route BUY 2 BTCUSDT by effective price and depth: B 0.4 .*A 1.6/,
    );
  });

  it('keeps within the limit price and sends what the books cannot take to the best venue', () => {
    expect(slices(routeOrder(request('3', { limitPrice: d('100') }), [a, b]))).toEqual([
      ['o1.1', 'B', '2'],
      ['o1.2', 'A', '1'],
    ]);
  });

  it('skips a venue whose breaker is open, and says so', () => {
    const decision = routeOrder(request('0.5'), [a, { ...b, breaker: 'OPEN' }]);
    expect(slices(decision)).toEqual([['o1.1', 'A', '0.5']]);
    expect('rationale' in decision && decision.rationale).toContain('skipped B (breaker OPEN)');
    expect(
      slices(
        routeOrder(request('0.5'), [
          { ...a, connected: false },
          { ...b, breaker: 'OPEN' },
        ]),
      ),
    ).toMatch(/^no venue can take BTCUSDT now: A \(disconnected\), B \(breaker OPEN\)$/);
  });

  it('sends an FOK order whole to one venue, and a direct order where it asks', () => {
    expect(slices(routeOrder(request('2', { timeInForce: 'FOK' }), [a, b]))).toEqual([['o1.1', 'B', '2']]);
    expect(slices(routeOrder(request('2', { venueId: 'A' }), [a, b]))).toEqual([['o1.1', 'A', '2']]);
    expect(slices(routeOrder(request('2', { venueId: 'C' }), [a, b]))).toBe('venue C does not trade BTCUSDT');
  });

  it('a post-only or iceberg order goes only to venues that work it natively, or is refused', () => {
    const plain = venue('PLAIN', '0.0004', [['100', '5']]);
    const able = venue('ABLE', '0.0005', [['101', '5']]);
    able.capabilities = { ...able.capabilities, postOnly: true, iceberg: true };
    const routed = routeOrder(request('1', { limitPrice: d('99'), postOnly: true }), [plain, able]);
    expect('slices' in routed && routed.slices.map((s) => s.venueId)).toEqual(['ABLE']);
    expect(routeOrder(request('1', { limitPrice: d('99'), iceberg: true }), [plain])).toEqual({
      refused: 'no venue trading BTCUSDT takes iceberg orders',
    });
    expect(
      routeOrder(request('1', { limitPrice: d('99'), postOnly: true, venueId: 'PLAIN' }), [plain, able]),
    ).toEqual({
      refused: 'venue PLAIN does not trade BTCUSDT as post-only orders',
    });
  });
  describe('a stop the venue holds', () => {
    const holdsStops = (v: RoutableVenue): RoutableVenue => ({
      ...v,
      capabilities: { ...v.capabilities, orderTypes: ['MARKET', 'LIMIT', 'STOP_LIMIT'] },
    });
    const stop = (over: Partial<RouteRequest> = {}) =>
      request('3', { side: 'SELL', limitPrice: d('95'), stopPrice: d('99'), ...over });

    it('goes whole, with its stop price, to the venue holding stops with the lowest taker fee', () => {
      const decision = routeOrder(stop(), [
        holdsStops(venue('A', '0.001', [])),
        venue('B', '0.0001', [['100', '10']]),
        holdsStops(venue('C', '0.0005', [])),
      ]);
      expect(decision).toEqual({
        slices: [{ childId: 'o1.1', venueId: 'C', quantity: '3', limitPrice: '95', stopPrice: '99' }],
        rationale: expect.stringContaining('native stop SELL 3 BTCUSDT stop 99 limit 95 whole to C'),
      });
    });

    it('is refused when no venue that trades the instrument holds stops, or none of them can take it now', () => {
      expect(slices(routeOrder(stop(), [venue('A', '0', [])]))).toBe(
        'any venue trading BTCUSDT does not hold stops (STOP_LIMIT)',
      );
      expect(slices(routeOrder(stop(), [holdsStops(venue('A', '0', [], 'OPEN'))]))).toBe(
        'no venue that holds stops can take BTCUSDT now',
      );
      expect(
        slices(routeOrder(stop({ venueId: 'B' }), [holdsStops(venue('A', '0', [])), venue('B', '0', [])])),
      ).toBe('B does not hold stops (STOP_LIMIT)');
    });

    it('routed direct, goes to the venue it names', () => {
      const decision = routeOrder(stop({ venueId: 'A' }), [
        holdsStops(venue('A', '0.001', [])),
        holdsStops(venue('C', '0', [])),
      ]);
      expect(slices(decision)).toEqual([['o1.1', 'A', '3']]);
    });
  });
});
