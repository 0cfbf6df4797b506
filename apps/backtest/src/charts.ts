import { spawnSync } from 'child_process';
import { existsSync } from 'fs';
import { dirname, join } from 'path';
import { BacktestReport, RunReport } from './report';

/** A chart: a Vega-Lite spec, rendered to <name>.svg and <name>.png. */
export interface Chart {
  name: string;
  title: string;
  spec: Record<string, unknown>;
}

const WIDTH = 760;
/** Times are UTC, shown as wall-clock time of day. */
const UTC = { type: 'utc' };
const TIME_AXIS = { format: '%H:%M:%S' };
/** Numbers for drawing only: the report's figures stay exact text. */
const n = (text: string) => Number(text);

/** The report's pictures: equity and drawdown, fills over the price, latency, slippage. */
export function chartsOf(report: BacktestReport): Chart[] {
  const runs = report.runs;
  const byRun = runs.length > 1;
  const color = byRun ? { field: 'run', type: 'nominal', title: 'run' } : { value: '#1f6feb' };
  const faults = runs.flatMap((r) =>
    r.faults.map((f) => ({ run: r.label, from: f.from, to: f.to, label: `${f.venueId} ${f.type}` })),
  );
  const faultLayer = faults.length
    ? [
        {
          data: { values: faults },
          mark: { type: 'rect', opacity: 0.15, color: '#d1242f' },
          encoding: { x: { field: 'from', type: 'temporal', scale: UTC }, x2: { field: 'to' } },
        },
      ]
    : [];
  const equity = runs.flatMap((r) =>
    r.equity.map((e) => ({ run: r.label, at: e.at, equity: n(e.equity), drawdown: n(e.drawdown) })),
  );
  const charts: Chart[] = [
    {
      name: 'equity',
      title: 'Equity marked to market, and drawdown (quote currency)',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        vconcat: [
          {
            width: WIDTH,
            height: 220,
            title: `Equity (marked to the OMS mid)${faults.length ? ' — shaded: venue faults' : ''}`,
            layer: [
              ...faultLayer,
              {
                data: { values: equity },
                mark: { type: 'line', interpolate: 'step-after' },
                encoding: {
                  x: { field: 'at', type: 'temporal', title: null, scale: UTC, axis: TIME_AXIS },
                  y: { field: 'equity', type: 'quantitative', title: 'equity' },
                  color,
                },
              },
            ],
          },
          {
            width: WIDTH,
            height: 120,
            title: 'Drawdown',
            data: { values: equity },
            mark: { type: 'area', opacity: 0.5, interpolate: 'step-after' },
            encoding: {
              x: {
                field: 'at',
                type: 'temporal',
                title: 'simulated time (UTC)',
                scale: UTC,
                axis: TIME_AXIS,
              },
              y: { field: 'drawdown', type: 'quantitative', title: 'drawdown', stack: null },
              color: byRun ? color : { value: '#d1242f' },
            },
          },
        ],
      },
    },
  ];
  // Fills over the price: one panel per run.
  const panels = runs.map((r) => ({
    width: WIDTH,
    height: 240,
    title: byRun ? `Fills over the mid — ${r.label}` : 'Fills over the mid (shape: venue, colour: side)',
    layer: [
      ...faultLayer.map((l) => ({ ...l, data: { values: faults.filter((f) => f.run === r.label) } })),
      {
        data: { values: midsOf(r) },
        mark: { type: 'line', color: '#8c959f', strokeWidth: 1 },
        encoding: {
          x: { field: 'at', type: 'temporal', title: 'simulated time (UTC)', scale: UTC, axis: TIME_AXIS },
          y: { field: 'mid', type: 'quantitative', scale: { zero: false }, title: 'price' },
        },
      },
      {
        data: {
          values: r.fills.map((f) => ({
            at: f.at,
            price: n(f.price),
            side: f.side,
            venue: f.venueId,
            quantity: n(f.quantity),
          })),
        },
        mark: { type: 'point', filled: true, opacity: 0.8 },
        encoding: {
          x: { field: 'at', type: 'temporal', scale: UTC },
          y: { field: 'price', type: 'quantitative', scale: { zero: false } },
          color: {
            field: 'side',
            type: 'nominal',
            scale: { domain: ['BUY', 'SELL'], range: ['#1a7f37', '#d1242f'] },
          },
          shape: { field: 'venue', type: 'nominal' },
          size: { field: 'quantity', type: 'quantitative', legend: null, scale: { range: [20, 160] } },
        },
      },
    ],
  }));
  charts.push({
    name: 'fills',
    title: 'Fills over the price, by side and venue',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      vconcat: panels,
      resolve: { scale: { color: 'shared', shape: 'shared' } },
    },
  });
  const latency = runs.flatMap((r) =>
    r.latencySamples.map((s) => ({
      run: r.label,
      venue: s.venueId,
      series: byRun ? `${r.label} · ${s.venueId}` : s.venueId,
      kind: s.kind === 'ack' ? 'submit → ack' : 'submit → first fill',
      ms: s.ms,
    })),
  );
  charts.push({
    name: 'latency',
    title: 'Latency: submit → ack and submit → first fill, by venue',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values: latency },
      facet: { row: { field: 'kind', type: 'nominal', title: null } },
      spec: {
        width: WIDTH,
        height: 110,
        mark: { type: 'boxplot', extent: 'min-max' },
        encoding: {
          y: { field: 'series', type: 'nominal', title: null },
          x: { field: 'ms', type: 'quantitative', title: 'ms (virtual clock)' },
          color: { field: 'venue', type: 'nominal' },
        },
      },
    },
  });
  const slippage = runs
    .flatMap((r) => [
      ...r.slippage.byVenue.map((s) => ({ run: r.label, key: `venue ${s.key}`, bps: s.bps })),
      ...r.slippage.bySide.map((s) => ({ run: r.label, key: `side ${s.key}`, bps: s.bps })),
      ...r.slippage.bySize.map((s) => ({ run: r.label, key: s.key, bps: s.bps })),
    ])
    .filter((s) => s.bps !== null)
    .map((s) => ({ ...s, bps: n(s.bps as string) }));
  charts.push({
    name: 'slippage',
    title: 'Slippage against the arrival mid (bps; positive is a cost), by venue, side and order size',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH,
      height: { step: byRun ? 14 : 22 },
      data: { values: slippage },
      mark: 'bar',
      encoding: {
        y: { field: 'key', type: 'nominal', title: null, sort: null },
        ...(byRun ? { yOffset: { field: 'run' } } : {}),
        x: { field: 'bps', type: 'quantitative', title: 'bps' },
        color: byRun ? color : { value: '#8250df' },
      },
    },
  });
  return charts;
}

/** The first instrument's mid over time (the fills panel's price line). */
function midsOf(r: RunReport): { at: string; mid: number }[] {
  return r.equity.flatMap((e) => {
    const mark = Object.values(e.marks)[0];
    return mark ? [{ at: e.at, mid: n(mark) }] : [];
  });
}

/** Renders the charts into `dir` as SVG and PNG (in a child process: vega is an ES module). */
export function renderCharts(charts: Chart[], dir: string): void {
  const script = findUp(join('scripts', 'render-charts.mjs'));
  const result = spawnSync(process.execPath, [script, dir], {
    input: JSON.stringify(charts.map(({ name, spec }) => ({ name, spec }))),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0)
    throw new Error(
      `rendering the charts failed: ${result.stderr || result.error?.message || result.status}`,
    );
}

function findUp(relative: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${relative} not found above ${__dirname}`);
  }
}
