import {
  Decimal,
  OrderEvent,
  OrderState,
  Position,
  Side,
  applyFill,
  flatPosition,
  orderDecider,
  unrealizedPnl,
} from '@oms/domain';
import type { RecordedEvent } from '@oms/event-store';
import { BacktestConfig, FaultWindow, InstrumentSetting } from './config';
import { DataSurvey } from './market-replay';

/** What a run leaves behind for its report: the log, the marks it saw, and what the runner noted. */
export interface RunRecord {
  /** The account the strategy traded in. */
  accountId: string;
  startsAt: number;
  endsAt: number;
  files: DataSurvey['files'];
  instruments: (InstrumentSetting & { inferred: boolean })[];
  /** The OMS's marks (mids), sampled on the virtual clock. */
  marks: { at: number; prices: Record<string, string | null> }[];
  /** Per order id: when it was placed and the mid then (the arrival price). */
  arrivals: Record<string, { at: number; mid: string | null }>;
  /** Requests the OMS refused before deciding anything (bad input): no event was appended. */
  refusals: { at: number; request: string; code: string; message: string }[];
  faults: ({ venueId: string } & FaultWindow)[];
  log: { at: number; message: string }[];
  /** The account's order streams and account stream, in log order. */
  events: RecordedEvent[];
  marketEvents: number;
  /** What the venues say they executed (for checks: each is in the log once). */
  venueFills: { venueId: string; execId: string; price: string; quantity: string }[];
  /** The account as the OMS's ledger booked it at the end, per instrument. */
  booked: Record<string, { quantity: string; realizedPnl: string; fees: string }>;
}

export interface RunDescription {
  label: string;
  strategy: string;
  config: BacktestConfig;
  configSource: string | null;
  from: number | null;
  to: number | null;
}

export interface LatencyStats {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface ReportFill {
  at: string;
  orderId: string;
  venueId: string;
  instrumentId: string;
  side: Side;
  price: string;
  quantity: string;
  fee: string;
  liquidity: string;
  execId: string;
  /** Signed bps against the arrival mid: positive is a cost. */
  slippageBps: string | null;
}

export interface RunReport {
  label: string;
  assumptions: Record<string, unknown>;
  summary: {
    marketEvents: number;
    simulatedFrom: string;
    simulatedTo: string;
    ordersPlaced: number;
    ordersAccepted: number;
    fills: number;
    /** Per instrument. */
    filledQuantity: Record<string, string>;
    position: Record<string, string>;
    markPrice: Record<string, string | null>;
    /** Quote currency: realised + unrealised at the last mark, net of fees. */
    netPnl: string;
    realizedPnl: string;
    unrealizedPnl: string;
    fees: string;
    maxDrawdown: string;
    /** Σ filled / Σ ordered over accepted orders. */
    fillRatio: string | null;
    /** The cash-flow P&L (sells − buys − fees + position × mark) equals realised + unrealised − fees. */
    pnlReconciles: boolean;
    /** The OMS's own books (the account ledger) hold the same position, realised P&L and fees. */
    ledgerAgrees: boolean;
  };
  equity: {
    at: string;
    equity: string;
    drawdown: string;
    /** Per instrument: position and mark at that time. */
    position: Record<string, string>;
    marks: Record<string, string | null>;
  }[];
  fills: ReportFill[];
  slippage: {
    /** Every fill (the bps over those with an arrival mid). */
    all: SlippageRow;
    byVenue: SlippageRow[];
    bySide: SlippageRow[];
    bySize: SlippageRow[];
  };
  latencyMs: {
    submitToAck: LatencyStats;
    submitToFill: LatencyStats;
    byVenue: { venueId: string; submitToAck: LatencyStats; submitToFill: LatencyStats }[];
  };
  venues: {
    venueId: string;
    slices: number;
    routedQuantity: string;
    shareOfFlow: string | null;
    filledQuantity: string;
    fillRatio: string | null;
    makerQuantity: string;
    takerQuantity: string;
    makerShare: string | null;
    fees: string;
  }[];
  rejections: { source: 'risk' | 'router' | 'venue' | 'refused'; reason: string; count: number }[];
  cancels: { reason: string; count: number }[];
  statuses: Record<string, number>;
  router: {
    ordersRouted: number;
    splitOrders: number;
    directOrders: number;
    refusedToRoute: number;
    examples: string[];
  };
  faults: {
    venueId: string;
    type: string;
    from: string;
    to: string;
    /** Slices the router (or a direct order) gave this venue in the window… */
    slicesRoutedToVenueDuring: number;
    /** …and of them, those that actually went out on its line (the others were refused unsent). */
    slicesSentToVenueDuring: number;
  }[];
  /** Latency samples (ms) for the charts: submit → ack and submit → first fill, by venue. */
  latencySamples: { venueId: string; kind: 'ack' | 'fill'; ms: number }[];
  log: { at: string; message: string }[];
}

export interface SlippageRow {
  key: string;
  fills: number;
  quantity: string;
  /** Quantity-weighted, signed: positive is a cost against the arrival mid. */
  bps: string | null;
}

export interface BacktestReport {
  version: 1;
  runs: RunReport[];
  /** With --compare: each headline figure side by side; `highlight` where they differ. */
  differences: { metric: string; values: (string | null)[]; highlight: boolean }[] | null;
}

/** Who the execution gateway writes as (a venue's answers are written as `venue:<id>`). */
const GATEWAY_ACTOR = 'system:execution-gateway';

const iso = (ms: number) => new Date(Math.floor(ms)).toISOString();
const BPS = Decimal.parse('10000');
const BPS_PLACES = 4;

interface OrderInfo {
  orderId: string;
  instrumentId: string;
  side: Side;
  quantity: Decimal;
  accepted: boolean;
  status: string;
  filled: Decimal;
}

/**
 * The report of one run, from the event log alone (plus the runner's marks and arrival prices):
 * every fill in it is an OrderFilled event in the log, and its P&L is computed exactly from those
 * fills, twice (average cost and cash flow), and the two must agree.
 */
export function buildRunReport(run: RunDescription, record: RunRecord): RunReport {
  const orders = new Map<string, OrderInfo>();
  const fills: ReportFill[] = [];
  const rejections = new Map<
    string,
    { source: 'risk' | 'router' | 'venue' | 'refused'; reason: string; count: number }
  >();
  const cancels = new Map<string, number>();
  const submitted = new Map<string, { at: number; venueId: string }>();
  const acked = new Map<string, number>();
  const firstFill = new Map<string, number>();
  const venueStats = new Map<
    string,
    { slices: number; routed: Decimal; filled: Decimal; maker: Decimal; taker: Decimal; fees: Decimal }
  >();
  const router = {
    ordersRouted: 0,
    splitOrders: 0,
    directOrders: 0,
    refusedToRoute: 0,
    examples: [] as string[],
  };
  const sliceTimes: { venueId: string; childId: string; at: number }[] = [];
  const unsent = new Set<string>();
  const venue = (id: string) => {
    let v = venueStats.get(id);
    if (!v) {
      v = {
        slices: 0,
        routed: Decimal.ZERO,
        filled: Decimal.ZERO,
        maker: Decimal.ZERO,
        taker: Decimal.ZERO,
        fees: Decimal.ZERO,
      };
      venueStats.set(id, v);
    }
    return v;
  };
  for (const v of run.config.venues) venue(v.id);
  const count = (source: 'risk' | 'router' | 'venue' | 'refused', reason: string) => {
    const key = `${source}|${reason}`;
    const row = rejections.get(key) ?? { source, reason, count: 0 };
    row.count++;
    rejections.set(key, row);
  };

  // Each order's state as the domain folds it: status and quantities after replaces and restatements.
  const folded = new Map<string, OrderState>();
  for (const e of record.events) {
    if (!e.streamName.startsWith('order-')) continue;
    const id = e.streamName.slice('order-'.length);
    folded.set(
      id,
      orderDecider.evolve(folded.get(id) ?? orderDecider.initialState(), {
        type: e.type,
        data: e.data,
      } as OrderEvent),
    );
  }
  for (const e of record.events) {
    if (!e.streamName.startsWith('order-')) continue;
    const d = e.data as Record<string, unknown>;
    const orderId = String(d.orderId ?? e.streamName.slice('order-'.length));
    const at = e.recordedAt.getTime();
    switch (e.type) {
      case 'OrderAccepted':
      case 'OrderRejected': {
        const terms = (d.terms ?? d) as { instrumentId: string; side: Side; quantity: string };
        orders.set(orderId, {
          orderId,
          instrumentId: terms.instrumentId,
          side: terms.side,
          quantity: Decimal.parse(terms.quantity),
          accepted: e.type === 'OrderAccepted',
          status: e.type === 'OrderAccepted' ? 'NEW' : 'REJECTED',
          filled: Decimal.ZERO,
        });
        if (e.type === 'OrderRejected') {
          for (const r of (d.rejections as { code: string }[] | undefined) ?? []) count('risk', r.code);
        }
        break;
      }
      case 'OrderRouted': {
        router.ordersRouted++;
        const slices = d.slices as { venueId: string; quantity: string }[];
        if (new Set(slices.map((s) => s.venueId)).size > 1) router.splitOrders++;
        const rationale = String(d.rationale);
        if (rationale.startsWith('direct')) router.directOrders++;
        if (router.examples.length < 5 && !router.examples.includes(rationale))
          router.examples.push(rationale);
        for (const s of slices)
          venue(s.venueId).routed = venue(s.venueId).routed.plus(Decimal.parse(s.quantity));
        break;
      }
      case 'VenueOrderSubmitted': {
        const childId = String(d.childId);
        const venueId = String(d.venueId);
        venue(venueId).slices++;
        submitted.set(childId, { at, venueId });
        sliceTimes.push({ venueId, childId, at });
        break;
      }
      case 'OrderAcknowledged': {
        const key = String(d.childId ?? '');
        if (key && !acked.has(key)) acked.set(key, at);
        break;
      }
      case 'OrderFilled': {
        const order = orders.get(orderId);
        const price = Decimal.parse(String(d.price));
        const quantity = Decimal.parse(String(d.quantity));
        const fee = Decimal.parse(String(d.fee));
        const venueId = String(d.venueId);
        const childId = d.childId ? String(d.childId) : null;
        if (childId && !firstFill.has(childId)) firstFill.set(childId, at);
        const v = venue(venueId);
        v.filled = v.filled.plus(quantity);
        if (d.liquidity === 'MAKER') v.maker = v.maker.plus(quantity);
        else v.taker = v.taker.plus(quantity);
        if (!d.feeCurrency) v.fees = v.fees.plus(fee);
        if (order) order.filled = order.filled.plus(quantity);
        const arrival = record.arrivals[orderId]?.mid;
        const side = order?.side ?? 'BUY';
        fills.push({
          at: String(d.executedAt),
          orderId,
          venueId,
          instrumentId: order?.instrumentId ?? '',
          side,
          price: price.toString(),
          quantity: quantity.toString(),
          fee: fee.toString(),
          liquidity: String(d.liquidity),
          execId: String(d.execId),
          slippageBps: arrival ? slippageBps(side, price, Decimal.parse(arrival)).toString() : null,
        });
        break;
      }
      case 'VenueOrderClosed':
        // Rejected by the gateway itself, never by the venue: it did not go out (line down, breaker
        // open, no room in the rate limit).
        if (d.outcome === 'REJECTED' && e.metadata.actor === GATEWAY_ACTOR) unsent.add(String(d.childId));
        break;
      case 'OrderRejectedByVenue':
        if (d.venueId === 'router') router.refusedToRoute++;
        count(d.venueId === 'router' ? 'router' : 'venue', `${String(d.venueId)}: ${String(d.reason)}`);
        break;
      case 'OrderCanceled':
      case 'OrderExpired':
        cancels.set(String(d.reason), (cancels.get(String(d.reason)) ?? 0) + 1);
        break;
    }
  }
  for (const [orderId, order] of orders) {
    const state = folded.get(orderId);
    if (!state?.exists) continue;
    order.status = state.status;
    order.quantity = state.orderQty;
  }
  for (const r of record.refusals) count('refused', `${r.request}: ${r.code}`);

  // P&L, exactly, from the fills: average cost (the domain's own books) and cash flow, per instrument.
  const instrumentIds = record.instruments.map((i) => i.instrumentId);
  const lastMarks = record.marks[record.marks.length - 1]?.prices ?? {};
  const positions = new Map<string, Position>(instrumentIds.map((id) => [id, flatPosition(id)]));
  const cash = new Map<string, Decimal>(instrumentIds.map((id) => [id, Decimal.ZERO]));
  const ordered = [...fills].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const equity: RunReport['equity'] = [];
  let f = 0;
  let peak: Decimal | null = null;
  let maxDrawdown = Decimal.ZERO;
  const book = (fill: ReportFill) => {
    const price = Decimal.parse(fill.price);
    const quantity = Decimal.parse(fill.quantity);
    const fee = Decimal.parse(fill.fee);
    const id = fill.instrumentId;
    positions.set(
      id,
      applyFill(positions.get(id) ?? flatPosition(id), { side: fill.side, price, quantity, fee }),
    );
    const notional = price.times(quantity);
    cash.set(
      id,
      (cash.get(id) ?? Decimal.ZERO).plus(fill.side === 'SELL' ? notional : notional.negated()).minus(fee),
    );
  };
  const equityAt = (marks: Record<string, string | null>) => {
    let total = Decimal.ZERO;
    for (const id of instrumentIds) {
      const mark = marks[id];
      const position = positions.get(id) as Position;
      total = total.plus(cash.get(id) as Decimal);
      if (mark && !position.quantity.isZero())
        total = total.plus(position.quantity.times(Decimal.parse(mark)));
    }
    return total;
  };
  for (const mark of record.marks) {
    while (f < ordered.length && Date.parse(ordered[f].at) <= mark.at) book(ordered[f++]);
    const value = equityAt(mark.prices);
    peak = peak === null || value.gt(peak) ? value : peak;
    const drawdown = value.minus(peak);
    if (drawdown.lt(maxDrawdown)) maxDrawdown = drawdown;
    equity.push({
      at: iso(mark.at),
      equity: value.toString(),
      drawdown: drawdown.toString(),
      position: Object.fromEntries(
        instrumentIds.map((id) => [id, (positions.get(id) as Position).quantity.toString()]),
      ),
      marks: mark.prices,
    });
  }
  while (f < ordered.length) book(ordered[f++]);
  let realized = Decimal.ZERO;
  let unrealized = Decimal.ZERO;
  let fees = Decimal.ZERO;
  let cashFlow = Decimal.ZERO;
  for (const id of instrumentIds) {
    const position = positions.get(id) as Position;
    realized = realized.plus(position.realizedPnl);
    fees = fees.plus(position.fees);
    const mark = lastMarks[id];
    cashFlow = cashFlow.plus(cash.get(id) as Decimal);
    if (mark && !position.quantity.isZero()) {
      unrealized = unrealized.plus(unrealizedPnl(position, Decimal.parse(mark)));
      cashFlow = cashFlow.plus(position.quantity.times(Decimal.parse(mark)));
    }
  }
  const net = realized.plus(unrealized).minus(fees);

  const accepted = [...orders.values()].filter((o) => o.accepted);
  const orderedQty = Decimal.sum(accepted.map((o) => o.quantity));
  const filledQty = Decimal.sum(accepted.map((o) => o.filled));
  const statuses: Record<string, number> = {};
  for (const o of orders.values()) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
  const totalRouted = Decimal.sum([...venueStats.values()].map((v) => v.routed));

  const latencySamples: RunReport['latencySamples'] = [];
  for (const [childId, s] of submitted) {
    const ack = acked.get(childId);
    const fill = firstFill.get(childId);
    if (ack !== undefined) latencySamples.push({ venueId: s.venueId, kind: 'ack', ms: ack - s.at });
    if (fill !== undefined) latencySamples.push({ venueId: s.venueId, kind: 'fill', ms: fill - s.at });
  }
  const stats = (kind: 'ack' | 'fill', venueId?: string) =>
    latencyStats(
      latencySamples.filter((l) => l.kind === kind && (!venueId || l.venueId === venueId)).map((l) => l.ms),
    );

  const sizeBucket = (fill: ReportFill) => {
    const order = orders.get(fill.orderId);
    const lot = record.instruments.find((i) => i.instrumentId === fill.instrumentId)?.lotSize ?? Decimal.ONE;
    const lots = (order?.quantity ?? Decimal.ZERO).dividedBy(lot, 0);
    return lots.lte(Decimal.of(10))
      ? 'order ≤ 10 lots'
      : lots.lte(Decimal.of(100))
        ? 'order 11–100 lots'
        : 'order > 100 lots';
  };

  const slicesIn = (w: { venueId: string; from: number; to: number }) => {
    const routed = sliceTimes.filter((s) => s.venueId === w.venueId && s.at >= w.from && s.at < w.to);
    return {
      slicesRoutedToVenueDuring: routed.length,
      slicesSentToVenueDuring: routed.filter((s) => !unsent.has(s.childId)).length,
    };
  };

  return {
    label: run.label,
    assumptions: {
      strategy: run.strategy,
      account: record.accountId,
      strategyParams: run.config.strategy,
      seed: run.config.seed,
      config: run.configSource ?? 'defaults',
      routing: run.config.routing,
      data: record.files.map((file) => ({ file: file.name, rows: file.format, symbols: file.symbols })),
      from: run.from === null ? null : iso(run.from),
      to: run.to === null ? null : iso(run.to),
      instruments: record.instruments.map((i) => ({
        instrumentId: i.instrumentId,
        symbol: i.symbol,
        tickSize: i.tickSize.toString(),
        lotSize: i.lotSize.toString(),
        baseCurrency: i.baseCurrency,
        quoteCurrency: i.quoteCurrency,
        source: i.inferred ? 'inferred from the data (common step of the prices and sizes seen)' : 'config',
      })),
      venues: run.config.venues.map((v) => ({
        id: v.id,
        dataFiles: v.data.map((i) => record.files[i]?.name),
        liquidityShare: v.liquidityShare.toString(),
        latency: v.latency,
        queue: v.queue,
        fees: { maker: v.fees.maker.toString(), taker: v.fees.taker.toString() },
        rejectProbability: v.rejectProbability,
        rateLimit: v.rateLimit,
        faults: v.faults,
      })),
      limits: run.config.limits,
      pricesAndSizes: 'exact decimals throughout; rounded only in the charts and the HTML tables',
      arrivalPrice: 'the OMS reference mid when the order was placed',
    },
    summary: {
      marketEvents: record.marketEvents,
      simulatedFrom: iso(record.startsAt),
      simulatedTo: iso(record.endsAt),
      ordersPlaced: orders.size + record.refusals.filter((r) => r.request === 'place').length,
      ordersAccepted: accepted.length,
      fills: fills.length,
      filledQuantity: Object.fromEntries(
        instrumentIds.map((id) => [
          id,
          Decimal.sum(
            fills.filter((x) => x.instrumentId === id).map((x) => Decimal.parse(x.quantity)),
          ).toString(),
        ]),
      ),
      position: Object.fromEntries(
        instrumentIds.map((id) => [id, (positions.get(id) as Position).quantity.toString()]),
      ),
      markPrice: Object.fromEntries(instrumentIds.map((id) => [id, lastMarks[id] ?? null])),
      netPnl: net.toString(),
      realizedPnl: realized.toString(),
      unrealizedPnl: unrealized.toString(),
      fees: fees.toString(),
      maxDrawdown: maxDrawdown.toString(),
      fillRatio: orderedQty.isZero() ? null : filledQty.dividedBy(orderedQty, 6).toString(),
      pnlReconciles: cashFlow.eq(net),
      ledgerAgrees: instrumentIds.every((id) => {
        const p = positions.get(id) as Position;
        const booked = record.booked[id] ?? { quantity: '0', realizedPnl: '0', fees: '0' };
        return (
          p.quantity.eq(Decimal.parse(booked.quantity)) &&
          p.realizedPnl.eq(Decimal.parse(booked.realizedPnl)) &&
          p.fees.eq(Decimal.parse(booked.fees))
        );
      }),
    },
    equity,
    fills,
    slippage: {
      all: slippageRows(fills, () => 'all fills', record)[0] ?? {
        key: 'all fills',
        fills: 0,
        quantity: '0',
        bps: null,
      },
      byVenue: slippageRows(fills, (x) => x.venueId, record),
      bySide: slippageRows(fills, (x) => x.side, record),
      bySize: slippageRows(fills, sizeBucket, record),
    },
    latencyMs: {
      submitToAck: stats('ack'),
      submitToFill: stats('fill'),
      byVenue: [...venueStats.keys()].map((venueId) => ({
        venueId,
        submitToAck: stats('ack', venueId),
        submitToFill: stats('fill', venueId),
      })),
    },
    venues: [...venueStats.entries()].map(([venueId, v]) => ({
      venueId,
      slices: v.slices,
      routedQuantity: v.routed.toString(),
      shareOfFlow: totalRouted.isZero() ? null : v.routed.dividedBy(totalRouted, 6).toString(),
      filledQuantity: v.filled.toString(),
      fillRatio: v.routed.isZero() ? null : v.filled.dividedBy(v.routed, 6).toString(),
      makerQuantity: v.maker.toString(),
      takerQuantity: v.taker.toString(),
      makerShare: v.filled.isZero() ? null : v.maker.dividedBy(v.filled, 6).toString(),
      fees: v.fees.toString(),
    })),
    rejections: [...rejections.values()].sort(
      (a, b) => b.count - a.count || a.reason.localeCompare(b.reason),
    ),
    cancels: [...cancels.entries()]
      .map(([reason, n]) => ({ reason, count: n }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    statuses,
    router,
    faults: record.faults.map((w) => ({
      venueId: w.venueId,
      type: w.type,
      from: iso(w.from),
      to: iso(w.to),
      ...slicesIn(w),
    })),
    latencySamples,
    log: record.log.map((l) => ({ at: iso(l.at), message: l.message })),
  };
}

function slippageBps(side: Side, price: Decimal, arrival: Decimal): Decimal {
  const diff = side === 'BUY' ? price.minus(arrival) : arrival.minus(price);
  return diff.times(BPS).dividedBy(arrival, BPS_PLACES);
}

function slippageRows(
  fills: ReportFill[],
  keyOf: (f: ReportFill) => string,
  record: RunRecord,
): SlippageRow[] {
  const rows = new Map<string, { fills: number; quantity: Decimal; cost: Decimal; notional: Decimal }>();
  for (const fill of fills) {
    const arrival = record.arrivals[fill.orderId]?.mid;
    const key = keyOf(fill);
    const row = rows.get(key) ?? {
      fills: 0,
      quantity: Decimal.ZERO,
      cost: Decimal.ZERO,
      notional: Decimal.ZERO,
    };
    rows.set(key, row);
    row.fills++;
    const quantity = Decimal.parse(fill.quantity);
    row.quantity = row.quantity.plus(quantity);
    if (!arrival) continue;
    const a = Decimal.parse(arrival);
    const p = Decimal.parse(fill.price);
    row.cost = row.cost.plus((fill.side === 'BUY' ? p.minus(a) : a.minus(p)).times(quantity));
    row.notional = row.notional.plus(a.times(quantity));
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, r]) => ({
      key,
      fills: r.fills,
      quantity: r.quantity.toString(),
      bps: r.notional.isZero() ? null : r.cost.times(BPS).dividedBy(r.notional, BPS_PLACES).toString(),
    }));
}

/** Nearest-rank percentiles of whole-millisecond samples. */
export function latencyStats(samples: number[]): LatencyStats {
  if (samples.length === 0) return { count: 0, p50: null, p95: null, p99: null, max: null };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1] };
}

/** Headline figures of two or more runs side by side; a row is highlighted where they differ. */
export function compareRuns(runs: RunReport[]): NonNullable<BacktestReport['differences']> {
  const rows: [string, (r: RunReport) => string | null][] = [
    ['net P&L', (r) => r.summary.netPnl],
    ['realised P&L', (r) => r.summary.realizedPnl],
    ['fees', (r) => r.summary.fees],
    ['max drawdown', (r) => r.summary.maxDrawdown],
    ['fills', (r) => String(r.summary.fills)],
    ['fill ratio', (r) => r.summary.fillRatio],
    ['orders accepted', (r) => String(r.summary.ordersAccepted)],
    ['slippage, all fills (bps)', (r) => r.slippage.all.bps],
    ['submit → ack p50 (ms)', (r) => nullable(r.latencyMs.submitToAck.p50)],
    ['submit → ack p99 (ms)', (r) => nullable(r.latencyMs.submitToAck.p99)],
    ['submit → fill p50 (ms)', (r) => nullable(r.latencyMs.submitToFill.p50)],
    ['rejections', (r) => String(r.rejections.reduce((s, x) => s + x.count, 0))],
    ...runs[0].venues.map(
      (v) =>
        [
          `share of flow ${v.venueId}`,
          (r: RunReport) => r.venues.find((x) => x.venueId === v.venueId)?.shareOfFlow ?? null,
        ] as [string, (r: RunReport) => string | null],
    ),
  ];
  return rows.map(([metric, of]) => {
    const values = runs.map(of);
    return { metric, values, highlight: values.some((v) => v !== values[0]) };
  });
}

function nullable(n: number | null): string | null {
  return n === null ? null : String(n);
}
