import {
  BacktestReport,
  buildRunReport,
  compareRuns,
  dataStartOf,
  loadStrategy,
  parseBacktestConfig,
  writeReport,
} from '@oms/backtest';
import { RECORDED, recordedFile } from '@oms/venues/testing/recorded-data';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { pathToFileURL } from 'url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../../test/chromium';
import { notRun } from '../../../test/not-run';
import { runBacktest } from '../src/backtest/backtest-runner';

jest.setTimeout(120_000);

/** The little of the page's DOM the browser test reads (the project compiles without DOM types). */
interface BrowserGlobals {
  document: {
    querySelectorAll(
      selector: string,
    ): ArrayLike<{ getBoundingClientRect(): { width: number; height: number } }>;
  };
}

describe('the backtest report', () => {
  let dir: string;
  let report: BacktestReport;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oms-backtest-report-'));
    const quotes = recordedFile(RECORDED.quotes);
    const to = (await dataStartOf([quotes])) + 60_000;
    const strategy = await loadStrategy('twap');
    const runs = [];
    for (const [label, routing] of [
      ['A: best price', 'best-price'],
      ['B: SIM-A only', 'SIM-A'],
    ] as const) {
      const config = parseBacktestConfig(
        {
          routing,
          venues: [{ id: 'SIM-A', faults: [{ type: 'outage', from: '+20s', to: '+30s' }] }, { id: 'SIM-B' }],
          strategy: { quantity: '0.2', durationMs: 50_000, slices: 10 },
        },
        'test',
        1,
      );
      const record = await runBacktest({ dataFiles: [quotes], strategy, config, from: null, to });
      runs.push(
        buildRunReport({ label, strategy: 'twap', config, configSource: null, from: null, to }, record),
      );
    }
    report = { version: 1, runs, differences: compareRuns(runs) };
    writeReport(report, dir);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is written as report.json (exact text) beside the charts as SVG and PNG', () => {
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(report)),
    );
    for (const chart of ['equity', 'fills', 'latency', 'slippage']) {
      expect(readFileSync(join(dir, `${chart}.svg`), 'utf8')).toMatch(/^<svg/);
      // PNG signature.
      expect(
        readFileSync(join(dir, `${chart}.png`))
          .subarray(0, 8)
          .toString('hex'),
      ).toBe('89504e470d0a1a0a');
    }
    // During SIM-A's outage, best-price routing gave it nothing; direct orders went to it and were
    // refused unsent.
    expect(report.runs[0].faults[0]).toMatchObject({
      slicesRoutedToVenueDuring: 0,
      slicesSentToVenueDuring: 0,
    });
    expect(report.runs[1].faults[0].slicesRoutedToVenueDuring).toBeGreaterThan(0);
    expect(report.runs[1].faults[0].slicesSentToVenueDuring).toBe(0);
    // The comparison highlights what differs: the share of flow, at least.
    const flow = report.differences?.find((d) => d.metric === 'share of flow SIM-B');
    expect(flow?.highlight).toBe(true);
  });

  if (!existsSync(CHROMIUM)) {
    notRun(
      'the report in a browser',
      `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
    );
    return;
  }

  it('opens in Chromium as one self-contained page: every chart drawn, the differences highlighted, nothing fetched', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('pageerror', (error) => errors.push(String(error)));
      const url = pathToFileURL(join(dir, 'report.html')).href;
      await page.goto(url);
      expect(await page.title()).toBe('Backtest report');
      const sizes = await page.evaluate(() =>
        Array.from((globalThis as unknown as BrowserGlobals).document.querySelectorAll('figure > svg')).map(
          (svg) => {
            const box = svg.getBoundingClientRect();
            return [Math.round(box.width), Math.round(box.height)];
          },
        ),
      );
      expect(sizes).toHaveLength(4);
      for (const [width, height] of sizes) {
        expect(width).toBeGreaterThan(300);
        expect(height).toBeGreaterThan(100);
      }
      expect(await page.locator('tr.diff').count()).toBeGreaterThan(0);
      await expect(page.locator('h2', { hasText: 'A: best price' }).count()).resolves.toBe(1);
      await expect(page.locator('text=Scheduled faults').count()).resolves.toBe(2);
      expect(requests).toEqual([url]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
