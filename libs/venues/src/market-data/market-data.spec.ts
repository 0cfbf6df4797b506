import { Decimal } from '@oms/domain';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { RECORDED, recordedFile } from '../testing/recorded-data';
import { L2Book } from './l2-book';
import { BookUpdate, MarketEvent, QuoteTick, TradeTick } from './market-data';
import { syntheticFeed } from './synthetic';
import { UnsupportedMarketDataError, readTardisFile } from './tardis';

async function readAll(path: string): Promise<MarketEvent[]> {
  const events: MarketEvent[] = [];
  for await (const event of readTardisFile(path)) events.push(event);
  return events;
}

const levels = (ls: { price: Decimal; quantity: Decimal }[]) =>
  ls.map((l) => [l.price.toString(), l.quantity.toString()]);

describe('tardis market data', () => {
  it('reads the recorded trades: every row, exact prices and sizes, the aggressor side', async () => {
    const trades = (await readAll(recordedFile(RECORDED.trades))) as TradeTick[];
    expect(trades).toHaveLength(9_999);
    expect(trades[0]).toMatchObject({
      kind: 'trade',
      exchange: 'binance-futures',
      symbol: 'BTCUSDT',
      timestamp: 1582329602111000,
      localTimestamp: 1582329602418379,
      tradeId: '42377944',
      aggressor: 'BUY',
    });
    expect(trades[0].price).toEqual(Decimal.parse('9682'));
    expect(trades[0].quantity).toEqual(Decimal.parse('0.132'));
    const last = trades[trades.length - 1];
    expect([last.tradeId, last.aggressor, last.price.toString(), last.quantity.toString()]).toEqual([
      '42387942',
      'SELL',
      '9666.84',
      '0.07',
    ]);
    for (let i = 1; i < trades.length; i++)
      expect(trades[i].timestamp).toBeGreaterThanOrEqual(trades[i - 1].timestamp);
  });

  it('reads the recorded quotes as top of book', async () => {
    const quotes = (await readAll(recordedFile(RECORDED.quotes))) as QuoteTick[];
    expect(quotes).toHaveLength(9_999);
    expect(quotes[0].bid && levels([quotes[0].bid])).toEqual([['9681.92', '0.67']]);
    expect(quotes[0].ask && levels([quotes[0].ask])).toEqual([['9682', '0.84']]);
    const book = new L2Book();
    for (const q of quotes) book.apply(q);
    expect(book.bids.length + book.asks.length).toBe(2);
    expect(book.bestBid!.price.lt(book.bestAsk!.price)).toBe(true);
  });

  it('reads 5-level book snapshots, best first on each side', async () => {
    const snapshots = (await readAll(recordedFile(RECORDED.bookSnapshots))) as BookUpdate[];
    expect(snapshots).toHaveLength(10);
    expect(snapshots.every((s) => s.snapshot && s.bids.length === 5 && s.asks.length === 5)).toBe(true);
    const book = new L2Book();
    book.apply(snapshots[0]);
    expect(levels(book.asks.slice(0, 2))).toEqual([
      ['11657.08', '1.714'],
      ['11657.54', '5.4'],
    ]);
    expect(levels(book.bids.slice(0, 2))).toEqual([
      ['11657.07', '10.896'],
      ['11656.97', '0.2'],
    ]);
  });

  it('groups incremental L2 rows of one instant into one update (deribit, another exchange and symbol)', async () => {
    const updates = (await readAll(recordedFile(RECORDED.incrementalL2))) as BookUpdate[];
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ exchange: 'deribit', symbol: 'BTC-PERPETUAL', snapshot: true });
    const book = new L2Book();
    book.apply(updates[0]);
    expect(book.asks).toHaveLength(15);
    expect(book.bestAsk!.price.toString()).toBe('6421.5');
    expect(book.asks[14].price.toString()).toBe('6428.5');
  });

  it('accepts other files of the same formats, gzipped too, and applies deltas in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tardis-'));
    const csv = [
      'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount',
      'bitmex,XBTUSD,1000,1001,true,bid,100.5,10',
      'bitmex,XBTUSD,1000,1001,true,bid,100,5',
      'bitmex,XBTUSD,1000,1001,true,ask,101,7',
      'bitmex,XBTUSD,2000,2001,false,bid,100.5,0',
      'bitmex,XBTUSD,2000,2001,false,bid,100.75,3',
      'bitmex,XBTUSD,3000,3001,false,ask,101,2',
    ].join('\n');
    const path = join(dir, 'bitmex_incremental_book_L2_XBTUSD.csv.gz');
    writeFileSync(path, gzipSync(csv));
    const updates = (await readAll(path)) as BookUpdate[];
    expect(updates.map((u) => [u.timestamp, u.snapshot, u.bids.length + u.asks.length])).toEqual([
      [1000, true, 3],
      [2000, false, 2],
      [3000, false, 1],
    ]);
    const book = new L2Book();
    updates.forEach((u) => book.apply(u));
    expect(levels(book.bids)).toEqual([
      ['100.75', '3'],
      ['100', '5'],
    ]);
    expect(levels(book.asks)).toEqual([['101', '2']]);
  });

  it('refuses a file that is none of the formats, and a malformed row, saying where', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tardis-'));
    const other = join(dir, 'other.csv');
    writeFileSync(other, 'a,b\n1,2\n');
    await expect(readAll(other)).rejects.toThrow(UnsupportedMarketDataError);
    const bad = join(dir, 'trades.csv');
    writeFileSync(
      bad,
      'exchange,symbol,timestamp,local_timestamp,id,side,price,amount\nx,Y,1,1,7,buy,abc,1\n',
    );
    await expect(readAll(bad)).rejects.toThrow(/trades\.csv, line 2: "abc" is not a valid decimal/);
  });
});

describe('synthetic feed', () => {
  const take = (n: number, seed = 7) => {
    const events: MarketEvent[] = [];
    for (const event of syntheticFeed({ seed, startMicros: 1_700_000_000_000_000 })) {
      events.push(event);
      if (events.length === n) break;
    }
    return events;
  };

  it('is the same for the same seed and differs for another', () => {
    const json = (events: MarketEvent[]) => JSON.stringify(events);
    expect(json(take(200))).toEqual(json(take(200)));
    expect(json(take(200, 8))).not.toEqual(json(take(200)));
  });

  it('keeps prices near 9,600–9,750 with an uncrossed book, trades at or through the touch', () => {
    const events = take(5_000);
    const book = new L2Book();
    let trades = 0;
    let last = 0;
    for (const event of events) {
      expect(event.timestamp).toBeGreaterThan(last);
      last = event.timestamp;
      if (event.kind === 'trade') {
        trades++;
        const touch = event.aggressor === 'BUY' ? book.bestAsk!.price : book.bestBid!.price;
        expect(event.aggressor === 'BUY' ? event.price.gte(touch) : event.price.lte(touch)).toBe(true);
        continue;
      }
      book.apply(event);
      expect(book.bestBid!.price.lt(book.bestAsk!.price)).toBe(true);
      expect(book.bestBid!.price.gte(Decimal.parse('9590'))).toBe(true);
      expect(book.bestAsk!.price.lte(Decimal.parse('9760'))).toBe(true);
    }
    expect(trades).toBeGreaterThan(1_000);
  });
});
