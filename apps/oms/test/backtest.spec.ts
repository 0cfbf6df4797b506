import {
  BacktestConfig,
  RunRecord,
  RunReport,
  StrategyFactory,
  buildRunReport,
  dataStartOf,
  loadStrategy,
  parseBacktestConfig,
} from '@oms/backtest';
import { Decimal } from '@oms/domain';
import { RECORDED, recordedFile } from '@oms/venues/testing/recorded-data';
import { join } from 'path';
import { runBacktest } from '../src/backtest/backtest-runner';

jest.setTimeout(120_000);

const d = (v: string) => Decimal.parse(v);
const QUOTES = recordedFile(RECORDED.quotes);
const TRADES = recordedFile(RECORDED.trades);

async function backtest(
  strategy: string,
  config: Record<string, unknown> = {},
  data: string[] = [QUOTES],
  window: { from?: number; to?: number } = {},
): Promise<{ record: RunRecord; report: RunReport; config: BacktestConfig }> {
  const parsed = parseBacktestConfig(config, 'test', data.length);
  const loaded = await loadStrategy(strategy);
  const record = await runBacktest({
    dataFiles: data,
    strategy: loaded,
    config: parsed,
    from: window.from ?? null,
    to: window.to ?? null,
  });
  const report = buildRunReport(
    { label: 'test', strategy: loaded.name, config: parsed, configSource: null, from: null, to: null },
    record,
  );
  return { record, report, config: parsed };
}

const eventsOf = (record: RunRecord, type: string) =>
  record.events.filter((e) => e.type === type).map((e) => e.data as Record<string, string>);

describe('backtest runner: the OMS on a virtual clock over recorded data', () => {
  it('TWAP on the recorded quotes: the parent executes within its window, every fill is in the log, P&L recomputes exactly', async () => {
    const { record, report } = await backtest('twap', {
      strategy: { quantity: '0.5', durationMs: 120_000, slices: 12 },
    });
    const windowEnd = record.startsAt + 120_000;

    // The parent quantity, exactly, and never more.
    expect(report.summary.filledQuantity).toEqual({ BTCUSDT: '0.5' });
    expect(report.summary.position).toEqual({ BTCUSDT: '0.5' });
    // Within the window.
    for (const fill of report.fills) expect(Date.parse(fill.at)).toBeLessThanOrEqual(windowEnd);
    // Children went out through the router over the window, not all at once.
    const routed = eventsOf(record, 'OrderRouted').map((e) => Date.parse(e.routedAt));
    expect(routed.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...routed) - Math.min(...routed)).toBeGreaterThan(60_000);

    // Every fill in the report is an OrderFilled event in the log, and every venue execution is too, once.
    const logged = eventsOf(record, 'OrderFilled');
    expect(report.fills.map((f) => [f.execId, f.price, f.quantity])).toEqual(
      logged.map((e) => [e.execId, e.price, e.quantity]),
    );
    expect(record.venueFills.map((f) => `${f.venueId}/${f.execId}/${f.price}/${f.quantity}`).sort()).toEqual(
      logged.map((e) => `${e.venueId}/${e.execId}/${e.price}/${e.quantity}`).sort(),
    );

    // P&L recomputed from the fills by cash flow, exactly, at the report's last mark.
    let cash = Decimal.ZERO;
    let position = Decimal.ZERO;
    for (const f of logged) {
      const notional = d(f.price).times(d(f.quantity));
      const buy = report.fills.find((x) => x.execId === f.execId)?.side === 'BUY';
      cash = (buy ? cash.minus(notional) : cash.plus(notional)).minus(d(f.fee));
      position = buy ? position.plus(d(f.quantity)) : position.minus(d(f.quantity));
    }
    const mark = d(report.summary.markPrice.BTCUSDT as string);
    expect(d(report.summary.netPnl).eq(cash.plus(position.times(mark)))).toBe(true);
    expect(report.summary.pnlReconciles).toBe(true);
    expect(report.summary.ledgerAgrees).toBe(true);
    // The OMS's own books (the account ledger) agree with the report.
    expect(record.booked.BTCUSDT.quantity).toBe('0.5');
    expect(d(record.booked.BTCUSDT.fees).eq(d(report.summary.fees))).toBe(true);
    expect(d(record.booked.BTCUSDT.realizedPnl).eq(d(report.summary.realizedPnl))).toBe(true);
    // Latency and slippage are measured.
    expect(report.latencyMs.submitToAck.count).toBeGreaterThan(0);
    expect(report.slippage.bySide.map((s) => s.key)).toEqual(['BUY']);
  });

  it('is deterministic: the same data, config and seed give an identical report; another seed does not', async () => {
    // Jittery latencies, injected rejects and two files make chance matter.
    const config = (seed: number) => ({
      seed,
      venues: [
        { id: 'SIM-A', latency: { model: 'jitter', ms: 3, jitterMs: 20 }, rejectProbability: 0.2 },
        { id: 'SIM-B', liquidityShare: '0.5', latency: { model: 'jitter', ms: 8, jitterMs: 30 } },
      ],
      strategy: { quantity: '0.3', durationMs: 60_000, slices: 20 },
    });
    const start = await dataStartOf([QUOTES, TRADES]);
    const json = async (seed: number) =>
      JSON.stringify((await backtest('twap', config(seed), [QUOTES, TRADES], { to: start + 70_000 })).report);
    const first = await json(7);
    expect(await json(7)).toBe(first);
    expect(await json(8)).not.toBe(first);
  });

  it('a scheduled outage of one venue: the router sends nothing there while it is down, and the report shows it', async () => {
    const { record, report } = await backtest('twap', {
      venues: [
        { id: 'SIM-A', faults: [{ type: 'outage', from: '+20s', to: '+80s' }] },
        { id: 'SIM-B', liquidityShare: '0.5' },
      ],
      strategy: { quantity: '0.6', durationMs: 120_000, slices: 24 },
    });
    const from = record.startsAt + 20_000;
    const to = record.startsAt + 80_000;
    const toA = eventsOf(record, 'VenueOrderSubmitted')
      .filter((e) => e.venueId === 'SIM-A')
      .map((e) => Date.parse(e.submittedAt));
    expect(toA.filter((at) => at >= from && at < to)).toEqual([]);
    // SIM-A traded before and after the outage, and SIM-B took the flow meanwhile.
    expect(toA.some((at) => at < from)).toBe(true);
    expect(toA.some((at) => at >= to)).toBe(true);
    const toB = eventsOf(record, 'VenueOrderSubmitted')
      .filter((e) => e.venueId === 'SIM-B')
      .map((e) => Date.parse(e.submittedAt));
    expect(toB.some((at) => at >= from && at < to)).toBe(true);
    expect(report.faults).toEqual([
      {
        venueId: 'SIM-A',
        type: 'outage',
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        slicesRoutedToVenueDuring: 0,
        slicesSentToVenueDuring: 0,
      },
    ]);
    expect(report.summary.filledQuantity.BTCUSDT).toBe('0.6');
  });

  it('a disconnect with report loss: resting orders fill unheard, reconciliation on reconnect books every venue fill once', async () => {
    const start = await dataStartOf([QUOTES, TRADES]);
    const { record, report } = await backtest(
      'market-maker',
      {
        venues: [{ id: 'SIM-A', faults: [{ type: 'disconnect', from: '+30s', to: '+60s' }] }],
        strategy: { quoteSize: '0.01', maxInventory: '0.05', venueId: 'SIM-A' },
      },
      [QUOTES, TRADES],
      { to: start + 90_000 },
    );
    const logged = eventsOf(record, 'OrderFilled');
    const heardLate = logged.filter((e) => {
      const at = Date.parse(e.executedAt);
      return at >= start + 30_000 && at < start + 60_000;
    });
    // Fills happened while the line was down; the OMS learned of them only after it came back.
    expect(heardLate.length).toBeGreaterThan(0);
    const recordedAt = new Map(
      record.events
        .filter((e) => e.type === 'OrderFilled')
        .map((e) => [(e.data as { execId: string }).execId, e]),
    );
    for (const fill of heardLate)
      expect(recordedAt.get(fill.execId)?.recordedAt.getTime()).toBeGreaterThanOrEqual(start + 60_000);
    // And the log has each venue fill exactly once.
    expect(record.venueFills.map((f) => f.execId).sort()).toEqual(logged.map((e) => e.execId).sort());
    expect(report.faults[0]).toMatchObject({ venueId: 'SIM-A', type: 'disconnect' });
  });

  it('risk in the loop: a strategy that breaches the position limit gets risk rejections, counted in the report', async () => {
    const { record, report } = await backtest('twap', {
      limits: { maxPosition: '0.2' },
      strategy: { quantity: '0.5', durationMs: 60_000, slices: 10 },
    });
    const rejected = eventsOf(record, 'OrderRejected');
    expect(rejected.length).toBeGreaterThan(0);
    const risk = report.rejections.filter((r) => r.source === 'risk');
    expect(risk.reduce((n, r) => n + r.count, 0)).toBeGreaterThanOrEqual(rejected.length);
    expect(risk.map((r) => r.reason)).toContain('POSITION_LIMIT_EXCEEDED');
    expect(report.statuses.REJECTED).toBe(rejected.length);
    // The limit held: the position never went past it.
    expect(d(report.summary.position.BTCUSDT).lte(d('0.2'))).toBe(true);
  });

  it('market maker: quotes both sides, keeps its inventory within the limit, and leaves nothing working at the end', async () => {
    const start = await dataStartOf([QUOTES]);
    const { record, report } = await backtest(
      'market-maker',
      { strategy: { quoteSize: '0.01', maxInventory: '0.03', halfSpreadTicks: 1 } },
      [QUOTES],
      { to: start + 120_000 },
    );
    const accepted = eventsOf(record, 'OrderAccepted');
    expect(new Set(accepted.map((o) => o.side))).toEqual(new Set(['BUY', 'SELL']));
    expect(eventsOf(record, 'OrderReplaced').length).toBeGreaterThan(0);
    expect(report.fills.length).toBeGreaterThan(0);
    // Mostly maker: a quote that was passive when sent may cross a market that moved meanwhile.
    const maker = report.fills.filter((f) => f.liquidity === 'MAKER').length;
    expect(maker / report.fills.length).toBeGreaterThan(0.5);
    // Inventory within ±maxInventory (+ one quote that may fill as the limit is reached).
    let inventory = Decimal.ZERO;
    for (const f of report.fills) {
      inventory = f.side === 'BUY' ? inventory.plus(d(f.quantity)) : inventory.minus(d(f.quantity));
      expect(inventory.abs().lte(d('0.04'))).toBe(true);
    }
    const working = Object.entries(report.statuses).filter(([status]) =>
      ['NEW', 'PARTIALLY_FILLED', 'PENDING_NEW'].includes(status),
    );
    expect(working).toEqual([]);
  });

  it('a strategy written by a user in TypeScript runs without a build step', async () => {
    const file = join(__dirname, '../../../test/fixtures/strategies/buy-then-sell.ts');
    const { report } = await backtest(file);
    expect(report.fills.map((f) => f.side)).toEqual(['BUY', 'SELL']);
    expect(report.summary.position).toEqual({ BTCUSDT: '0' });
    expect(report.log.map((l) => l.message)[0]).toMatch(/^sold 0\.001 at /);
  });

  it('a fault window that ends before it starts stops the backtest before it starts, saying which', async () => {
    await expect(
      backtest('twap', { venues: [{ id: 'SIM-A', faults: [{ type: 'outage', from: '+60s', to: '+30s' }] }] }),
    ).rejects.toThrow('venue SIM-A: the outage fault from +60s to +30s must end after it starts.');
  });

  it('risk limits the OMS refuses stop the backtest before it starts, as a configuration mistake', async () => {
    await expect(backtest('twap', { limits: { maxOrderQuantity: 'lots' } })).rejects.toThrow(
      /^limits: .*maxOrderQuantity/,
    );
  });

  it('instruments come from the data when no config names them, and are stated as inferred', async () => {
    const { report } = await backtest('twap', { strategy: { quantity: '0.01' } });
    expect(report.assumptions.instruments).toEqual([
      expect.objectContaining({
        instrumentId: 'BTCUSDT',
        tickSize: '0.01',
        lotSize: '0.001',
        baseCurrency: 'BTC',
        quoteCurrency: 'USDT',
        source: expect.stringContaining('inferred'),
      }),
    ]);
  });
});

describe('strategies load by name or path', () => {
  /** The built-in TWAP made with `params`, on an instrument of tick 0.01 and lot 0.001. */
  const twapWith = async (params: Record<string, unknown>) => {
    const twap = (await loadStrategy('twap')).factory as StrategyFactory;
    return () =>
      twap({
        params,
        instruments: [{ instrumentId: 'X', tickSize: d('0.01'), lotSize: d('0.001') }],
        startsAt: 0,
        endsAt: null,
      });
  };

  it('refuses a name that is neither built in nor a file, naming the built-ins', async () => {
    await expect(loadStrategy('vwap')).rejects.toThrow(/twap, market-maker/);
  });

  it('refuses a misspelt parameter instead of silently using a default', async () => {
    expect(await twapWith({ quantty: '1' })).toThrow('twap: unknown parameter(s) quantty.');
  });

  it('refuses a quantity that is not whole lots (the OMS would refuse every child)', async () => {
    expect(await twapWith({ quantity: '0.0015' })).toThrow(
      'twap: parameter quantity is "0.0015"; expected a positive whole number of lots of 0.001.',
    );
  });

  it('held orders on the virtual clock: a trailing stop is armed, trails the bid, triggers and fills, the same on every run', async () => {
    const strategy = join(__dirname, '../../../test/fixtures/strategies/held-orders.ts');
    const first = await backtest(strategy, {}, [QUOTES], {});
    const accepted = eventsOf(first.record, 'OrderAccepted').find((e) => e.type === 'TRAILING_STOP');
    expect(accepted).toBeDefined();
    const orderId = accepted!.orderId;
    const mine = (type: string) => eventsOf(first.record, type).filter((e) => e.orderId === orderId);
    const [armed] = mine('OrderArmed');
    const [triggered] = mine('OrderTriggered');
    expect(armed).toBeDefined();
    expect(triggered).toBeDefined();
    // A sell stop triggers at or below its stop, on the bid it watches, in simulated time.
    expect(d(triggered.price).lte(d(triggered.stopPrice))).toBe(true);
    expect((triggered.market as unknown as { bid: string }).bid).toBe(triggered.price);
    expect(Date.parse(triggered.triggeredAt)).toBeGreaterThanOrEqual(first.record.startsAt);
    // It trailed: the stop it triggered at is at or above where it was armed.
    expect(d(triggered.stopPrice).gte(d(armed.stopPrice))).toBe(true);
    expect(mine('OrderReleased')).toEqual([expect.objectContaining({ type: 'MARKET' })]);
    expect(first.report.summary.position).toEqual({ BTCUSDT: '0' });
    // Deterministic: the same data and seed give the same held-order history.
    const again = await backtest(strategy, {}, [QUOTES], {});
    const held = (record: RunRecord) =>
      record.events
        .filter((e) =>
          ['OrderArmed', 'TrailingStopMoved', 'OrderTriggered', 'OrderReleased'].includes(e.type),
        )
        .map((e) => ({ type: e.type, data: e.data }));
    expect(held(again.record)).toEqual(held(first.record));
  });

  it('a bracket list on the virtual clock: the entry fills, its exits go out at its size, one fills and the other is canceled, the same on every run', async () => {
    const strategy = join(__dirname, '../../../test/fixtures/strategies/bracket.ts');
    const cases = [
      { params: {}, fills: 'tp', canceled: 'sl' },
      // A take-profit out of reach: the stop-loss (watching the bid) triggers, is released and fills.
      { params: { takeProfitBp: '100' }, fills: 'sl', canceled: 'tp' },
    ];
    for (const { params, fills, canceled } of cases) {
      const { record, report } = await backtest(strategy, { strategy: params });
      const [listed] = eventsOf(record, 'OrderListPlaced');
      expect(listed).toMatchObject({ contingency: 'BRACKET', clientListId: 'bt-list-1' });
      const legs = eventsOf(record, 'ListLegPlaced');
      expect(legs.map((l) => [l.key, l.quantity])).toEqual([
        ['in', '0.001'],
        ['tp', '0.001'],
        ['sl', '0.001'],
      ]);
      expect(eventsOf(record, 'ListLegCanceled')).toEqual([expect.objectContaining({ key: canceled })]);
      expect(eventsOf(record, 'OrderListEnded')).toHaveLength(1);
      // Flat again: the entry bought a lot and exactly one exit sold it.
      expect(report.summary.position).toEqual({ BTCUSDT: '0' });
      expect(record.log.map((l) => l.message)).toEqual(
        expect.arrayContaining([
          `bt-list-1.in FILLED list ${listed.listId}`,
          `bt-list-1.${fills} FILLED list ${listed.listId}`,
          `bt-list-1.${canceled} CANCELED list ${listed.listId}`,
        ]),
      );
      if (fills === 'sl') expect(eventsOf(record, 'OrderTriggered')).toHaveLength(1);
      // Deterministic: the same data, seed and parameters give the same list history.
      const again = await backtest(strategy, { strategy: params });
      const history = (r: RunRecord) =>
        r.events
          .filter((e) => e.streamName.startsWith('orderlist-'))
          .map((e) => ({ type: e.type, data: e.data }));
      expect(history(again.record)).toEqual(history(record));
    }
  });
});
