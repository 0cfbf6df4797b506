// Renders Vega-Lite charts without a browser: reads [{ name, spec }] as JSON on stdin, writes
// <dir>/<name>.svg and <dir>/<name>.png (2x), and prints nothing on success. A separate process
// because vega is an ES module with top-level await, which the OMS's CommonJS build cannot require.
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { writeFileSync } from 'fs';
import { join } from 'path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/render-charts.mjs <output dir> < charts.json');
  process.exit(2);
}
let input = '';
for await (const chunk of process.stdin) input += chunk;
for (const { name, spec } of JSON.parse(input)) {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  writeFileSync(join(dir, `${name}.svg`), svg);
  const png = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  }).render();
  writeFileSync(join(dir, `${name}.png`), png.asPng());
}
