import { Decimal } from '@oms/domain';
import fc from 'fast-check';
import { MarketEvent, PriceLevel } from '../market-data/market-data';
import { readTardisFile } from '../market-data/tardis';
import { RECORDED, recordedFile } from '../testing/recorded-data';
import { EngineOrder, EngineReport, MatchingEngine } from './matching-engine';

const d = (v: string) => Decimal.parse(v);
const lvl = (price: string, quantity: string): PriceLevel => ({ price: d(price), quantity: d(quantity) });
const engine = () => new MatchingEngine({ makerFee: d('0.0002'), takerFee: d('0.0005') });
const book = (bids: PriceLevel[], asks: PriceLevel[]): MarketEvent => ({
  kind: 'book',
  exchange: 'test',
  symbol: 'BTCUSDT',
  timestamp: 1,
  localTimestamp: 1,
  snapshot: true,
  bids,
  asks,
});
const trade = (price: string, quantity: string, aggressor: 'BUY' | 'SELL' | null): MarketEvent => ({
  kind: 'trade',
  exchange: 'test',
  symbol: 'BTCUSDT',
  timestamp: 2,
  localTimestamp: 2,
  tradeId: 't',
  aggressor,
  price: d(price),
  quantity: d(quantity),
});
const limit = (
  orderId: string,
  side: 'BUY' | 'SELL',
  quantity: string,
  price: string,
  timeInForce: EngineOrder['timeInForce'] = 'GTC',
): EngineOrder => ({
  orderId,
  side,
  type: 'LIMIT',
  timeInForce,
  quantity: d(quantity),
  limitPrice: d(price),
});
const market = (orderId: string, side: 'BUY' | 'SELL', quantity: string): EngineOrder => ({
  orderId,
  side,
  type: 'MARKET',
  timeInForce: 'IOC',
  quantity: d(quantity),
  limitPrice: null,
});
/** Fills as [orderId, price, quantity, liquidity, leaves]. */
const fills = (reports: EngineReport[]) =>
  reports.flatMap((r) =>
    r.type === 'fill'
      ? [[r.orderId, r.price.toString(), r.quantity.toString(), r.liquidity, r.leavesQuantity.toString()]]
      : [],
  );

describe('matching engine', () => {
  it('matches resting orders by price, then by time', () => {
    const e = engine();
    e.submit(limit('s1', 'SELL', '1', '101'));
    e.submit(limit('s2', 'SELL', '1', '100'));
    e.submit(limit('s3', 'SELL', '1', '100'));
    expect(fills(e.submit(limit('b1', 'BUY', '2.5', '101')))).toEqual([
      ['s2', '100', '1', 'MAKER', '0'],
      ['b1', '100', '1', 'TAKER', '1.5'],
      ['s3', '100', '1', 'MAKER', '0'],
      ['b1', '100', '1', 'TAKER', '0.5'],
      ['s1', '101', '0.5', 'MAKER', '0.5'],
      ['b1', '101', '0.5', 'TAKER', '0'],
    ]);
    expect(e.openOrders().map((r) => [r.order.orderId, r.leaves.toString()])).toEqual([['s1', '0.5']]);
  });

  it('walks the market book with a market order (slippage) and charges the taker fee', () => {
    const e = engine();
    e.onMarketData(
      book([lvl('9680', '1')], [lvl('9681', '0.004'), lvl('9681.5', '0.003'), lvl('9683', '5')]),
    );
    const reports = e.submit(market('m1', 'BUY', '0.01'));
    expect(fills(reports)).toEqual([
      ['m1', '9681', '0.004', 'TAKER', '0.006'],
      ['m1', '9681.5', '0.003', 'TAKER', '0.003'],
      ['m1', '9683', '0.003', 'TAKER', '0'],
    ]);
    const first = reports.find((r) => r.type === 'fill');
    expect(first?.type === 'fill' && first.fee.toString()).toBe('0.019362'); // 9681 × 0.004 × 0.0005
    // What it took is gone until the feed updates the book.
    expect(e.book.bestAsk).toEqual(lvl('9683', '4.997'));
  });

  it('at one price, the market quantity shown goes before orders resting here', () => {
    const e = engine();
    e.submit(limit('s1', 'SELL', '1', '100'));
    e.onMarketData(book([], [lvl('100', '0.5')]));
    expect(fills(e.submit(limit('b1', 'BUY', '1', '100')))).toEqual([
      ['b1', '100', '0.5', 'TAKER', '0.5'],
      ['s1', '100', '0.5', 'MAKER', '0.5'],
      ['b1', '100', '0.5', 'TAKER', '0'],
    ]);
  });

  it('IOC keeps what fills and cancels the rest; a market order with no liquidity left is canceled', () => {
    const e = engine();
    e.onMarketData(book([], [lvl('100', '1')]));
    const reports = e.submit(limit('i1', 'BUY', '3', '100', 'IOC'));
    expect(fills(reports)).toEqual([['i1', '100', '1', 'TAKER', '2']]);
    expect(reports.at(-1)).toMatchObject({ type: 'canceled', orderId: 'i1', reason: 'IOC: rest canceled' });
    expect((reports.at(-1) as { leavesQuantity: Decimal }).leavesQuantity.toString()).toBe('2');
    expect(e.submit(market('m1', 'BUY', '1')).at(-1)).toMatchObject({
      type: 'canceled',
      reason: 'no more liquidity',
    });
    expect(e.openOrders()).toEqual([]);
  });

  it('FOK fills completely or not at all', () => {
    const e = engine();
    e.onMarketData(book([], [lvl('100', '1'), lvl('101', '1')]));
    const killed = e.submit(limit('f1', 'BUY', '2', '100', 'FOK'));
    expect(fills(killed)).toEqual([]);
    expect(killed.at(-1)).toMatchObject({ type: 'canceled', reason: 'FOK: not fully fillable' });
    expect(fills(e.submit(limit('f2', 'BUY', '2', '101', 'FOK')))).toEqual([
      ['f2', '100', '1', 'TAKER', '1'],
      ['f2', '101', '1', 'TAKER', '0'],
    ]);
  });

  it('a limit order takes what crosses, then rests behind the quantity shown at its price', () => {
    const e = engine();
    e.onMarketData(book([lvl('99', '2')], [lvl('100', '1')]));
    expect(fills(e.submit(limit('b1', 'BUY', '1', '99')))).toEqual([]);
    expect(e.order('b1')?.queueAhead.toString()).toBe('2');
    // A sell trade at 99 of 2.5: 2 were ahead, 0.5 reaches us, as maker at our price.
    expect(fills(e.onMarketData(trade('99', '2.5', 'SELL')))).toEqual([['b1', '99', '0.5', 'MAKER', '0.5']]);
    // A trade through our price (below it) fills the rest.
    const through = e.onMarketData(trade('98.5', '3', 'SELL'));
    expect(fills(through)).toEqual([['b1', '99', '0.5', 'MAKER', '0']]);
    expect(through[0].type === 'fill' && through[0].fee.toString()).toBe('0.0099'); // 99 × 0.5 × 0.0002
    // Buy-side aggression does not touch resting buys.
    e.submit(limit('b2', 'BUY', '1', '99'));
    expect(fills(e.onMarketData(trade('98', '1', 'BUY')))).toEqual([]);
  });

  it('risk-averse queue: a level shrinking without trades does not move the order up, but caps what is ahead', () => {
    const e = engine();
    e.onMarketData(book([lvl('99', '5')], [lvl('100', '1')]));
    e.submit(limit('b1', 'BUY', '1', '99'));
    expect(e.order('b1')?.queueAhead.toString()).toBe('5');
    // 5 → 3 shown (cancellations, say): all of them may have been behind us; 3 are still ahead at most.
    e.onMarketData(book([lvl('99', '3')], [lvl('100', '1')]));
    expect(e.order('b1')?.queueAhead.toString()).toBe('3');
    // 3 → 4 (someone joined behind): nothing changes ahead.
    e.onMarketData(book([lvl('99', '4')], [lvl('100', '1')]));
    expect(e.order('b1')?.queueAhead.toString()).toBe('3');
    // A trade of 3.5 at 99: 3 ahead, 0.5 for us.
    expect(fills(e.onMarketData(trade('99', '3.5', 'SELL')))).toEqual([['b1', '99', '0.5', 'MAKER', '0.5']]);
  });

  it('probabilistic queue: a cancellation is ahead of the order in proportion to the quantity ahead', () => {
    const e = new MatchingEngine({ makerFee: d('0'), takerFee: d('0'), queueModel: 'probabilistic' });
    e.onMarketData(book([lvl('99', '4')], [lvl('100', '1')]));
    e.submit(limit('b1', 'BUY', '1', '99'));
    // We joined behind 4; 2 more join behind us: 6 shown, 4 ahead.
    e.onMarketData(book([lvl('99', '6')], [lvl('100', '1')]));
    expect(e.order('b1')?.queueAhead.toString()).toBe('4');
    // 3 cancel: 4/6 of them were ahead of us → 2 fewer ahead.
    e.onMarketData(book([lvl('99', '3')], [lvl('100', '1')]));
    expect(e.order('b1')?.queueAhead.toString()).toBe('2');
    // A quote whose best bid is above our price says nothing about our level: unchanged.
    e.onMarketData({
      kind: 'quote',
      exchange: 'test',
      symbol: 'BTCUSDT',
      timestamp: 3,
      localTimestamp: 3,
      bid: lvl('99.5', '1'),
      ask: lvl('100', '1'),
    });
    expect(e.order('b1')?.queueAhead.toString()).toBe('2');
    // Trades take what was ahead first.
    expect(fills(e.onMarketData(trade('99', '2.5', 'SELL')))).toEqual([['b1', '99', '0.5', 'MAKER', '0.5']]);
  });

  it('fills a resting order at its price when the market book moves across it', () => {
    const e = engine();
    e.onMarketData(book([lvl('99', '1')], [lvl('101', '1')]));
    e.submit(limit('s1', 'SELL', '2', '100'));
    expect(fills(e.onMarketData(book([lvl('100.5', '0.7'), lvl('100', '5')], [lvl('101', '1')])))).toEqual([
      ['s1', '100', '0.7', 'MAKER', '1.3'],
      ['s1', '100', '1.3', 'MAKER', '0'],
    ]);
  });

  it('cancels, and replaces: down in size keeps its place, anything else goes to the back', () => {
    const e = engine();
    e.submit(limit('s1', 'SELL', '2', '100'));
    e.submit(limit('s2', 'SELL', '1', '100'));
    expect(e.replace('s1', d('1.5'), null)[0]).toMatchObject({ type: 'replaced' });
    expect(fills(e.submit(limit('b1', 'BUY', '0.1', '100')))[0][0]).toBe('s1');
    e.replace('s1', d('3'), null); // up in size: behind s2
    expect(fills(e.submit(limit('b2', 'BUY', '0.1', '100')))[0][0]).toBe('s2');
    expect(e.cancel('s2')).toEqual([
      { type: 'canceled', orderId: 's2', leavesQuantity: d('0.9'), reason: 'canceled on request' },
    ]);
    expect(e.cancel('s2')[0]).toMatchObject({ type: 'rejected' });
    expect(e.replace('s1', d('0.1'), null)[0]).toMatchObject({
      type: 'rejected',
      reason: 'new quantity is not above what has filled',
    });
  });

  it('refuses what it cannot take', () => {
    const e = engine();
    e.submit(limit('x', 'BUY', '1', '1'));
    expect(e.submit(limit('x', 'BUY', '1', '1'))[0]).toMatchObject({
      type: 'rejected',
      reason: 'duplicate order id',
    });
    expect(e.submit(limit('y', 'BUY', '0', '1'))[0]).toMatchObject({ type: 'rejected' });
    expect(e.submit({ ...limit('z', 'BUY', '1', '1'), limitPrice: null })[0]).toMatchObject({
      type: 'rejected',
    });
  });

  it('never fills more than an order asked, and every fill pairs with its counterpart (random order flow)', () => {
    const order = fc.record({
      side: fc.constantFrom('BUY' as const, 'SELL' as const),
      market: fc.boolean(),
      tif: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const),
      quantity: fc.integer({ min: 1, max: 50 }),
      price: fc.integer({ min: 95, max: 105 }),
    });
    fc.assert(
      fc.property(fc.array(order, { maxLength: 60 }), (orders) => {
        const e = engine();
        e.onMarketData(book([lvl('99', '3'), lvl('98', '5')], [lvl('101', '3'), lvl('102', '5')]));
        const filled = new Map<string, Decimal>();
        let makers = Decimal.ZERO;
        let takersAgainstOwn = Decimal.ZERO;
        orders.forEach((o, i) => {
          const id = `o${i}`;
          const reports = e.submit(
            o.market
              ? market(id, o.side, `${o.quantity}`)
              : limit(id, o.side, `${o.quantity}`, `${o.price}`, o.tif),
          );
          for (const r of reports) {
            if (r.type !== 'fill') continue;
            filled.set(r.orderId, (filled.get(r.orderId) ?? Decimal.ZERO).plus(r.quantity));
            if (r.liquidity === 'MAKER') makers = makers.plus(r.quantity);
          }
          // Takes from resting orders come in maker/taker pairs of equal size.
          for (let k = 0; k + 1 < reports.length; k++) {
            const [a, b] = [reports[k], reports[k + 1]];
            if (a.type === 'fill' && a.liquidity === 'MAKER' && b.type === 'fill') {
              expect(b.quantity).toEqual(a.quantity);
              takersAgainstOwn = takersAgainstOwn.plus(b.quantity);
            }
          }
          expect((filled.get(id) ?? Decimal.ZERO).lte(d(`${o.quantity}`))).toBe(true);
        });
        expect(takersAgainstOwn).toEqual(makers);
        for (const r of e.openOrders()) expect(r.leaves.isPositive()).toBe(true);
      }),
    );
  });

  it('replays the recorded quotes and trades: resting orders fill as the market moves, the same way every time', async () => {
    const events: MarketEvent[] = [];
    for await (const e of readTardisFile(recordedFile(RECORDED.quotes))) events.push(e);
    for await (const e of readTardisFile(recordedFile(RECORDED.trades))) events.push(e);
    events.sort((a, b) => a.timestamp - b.timestamp);
    const run = () => {
      const e = engine();
      const out: string[] = [];
      let placed = 0;
      for (const event of events) {
        for (const r of e.onMarketData(event))
          if (r.type === 'fill') out.push(`${r.orderId} ${r.price} ${r.quantity}`);
        // Every 500 events, one buy and one sell 2.00 away from the touch.
        if (event.kind === 'quote' && ++placed % 500 === 0 && event.bid && event.ask) {
          e.submit(limit(`b${placed}`, 'BUY', '0.01', event.bid.price.minus(d('2')).toString()));
          e.submit(limit(`s${placed}`, 'SELL', '0.01', event.ask.price.plus(d('2')).toString()));
        }
      }
      return { out, open: e.openOrders().length };
    };
    const first = run();
    expect(first.out.length).toBeGreaterThan(5);
    expect(run()).toEqual(first);
  });

  describe('post-only and iceberg orders', () => {
    it('a post-only limit that would take liquidity is rejected; one that rests is accepted', () => {
      const e = engine();
      e.onMarketData(book([lvl('99', '1')], [lvl('101', '1')]));
      const crossing = e.submit({ ...limit('p1', 'BUY', '1', '101'), postOnly: true });
      expect(crossing).toEqual([
        { type: 'rejected', orderId: 'p1', reason: 'post-only order would take liquidity' },
      ]);
      expect(fills(crossing)).toEqual([]);
      const resting = e.submit({ ...limit('p2', 'BUY', '1', '100'), postOnly: true });
      expect(resting.map((r) => r.type)).toEqual(['accepted']);
      expect(e.order('p2')?.leaves.toString()).toBe('1');
    });

    it('a replace keeps a post-only order post-only: a new price that would take is refused', () => {
      const e = engine();
      e.onMarketData(book([lvl('99', '1')], [lvl('101', '1')]));
      e.submit({ ...limit('p', 'BUY', '1', '100'), postOnly: true });
      expect(e.replace('p', d('1'), d('101'))).toEqual([
        { type: 'rejected', orderId: 'p', reason: 'post-only order would take liquidity' },
      ]);
      expect(e.order('p')?.price.toString()).toBe('100');
    });

    it('an iceberg trades its slice on show; the next slice joins the back of the queue', () => {
      const e = engine();
      e.onMarketData(book([lvl('100', '2')], [lvl('101', '1')]));
      // 3 to buy at 100, showing 1 at a time, behind the market's 2.
      e.submit({ ...limit('ice', 'BUY', '3', '100'), displayQuantity: d('1') });
      // 2.5 trades at 100: the 2 ahead, then 0.5 of the slice on show.
      expect(fills(e.onMarketData(trade('100', '2.5', 'SELL')))).toEqual([
        ['ice', '100', '0.5', 'MAKER', '2.5'],
      ]);
      // The next 1: 0.5 finishes the slice; the rest waits behind the market's quantity shown now.
      expect(fills(e.onMarketData(trade('100', '1', 'SELL')))).toEqual([['ice', '100', '0.5', 'MAKER', '2']]);
      expect(e.order('ice')?.visible?.toString()).toBe('1');
    });
  });
  describe('stop-limit orders held by the venue', () => {
    const stop = (
      orderId: string,
      side: 'BUY' | 'SELL',
      quantity: string,
      stopPrice: string,
      price: string,
    ) => ({
      ...limit(orderId, side, quantity, price),
      stopPrice: d(stopPrice),
    });

    it('a sell stop waits off the book until a trade reaches its stop, then sells at its limit or better', () => {
      const e = engine();
      e.onMarketData(book([lvl('100', '5')], [lvl('101', '5')]));
      expect(e.submit(stop('s', 'SELL', '2', '99', '98'))).toEqual([{ type: 'accepted', orderId: 's' }]);
      // Not on the book: the market's bids above its limit do not fill it, a trade above its stop does not trigger it.
      expect(e.onMarketData(trade('100', '1', 'SELL'))).toEqual([]);
      e.onMarketData(book([lvl('98.5', '1'), lvl('98', '5')], [lvl('99.5', '5')]));
      const reports = e.onMarketData(trade('99', '1', 'SELL'));
      expect(reports[0]).toEqual({ type: 'triggered', orderId: 's' });
      expect(fills(reports)).toEqual([
        ['s', '98.5', '1', 'TAKER', '1'],
        ['s', '98', '1', 'TAKER', '0'],
      ]);
    });

    it('a buy stop triggers on a trade at or above its stop; what its limit cannot take rests at the limit', () => {
      const e = engine();
      e.onMarketData(book([lvl('100', '5')], [lvl('101', '1'), lvl('103', '5')]));
      e.submit(stop('b', 'BUY', '3', '101', '102'));
      const reports = e.onMarketData(trade('101', '1', 'BUY'));
      expect(reports.map((r) => r.type)).toEqual(['triggered', 'fill']);
      expect(fills(reports)).toEqual([['b', '101', '1', 'TAKER', '2']]);
      expect(e.order('b')?.price.toString()).toBe('102');
      expect(e.order('b')?.leaves.toString()).toBe('2');
    });

    it('a stop already reached by the last trade triggers on arrival', () => {
      const e = engine();
      e.onMarketData(book([lvl('100', '5')], [lvl('101', '5')]));
      e.onMarketData(trade('100', '1', 'SELL'));
      const reports = e.submit(stop('s', 'SELL', '1', '100.5', '100'));
      expect(reports.map((r) => r.type)).toEqual(['accepted', 'triggered', 'fill']);
    });

    it('a fill of an order here is a trade here: it triggers the stops it reaches, in arrival order', () => {
      const e = engine();
      e.onMarketData(book([lvl('100', '1'), lvl('99', '1'), lvl('98', '5')], [lvl('101', '5')]));
      e.submit(stop('s1', 'SELL', '1', '99.5', '90'));
      e.submit(stop('s2', 'SELL', '1', '99', '90'));
      const reports = e.submit(market('m', 'SELL', '1'));
      // m trades at 100 (no trigger); nothing reaches 99.5 yet.
      expect(reports.map((r) => r.type)).toEqual(['accepted', 'fill']);
      const next = e.submit(market('m2', 'SELL', '1'));
      // m2 trades at 99: s1 (99.5) and s2 (99) trigger, in arrival order, and sell at 98.
      expect(next.filter((r) => r.type === 'triggered').map((r) => r.orderId)).toEqual(['s1', 's2']);
      expect(fills(next).map((f) => [f[0], f[1]])).toEqual([
        ['m2', '99'],
        ['s1', '98'],
        ['s2', '98'],
      ]);
    });

    it('a stop not yet triggered is canceled or replaced where it waits', () => {
      const e = engine();
      e.onMarketData(book([lvl('100', '5')], [lvl('101', '5')]));
      e.submit(stop('s', 'SELL', '2', '99', '98'));
      expect(e.holds('s')).toBe(true);
      expect(e.replace('s', d('3'), d('97'))).toEqual([
        { type: 'replaced', orderId: 's', quantity: d('3'), limitPrice: d('97'), leavesQuantity: d('3') },
      ]);
      expect(e.cancel('s')).toEqual([
        { type: 'canceled', orderId: 's', leavesQuantity: d('3'), reason: 'canceled on request' },
      ]);
      expect(e.holds('s')).toBe(false);
      expect(e.onMarketData(trade('98', '1', 'SELL'))).toEqual([]);
    });

    it('a post-only stop, or one without a positive stop price, is rejected', () => {
      const e = engine();
      expect(e.submit({ ...stop('p', 'SELL', '1', '99', '98'), postOnly: true })[0].type).toBe('rejected');
      expect(e.submit(stop('z', 'SELL', '1', '0', '98'))[0].type).toBe('rejected');
    });
  });
});
