import { Decimal } from '@oms/domain';
import { MarketEvent, TardisReading, openTardisFile } from '@oms/venues';
import { basename } from 'path';
import { InstrumentSetting, currenciesOf } from './config';

/** A market event from one of the backtest's files (its index in `--data`). */
export interface ReplayedEvent {
  file: number;
  event: MarketEvent;
}

/**
 * The data files merged into one stream in exchange-timestamp order (ties: the earlier file first,
 * then file order), cut to [from, to] when given. Progress is the share of the files' bytes read.
 */
export class MarketReplay {
  private readonly readings: TardisReading[];

  constructor(
    readonly files: readonly string[],
    private readonly from: number | null = null,
    private readonly to: number | null = null,
  ) {
    this.readings = files.map((f) => openTardisFile(f));
  }

  /** 0..1: how much of the files has been read. */
  progress(): number {
    const total = this.readings.reduce((s, r) => s + r.size, 0);
    const read = this.readings.reduce((s, r) => s + Math.min(r.bytesRead(), r.size), 0);
    return total === 0 ? 1 : read / total;
  }

  async *events(): AsyncGenerator<ReplayedEvent> {
    const heads: (MarketEvent | null)[] = [];
    for (const r of this.readings) heads.push(await this.next(r));
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && (best < 0 || h.timestamp < (heads[best] as MarketEvent).timestamp)) best = i;
      }
      if (best < 0) return;
      const event = heads[best] as MarketEvent;
      heads[best] = await this.next(this.readings[best]);
      if (this.to !== null && event.timestamp > this.to * 1000) {
        heads[best] = null; // this file is past the end (its rows are in time order)
        continue;
      }
      yield { file: best, event };
    }
  }

  private async next(reading: TardisReading): Promise<MarketEvent | null> {
    for (;;) {
      const n = await reading.events.next();
      if (n.done) return null;
      if (this.from !== null && n.value.timestamp < this.from * 1000) continue;
      return n.value;
    }
  }

  /** Stops reading (the files are closed). */
  async close(): Promise<void> {
    await Promise.all(this.readings.map((r) => r.events.return(undefined)));
  }
}

/** The earliest exchange time in the files (ms): what "+90s" in --from, --to and faults counts from. */
export async function dataStartOf(files: readonly string[]): Promise<number> {
  let start = Number.POSITIVE_INFINITY;
  for (const path of files) {
    const reading = openTardisFile(path);
    try {
      const first = await reading.events.next();
      if (!first.done) start = Math.min(start, first.value.timestamp / 1000);
    } finally {
      await reading.events.return(undefined);
    }
  }
  return Number.isFinite(start) ? start : 0;
}

/** What a pass over the start of the data says: symbols, their steps, and when the data starts. */
export interface DataSurvey {
  startsAt: number;
  /** Per file: rows read, first exchange time, kind of rows. */
  files: { path: string; name: string; format: string; symbols: string[] }[];
  instruments: InstrumentSetting[];
}

/** Rows per file the survey reads to infer ticks and lots. */
export const SURVEY_ROWS = 5_000;

/**
 * Reads up to SURVEY_ROWS rows of each file: the symbols in it, and for each symbol the tick (the
 * greatest common step of the prices seen) and the lot (the same of the sizes seen). Inferred steps
 * can only be coarser than the real ones if the data never used the finer ones; the report states
 * them as inferred.
 */
export async function surveyData(
  files: readonly string[],
  from: number | null,
  /** Rows per file: SURVEY_ROWS to infer instruments; fewer when the config names them. */
  rowsPerFile = SURVEY_ROWS,
): Promise<DataSurvey> {
  const steps = new Map<string, { prices: Decimal[]; sizes: Decimal[] }>();
  let startsAt = Number.POSITIVE_INFINITY;
  const surveyed: DataSurvey['files'] = [];
  for (const path of files) {
    const reading = openTardisFile(path);
    const symbols = new Set<string>();
    const kinds = new Set<string>();
    let rows = 0;
    try {
      for await (const event of reading.events) {
        if (from !== null && event.timestamp < from * 1000) continue;
        startsAt = Math.min(startsAt, event.timestamp / 1000);
        symbols.add(event.symbol);
        kinds.add(event.kind);
        const s = steps.get(event.symbol) ?? { prices: [], sizes: [] };
        steps.set(event.symbol, s);
        const levels =
          event.kind === 'trade'
            ? [{ price: event.price, quantity: event.quantity }]
            : event.kind === 'quote'
              ? [event.bid, event.ask].filter((l) => l !== null)
              : [...event.bids, ...event.asks];
        for (const l of levels) {
          s.prices.push(l.price);
          if (l.quantity.isPositive()) s.sizes.push(l.quantity);
        }
        if (++rows >= rowsPerFile) break;
      }
    } finally {
      await reading.events.return(undefined);
    }
    surveyed.push({ path, name: basename(path), format: [...kinds].join('+'), symbols: [...symbols] });
  }
  if (!Number.isFinite(startsAt)) startsAt = from ?? 0;
  const instruments: InstrumentSetting[] = [...steps.entries()].map(([symbol, s]) => ({
    instrumentId: instrumentIdOf(symbol),
    symbol,
    tickSize: commonStep(s.prices),
    lotSize: commonStep(s.sizes),
    baseCurrency: currenciesOf(symbol).base,
    quoteCurrency: currenciesOf(symbol).quote,
  }));
  return { startsAt, files: surveyed, instruments };
}

/** An OMS instrument id for a data symbol (letters, digits, _ . : - kept; anything else becomes _). */
export function instrumentIdOf(symbol: string): string {
  return symbol.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 32);
}

/** The greatest step every value is a multiple of (1 when there are none). */
export function commonStep(values: readonly Decimal[]): Decimal {
  if (values.length === 0) return Decimal.ONE;
  const scale = Math.max(...values.map((v) => v.decimalPlaces()));
  const unit = Decimal.parse(scale === 0 ? '1' : `0.${'0'.repeat(scale - 1)}1`);
  let g = 0n;
  for (const v of values) {
    let a = BigInt(v.abs().dividedBy(unit, 0).toString());
    let b = g;
    while (b !== 0n) [a, b] = [b, a % b];
    g = a;
    if (g === 1n) break;
  }
  return g === 0n ? unit : unit.times(Decimal.parse(g.toString()));
}
