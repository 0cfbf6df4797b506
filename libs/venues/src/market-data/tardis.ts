import { Decimal } from '@oms/domain';
import { parse } from 'csv-parse';
import { createReadStream, statSync } from 'fs';
import { Readable } from 'stream';
import { createGunzip } from 'zlib';
import { BookUpdate, MarketEvent, PriceLevel } from './market-data';

export class UnsupportedMarketDataError extends Error {}

type Row = Record<string, string>;
type Format = 'trades' | 'quotes' | 'book_snapshot' | 'incremental_book_L2';

/**
 * Reads a tardis.dev CSV file (plain or .gz) of any exchange, symbol or day: trades, quotes,
 * book_snapshot_N (any depth) or incremental_book_L2. The format is told by the header, not the name.
 */
export async function* readTardisFile(path: string): AsyncGenerator<MarketEvent> {
  const raw = createReadStream(path);
  yield* readTardisCsv(path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw, path);
}

/** A tardis file being read, with how far into it (bytes of the file itself, compressed or not). */
export interface TardisReading {
  events: AsyncGenerator<MarketEvent>;
  size: number;
  bytesRead(): number;
}

export function openTardisFile(path: string): TardisReading {
  const raw = createReadStream(path, { highWaterMark: 256 * 1024 });
  return {
    events: readTardisCsv(path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw, path),
    size: statSync(path).size,
    bytesRead: () => raw.bytesRead,
  };
}

export async function* readTardisCsv(input: Readable, source = 'input'): AsyncGenerator<MarketEvent> {
  const parser = input.pipe(parse({ columns: true, skip_empty_lines: true, trim: true }));
  let format: Format | null = null;
  let pending: BookUpdate | null = null;
  let line = 1;
  for await (const row of parser as AsyncIterable<Row>) {
    line++;
    format ??= formatOf(Object.keys(row), source);
    try {
      if (format === 'incremental_book_L2') {
        const update = incrementalRow(row);
        if (
          pending &&
          pending.timestamp === update.timestamp &&
          pending.snapshot === update.snapshot &&
          pending.symbol === update.symbol
        ) {
          pending.bids.push(...update.bids);
          pending.asks.push(...update.asks);
          continue;
        }
        if (pending) yield pending;
        pending = update;
      } else {
        yield format === 'trades' ? tradeRow(row) : format === 'quotes' ? quoteRow(row) : snapshotRow(row);
      }
    } catch (error) {
      throw new UnsupportedMarketDataError(`${source}, line ${line}: ${(error as Error).message}`);
    }
  }
  if (pending) yield pending;
}

function formatOf(columns: string[], source: string): Format {
  const has = (c: string) => columns.includes(c);
  const base = ['exchange', 'symbol', 'timestamp', 'local_timestamp'].every(has);
  if (base && has('is_snapshot') && has('side') && has('price') && has('amount'))
    return 'incremental_book_L2';
  if (base && has('id') && has('side') && has('price') && has('amount')) return 'trades';
  if (base && ['ask_amount', 'ask_price', 'bid_price', 'bid_amount'].every(has)) return 'quotes';
  if (base && has('asks[0].price') && has('bids[0].price')) return 'book_snapshot';
  throw new UnsupportedMarketDataError(
    `${source}: not a tardis trades, quotes, book_snapshot or incremental_book_L2 file (columns: ${columns.join(', ')})`,
  );
}

function base(row: Row) {
  return {
    exchange: row.exchange,
    symbol: row.symbol,
    timestamp: micros(row.timestamp),
    localTimestamp: micros(row.local_timestamp),
  };
}

function micros(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new Error(`timestamp ${JSON.stringify(text)} is not whole microseconds`);
  return value;
}

function level(price: string | undefined, amount: string | undefined): PriceLevel | null {
  if (!price || !amount) return null;
  return { price: Decimal.parse(price), quantity: Decimal.parse(amount) };
}

function tradeRow(row: Row): MarketEvent {
  return {
    kind: 'trade',
    ...base(row),
    tradeId: row.id,
    aggressor: row.side === 'buy' ? 'BUY' : row.side === 'sell' ? 'SELL' : null,
    price: Decimal.parse(row.price),
    quantity: Decimal.parse(row.amount),
  };
}

function quoteRow(row: Row): MarketEvent {
  return {
    kind: 'quote',
    ...base(row),
    bid: level(row.bid_price, row.bid_amount),
    ask: level(row.ask_price, row.ask_amount),
  };
}

function snapshotRow(row: Row): MarketEvent {
  const side = (name: 'asks' | 'bids') => {
    const levels: PriceLevel[] = [];
    for (let i = 0; `${name}[${i}].price` in row; i++) {
      const l = level(row[`${name}[${i}].price`], row[`${name}[${i}].amount`]);
      if (l) levels.push(l);
    }
    return levels;
  };
  return { kind: 'book', ...base(row), snapshot: true, bids: side('bids'), asks: side('asks') };
}

function incrementalRow(row: Row): BookUpdate {
  const l = level(row.price, row.amount);
  if (!l) throw new Error('a book level needs a price and an amount');
  if (row.side !== 'bid' && row.side !== 'ask')
    throw new Error(`side ${JSON.stringify(row.side)} is not bid or ask`);
  return {
    kind: 'book',
    ...base(row),
    snapshot: row.is_snapshot === 'true',
    bids: row.side === 'bid' ? [l] : [],
    asks: row.side === 'ask' ? [l] : [],
  };
}
