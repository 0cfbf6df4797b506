import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Chart, chartsOf, renderCharts } from './charts';
import { BacktestReport, RunReport } from './report';

/**
 * Writes a report's files into `dir`: report.json (exact, deterministic), the charts as SVG and PNG,
 * and report.html, one self-contained page (the SVGs inline, no scripts, no network).
 */
export function writeReport(report: BacktestReport, dir: string): { files: string[] } {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(dir, 'report.json'), json);
  const charts = chartsOf(report);
  renderCharts(charts, dir);
  writeFileSync(join(dir, 'report.html'), htmlOf(report, charts, dir));
  return {
    files: ['report.json', 'report.html', ...charts.flatMap((c) => [`${c.name}.svg`, `${c.name}.png`])],
  };
}

const esc = (text: unknown) =>
  String(text ?? '—').replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );

/** For people: at most `places` decimals (the JSON keeps every digit). */
function show(text: string | null | undefined, places = 4): string {
  if (text === null || text === undefined) return '—';
  const [whole, fraction = ''] = text.split('.');
  const trimmed = fraction.slice(0, places).replace(/0+$/, '');
  return esc(trimmed ? `${whole}.${trimmed}` : whole);
}

function table(head: string[], rows: (string | number | null)[][], highlight?: boolean[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (r, i) =>
        `<tr${highlight?.[i] ? ' class="diff"' : ''}>${r.map((c) => `<td>${c === null ? '—' : c}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

function runSection(r: RunReport): string {
  const s = r.summary;
  const a = r.assumptions as Record<string, unknown>;
  return `<section><h2>${esc(r.label)}</h2>
<h3>Summary</h3>
${table(
  ['figure', 'value'],
  [
    ['net P&amp;L (realised + unrealised − fees)', show(s.netPnl)],
    ['realised P&amp;L', show(s.realizedPnl)],
    ['unrealised P&amp;L at the last mark', show(s.unrealizedPnl)],
    ['fees', show(s.fees)],
    ['max drawdown', show(s.maxDrawdown)],
    ['P&amp;L reconciles with the cash flow', s.pnlReconciles ? 'yes' : '<b>NO</b>'],
    ['the OMS ledger books the same position, P&amp;L and fees', s.ledgerAgrees ? 'yes' : '<b>NO</b>'],
    ['orders placed / accepted', `${s.ordersPlaced} / ${s.ordersAccepted}`],
    ['fills', String(s.fills)],
    ['fill ratio (filled ÷ ordered)', show(s.fillRatio)],
    [
      'filled',
      esc(
        Object.entries(s.filledQuantity)
          .map(([k, v]) => `${v} ${k}`)
          .join(', '),
      ),
    ],
    [
      'position at the end',
      esc(
        Object.entries(s.position)
          .map(([k, v]) => `${v} ${k}`)
          .join(', '),
      ),
    ],
    ['market events replayed', String(s.marketEvents)],
    ['simulated', `${esc(s.simulatedFrom)} → ${esc(s.simulatedTo)}`],
  ],
)}
<h3>Venues and the router</h3>
${table(
  ['venue', 'slices', 'routed', 'share of flow', 'filled', 'fill ratio', 'maker share', 'fees'],
  r.venues.map((v) => [
    esc(v.venueId),
    v.slices,
    show(v.routedQuantity),
    show(v.shareOfFlow),
    show(v.filledQuantity),
    show(v.fillRatio),
    show(v.makerShare),
    show(v.fees, 6),
  ]),
)}
<p>Orders routed: ${r.router.ordersRouted}; split over venues: ${r.router.splitOrders}; direct: ${r.router.directOrders}; refused by the router: ${r.router.refusedToRoute}.</p>
<ul>${r.router.examples.map((e) => `<li><code>${esc(e)}</code></li>`).join('')}</ul>
<h3>Latency (ms, virtual clock)</h3>
${table(
  ['venue', 'submit → ack p50 / p95 / p99', 'submit → first fill p50 / p95 / p99'],
  [
    ['all', r.latencyMs.submitToAck, r.latencyMs.submitToFill] as const,
    ...r.latencyMs.byVenue.map((v) => [v.venueId, v.submitToAck, v.submitToFill] as const),
  ].map(([venue, ack, fill]) => [
    esc(venue),
    `${esc(ack.p50)} / ${esc(ack.p95)} / ${esc(ack.p99)} (${ack.count})`,
    `${esc(fill.p50)} / ${esc(fill.p95)} / ${esc(fill.p99)} (${fill.count})`,
  ]),
)}
<h3>Slippage against the arrival mid (bps, positive is a cost)</h3>
${table(
  ['group', 'fills', 'quantity', 'bps'],
  [
    [
      esc(r.slippage.all.key),
      r.slippage.all.fills,
      show(r.slippage.all.quantity),
      show(r.slippage.all.bps, 2),
    ],
    ...r.slippage.byVenue.map((x) => [`venue ${esc(x.key)}`, x.fills, show(x.quantity), show(x.bps, 2)]),
    ...r.slippage.bySide.map((x) => [esc(x.key), x.fills, show(x.quantity), show(x.bps, 2)]),
    ...r.slippage.bySize.map((x) => [esc(x.key), x.fills, show(x.quantity), show(x.bps, 2)]),
  ],
)}
<h3>Orders by final status</h3>
${table(
  ['status', 'orders'],
  Object.entries(r.statuses).map(([k, v]) => [esc(k), v]),
)}
<h3>Rejections and refusals</h3>
${
  r.rejections.length
    ? table(
        ['source', 'reason', 'count'],
        r.rejections.map((x) => [esc(x.source), esc(x.reason), x.count]),
      )
    : '<p>None.</p>'
}
<h3>Cancels and expiries</h3>
${
  r.cancels.length
    ? table(
        ['reason', 'count'],
        r.cancels.map((x) => [esc(x.reason), x.count]),
      )
    : '<p>None.</p>'
}
${
  r.faults.length
    ? `<h3>Scheduled faults</h3>${table(
        ['venue', 'fault', 'from', 'to', 'slices routed to it meanwhile', 'of them sent on its line'],
        r.faults.map((f) => [
          esc(f.venueId),
          esc(f.type),
          esc(f.from),
          esc(f.to),
          f.slicesRoutedToVenueDuring,
          f.slicesSentToVenueDuring,
        ]),
      )}`
    : ''
}
<h3>Assumptions</h3>
<pre>${esc(JSON.stringify(a, null, 2))}</pre>
<h3>Strategy log</h3>
<pre>${esc(r.log.map((l) => `${l.at}  ${l.message}`).join('\n') || '(nothing)')}</pre>
</section>`;
}

function htmlOf(report: BacktestReport, charts: Chart[], dir: string): string {
  const svg = (c: Chart) => readFileSync(join(dir, `${c.name}.svg`), 'utf8');
  const comparison = report.differences
    ? `<section><h2>Side by side</h2>${table(
        ['figure', ...report.runs.map((r) => esc(r.label))],
        report.differences.map((d) => [esc(d.metric), ...d.values.map((v) => show(v))]),
        report.differences.map((d) => d.highlight),
      )}<p>Highlighted: the figures that differ.</p></section>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1040px;margin:24px auto;padding:0 16px;color:#1f2328}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left}
th{background:#f6f8fa}tr.diff td{background:#fff8c5;font-weight:600}pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px}
figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}
</style></head><body>
<h1>Backtest report</h1>
<p>${report.runs.map((r) => esc(`${r.label}: ${String(r.assumptions.strategy)} on ${(r.assumptions.data as { file: string }[]).map((d) => d.file).join(', ')}, seed ${String(r.assumptions.seed)}`)).join('<br>')}</p>
${comparison}
${charts.map((c) => `<figure><figcaption>${esc(c.title)}</figcaption>${svg(c)}</figure>`).join('\n')}
${report.runs.map(runSection).join('\n')}
</body></html>
`;
}
