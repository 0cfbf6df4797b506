import { writeFileSync } from 'fs';

/** One measured figure; `bench-results.json` holds a list of these. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** e.g. "<= 10" (same unit as value) */
  target?: string;
  met?: boolean;
  /** value ÷ the same figure for what it was compared against (higher is better for throughput). */
  ratio?: number;
  comparedWith?: string;
}

/** Figures one suite names and another judges against (bench/run.ts). */
export const RISK_RATE = 'risk decisions per second (one core)';
export const MATCHING_RATE = 'matching engine: 200k orders (70% limit, 15% market, 15% cancel)';

/**
 * Figures judged against figures of other suites in the same run: the risk check against the matching
 * engine on the same box (checking an order must not cost more than matching it).
 */
export function crossSuiteFigures(figures: BenchFigure[]): BenchFigure[] {
  const value = (name: string) => figures.find((f) => f.name === name)?.value;
  const risk = value(RISK_RATE);
  const matching = value(MATCHING_RATE);
  if (risk === undefined || matching === undefined) return [];
  return [
    figure('risk decisions/s vs matching engine orders/s', risk / matching, 'ratio', {
      atLeast: 1.0,
    }),
  ];
}

export function figure(
  name: string,
  value: number,
  unit: string,
  options: { atMost?: number; atLeast?: number; ratio?: number; comparedWith?: string } = {},
): BenchFigure {
  const f: BenchFigure = { name, value: round(value), unit };
  if (options.atMost !== undefined) {
    f.target = `<= ${options.atMost}`;
    f.met = value <= options.atMost;
  } else if (options.atLeast !== undefined) {
    f.target = `>= ${options.atLeast}`;
    f.met = value >= options.atLeast;
  }
  if (options.ratio !== undefined) f.ratio = round(options.ratio);
  if (options.comparedWith !== undefined) f.comparedWith = options.comparedWith;
  return f;
}

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}

/** Percentile of an ascending-sorted sample, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function printTable(figures: BenchFigure[]): void {
  const rows = figures.map((f) => [
    f.name,
    `${f.value} ${f.unit}`,
    f.target ? `${f.target} ${f.unit}` : '',
    f.met === undefined ? '' : f.met ? 'met' : 'NOT MET',
    f.ratio === undefined ? '' : `${f.ratio}× ${f.comparedWith ?? ''}`.trim(),
  ]);
  const header = ['figure', 'value', 'target', '', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

export function writeResults(path: string, figures: BenchFigure[]): void {
  writeFileSync(path, `${JSON.stringify(figures, null, 2)}\n`);
}
