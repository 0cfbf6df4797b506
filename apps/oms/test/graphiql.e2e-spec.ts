import { existsSync } from 'fs';
import { CHROMIUM, CHROMIUM_ARGS } from '../../../test/chromium';
import { notRun } from '../../../test/not-run';
import { chromium } from 'playwright-core';
import { RunningOms, startOms } from './harness';

jest.setTimeout(60_000);

/** The little of the page's DOM the browser test touches (the project compiles without DOM types). */
interface BrowserGlobals {
  document: { querySelector(selector: string): unknown; querySelectorAll(selector: string): unknown };
}

describe('GraphiQL at /graphql', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };

  beforeAll(async () => {
    oms = await startOms();
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  it('serves the page and every script and style it names from the project itself (no CDN)', async () => {
    const page = await fetch(`${oms.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets).toHaveLength(4);
    for (const path of assets) {
      expect(path).toMatch(/^\/graphql\/assets\//);
      const response = await fetch(`${oms.url}${path}`);
      expect([path, response.status]).toEqual([path, 200]);
      expect(response.headers.get('content-type')).toMatch(
        path.endsWith('.css') ? /^text\/css/ : /javascript/,
      );
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1_000);
    }
  });

  if (!existsSync(CHROMIUM)) {
    notRun(
      'GraphiQL in a browser',
      `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); the asset test above did run`,
    );
    return;
  }

  it('renders in Chromium and runs a query typed into it', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      page.on('response', (response) => {
        if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
      });
      await page.goto(`${oms.url}/graphql`);
      await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', {
        timeout: 20_000,
      });
      // CodeMirror closes brackets as one types; set the text as a user's paste would: the query, and
      // the key in the Headers tab (open from the start).
      const paste = (selector: string, text: string) =>
        page.evaluate(
          ([where, what]) => {
            const editors = [
              ...((globalThis as unknown as BrowserGlobals).document.querySelectorAll(where) as Iterable<{
                offsetParent: unknown;
                CodeMirror: { setValue(text: string): void };
              }>),
            ];
            // The Variables and Headers editors are both in the page; the Headers one comes last.
            editors
              .filter((e) => e.offsetParent !== null)
              .at(-1)
              ?.CodeMirror.setValue(what);
          },
          [selector, text],
        );
      await paste(
        '.graphiql-query-editor .CodeMirror',
        '{ riskLimits(accountId: "demo") { maxOrderQuantity priceCollarPercent } }',
      );
      await page.waitForSelector('.graphiql-editor-tool .CodeMirror >> visible=true', { timeout: 20_000 });
      await paste(
        '.graphiql-editor-tool .CodeMirror',
        JSON.stringify({ Authorization: `Bearer ${oms.keys.trader}` }),
      );
      // Until a key is given the API refuses (the schema load included): that is as it should be.
      expect(errors.every((e) => e.startsWith('401 '))).toBe(true);
      errors.length = 0;
      await page.click('.graphiql-execute-button');
      await page.waitForFunction(
        () =>
          (
            (globalThis as unknown as BrowserGlobals).document.querySelector('.graphiql-response') as {
              textContent: string | null;
            } | null
          )?.textContent?.includes('maxOrderQuantity'),
        undefined,
        { timeout: 20_000 },
      );
      const response = (await page.textContent('.graphiql-response')) ?? '';
      expect(response).toContain('"maxOrderQuantity": "5"');
      expect(response).toContain('"priceCollarPercent": "5"');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
