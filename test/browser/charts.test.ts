import { main } from '@flatsparse/cli';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingIo } from '../cli/recording-io.js';

// The interactive charts, looked at in the system's headless Chromium (playwright-core drives it; no
// browser is downloaded): a compare page of three tiny real runs (two seeds of one config, one of
// another) is opened offline, screenshotted, and the PNG decoded; inside every chart's canvas there
// must be pixels of each group's colour (drawn lines, not just axes and background) and of the band of
// the two-seed group; the values at the cursor, drag to zoom and the legend's toggles work. The same check on two deliberately broken copies of the page (the chart library
// removed; every value blanked) must fail, so it is known to tell a drawn chart from an empty one.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-gpu'];

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[skip] chart screenshot test: no Chromium at ${CHROMIUM}. Fix: apt-get install -y chromium (Debian), or set CHROMIUM_PATH.`);

const config = (activation: string, seed: number) => `
name: charts-${activation}-s${seed}
seed: ${seed}
model: { kind: vit, patch: 4, d: 8, depth: 2, heads: 2, mlpWidth: 8 }
activation: ${activation}
data: { source: synthetic-image, classes: 2, imageSize: 4, trainSize: 32, heldOutSize: 16 }
metrics: [activation-sparsity]
train: { steps: 16, batchSize: 8, lr: 0.01, logEvery: 1, evalEvery: 4 }
output: { saveModel: false }
`;

/** The series colours of the first two groups (CHART_PALETTE), and the first group's band: its colour at 16 % over white. */
const GROUP_COLORS = { relu: [0x1f, 0x77, 0xb4], other: [0xd6, 0x27, 0x28] } as const;
const BAND = GROUP_COLORS.relu.map((c) => Math.round(255 - 0.16 * (255 - c)));

interface ChartLook {
  title: string;
  /** Pixels near each colour inside the chart's canvas (undefined: the chart has no canvas). */
  pixels?: { relu: number; other: number; band: number };
}

interface PageLook {
  charts: ChartLook[];
  status: string;
  errors: string[];
  requests: string[];
}

/** Opens a page offline, screenshots it and counts the series pixels inside each chart's canvas. */
async function look(browser: Browser, file: string): Promise<PageLook> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(`console: ${m.text()}`)));
  await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : (requests.push(route.request().url()), route.abort())));
  try {
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => document.body.dataset.charts !== undefined, null, { timeout: 20_000 }).catch(() => undefined);
    const boxes = await page.evaluate(() =>
      Array.from(document.querySelectorAll('figure.fs-chart'), (fig) => {
        const canvas = fig.querySelector('canvas');
        const r = canvas?.getBoundingClientRect();
        return { title: (fig as HTMLElement).dataset.title ?? '', box: r && { x: r.x + window.scrollX, y: r.y + window.scrollY, w: r.width, h: r.height } };
      }),
    );
    const status = await page.evaluate(() => document.body.dataset.charts ?? '(chart script did not run)');
    const shot = await page.screenshot({ fullPage: true });
    // CHARTS_SCREENSHOT_DIR=dir keeps each screenshot there, to see what the check saw.
    if (process.env.CHARTS_SCREENSHOT_DIR) await writeFile(join(process.env.CHARTS_SCREENSHOT_DIR, `${basename(file, '.html')}.png`), shot);
    const png = PNG.sync.read(shot);
    const near = (i: number, rgb: readonly number[], tolerance: number) => Math.abs(png.data[i]! - rgb[0]!) + Math.abs(png.data[i + 1]! - rgb[1]!) + Math.abs(png.data[i + 2]! - rgb[2]!) <= tolerance;
    const charts = boxes.map(({ title, box }) => {
      if (!box || box.w < 10 || box.h < 10) return { title };
      const pixels = { relu: 0, other: 0, band: 0 };
      for (let y = Math.floor(box.y); y < Math.min(png.height, box.y + box.h); y++) {
        for (let x = Math.floor(box.x); x < Math.min(png.width, box.x + box.w); x++) {
          const i = (y * png.width + x) * 4;
          if (near(i, GROUP_COLORS.relu, 60)) pixels.relu++;
          else if (near(i, GROUP_COLORS.other, 60)) pixels.other++;
          else if (near(i, BAND, 12)) pixels.band++;
        }
      }
      return { title, pixels };
    });
    return { charts, status, errors, requests };
  } finally {
    await page.close();
  }
}

/** What is wrong with a page's charts: none drawn, a chart without its groups' lines or the band, script errors, network requests. */
function problems(p: PageLook, expectCharts: number): string[] {
  const out: string[] = [];
  if (p.charts.length !== expectCharts) out.push(`${p.charts.length} charts on the page, expected ${expectCharts}`);
  if (p.status !== 'drawn') out.push(`charts status '${p.status}'`);
  for (const c of p.charts) {
    if (!c.pixels) out.push(`${c.title}: no chart canvas drawn`);
    else {
      if (c.pixels.relu < 40) out.push(`${c.title}: ${c.pixels.relu} pixels of the first group's line`);
      if (c.pixels.other < 40) out.push(`${c.title}: ${c.pixels.other} pixels of the second group's line`);
      if (c.pixels.band < 40) out.push(`${c.title}: ${c.pixels.band} pixels of the first group's seed band`);
    }
  }
  out.push(...p.errors, ...p.requests.map((r) => `network request: ${r}`));
  return out;
}

describe.skipIf(!haveChromium)('interactive charts in headless Chromium', () => {
  let dir = '';
  let page = '';
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flatsparse-charts-'));
    const runs: string[] = [];
    for (const [activation, seed] of [['relu', 1], ['relu', 2], ['squared-relu', 1]] as const) {
      await writeFile(join(dir, `${activation}-${seed}.yaml`), config(activation, seed));
      const out = join(dir, `${activation}-s${seed}`);
      const io = recordingIo();
      expect(await main(['run', join(dir, `${activation}-${seed}.yaml`), '--out', out, '--backend', 'wasm', '--quiet'], io), io.text()).toBe(0);
      runs.push(out);
    }
    page = join(dir, 'compare.html');
    const io = recordingIo();
    expect(await main(['compare', ...runs, '--out', page, '--metrics', 'loss,activation-sparsity'], io), io.text()).toBe(0);
    expect(io.text()).toContain('charts-relu: 2 run(s), seeds 1, 2');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // loss; activation-sparsity.value's mean over layers and its two layers.
  const CHARTS = 4;

  it('draws every chart of a compare page offline: both groups\' lines and the seed band, no script error', async () => {
    const p = await look(browser, page);
    expect(p.charts.map((c) => c.title)).toEqual(['loss', 'activation-sparsity.value (mean over layers)', 'activation-sparsity.value, layer 0', 'activation-sparsity.value, layer 1']);
    expect(problems(p, CHARTS)).toEqual([]);
  }, 60_000);

  it('shows the values at the cursor, zooms on a drag and hides a series (with its band) from the legend', async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    try {
      await p.goto(pathToFileURL(page).href);
      await p.waitForFunction(() => document.body.dataset.charts === 'drawn');
      const figures = p.locator('figure.fs-chart');
      // Hover: the legend of the loss chart shows the step and each line's value, the band's [min, max] with it.
      const over = figures.nth(0).locator('.u-over');
      const box = (await over.boundingBox())!;
      await p.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      const values = await figures.nth(0).locator('.u-legend tr.u-series:not(.fs-bound) td.u-value').allTextContents();
      expect(values[0], values.join(' | ')).toMatch(/^\d+$/);
      expect(values[1], values.join(' | ')).toMatch(/^\d\.\d+ \[\d\.\d+, \d\.\d+\]$/);
      expect(values[3], values.join(' | ')).toMatch(/^\d\.\d+$/);
      // Drag across the middle of the second chart: its x scale narrows to the dragged steps.
      const zoomed = figures.nth(1).locator('.u-over');
      const zb = (await zoomed.boundingBox())!;
      await p.mouse.move(zb.x + zb.width * 0.3, zb.y + zb.height / 2);
      await p.mouse.down();
      await p.mouse.move(zb.x + zb.width * 0.6, zb.y + zb.height / 2, { steps: 5 });
      await p.mouse.up();
      const x = await figures.nth(1).evaluate((f) => (f as unknown as { fsChart: { scales: { x: { min: number; max: number } } } }).fsChart.scales.x);
      expect(x.min).toBeGreaterThan(2);
      expect(x.max).toBeLessThan(13);
      // A click on the first group's train entry hides its line and its band; a second click shows them again.
      const shown = async () => figures.nth(0).evaluate((f) => (f as unknown as { fsChart: { series: { show: boolean }[] } }).fsChart.series.map((s) => s.show));
      const entry = figures.nth(0).locator('.u-legend tr.u-series').nth(1);
      await entry.click();
      expect(await shown()).toEqual([true, false, false, false, true, true, true, true, true]);
      await entry.click();
      expect((await shown()).every(Boolean)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await p.close();
    }
  }, 60_000);

  it('the same check fails on a page whose chart library is removed', async () => {
    const html = await readFile(page, 'utf8');
    const broken = html.replace(/<script>\/\* uPlot [^]*?<\/script>/, '');
    expect(broken.length).toBeLessThan(html.length - 10_000);
    await writeFile(join(dir, 'no-library.html'), broken);
    const found = problems(await look(browser, join(dir, 'no-library.html')), CHARTS);
    expect(found).toContain("charts status 'failed'");
    expect(found).toContain('loss: no chart canvas drawn');
    expect(found.some((f) => /console: flatsparse: chart "loss" not drawn: the chart library did not load/.test(f))).toBe(true);
  }, 60_000);

  it('the same check fails on a page whose charts have no values', async () => {
    const html = await readFile(page, 'utf8');
    // Every series, band bound included, blanked: the charts still draw their axes, but no line or band.
    const blank = html.replace(/"(y|low|high)":\[[^\]]*\]/g, (m, key: string) => `"${key}":[${m.slice(m.indexOf('[') + 1, -1).split(',').map(() => 'null').join(',')}]`);
    expect(blank).not.toBe(html);
    await writeFile(join(dir, 'no-values.html'), blank);
    const p = await look(browser, join(dir, 'no-values.html'));
    expect(p.status).toBe('drawn');
    const found = problems(p, CHARTS);
    expect(found).toContain("loss: 0 pixels of the first group's line");
    expect(found.filter((f) => /pixels of the (first|second) group's line/.test(f)).length).toBe(2 * CHARTS);
  }, 60_000);
});
