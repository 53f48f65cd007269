import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './static-server.js';

// The browser page (apps/browser-demo) built with Vite and opened in the system's headless Chromium
// (playwright-core drives it; no browser is downloaded): it must train a sparsified ViT on MNIST
// digits on WebGPU (SwiftShader on machines without a GPU) and plot activation sparsity live; with
// WebGPU switched off it must fall back to wasm and say so. Bounded: 8 steps, well under 2 minutes.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const APP = resolve(dirname(fileURLToPath(import.meta.url)), '../../apps/browser-demo');
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];
const BASE_ARGS = ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-background-networking'];
const STEPS = 8;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[skip] browser test: no Chromium at ${CHROMIUM}. Fix: apt-get install -y chromium (Debian), or set CHROMIUM_PATH.`);

interface PageOutcome {
  status: string;
  backend: string;
  note: string;
  points: number;
  polyline: number;
  rows: number;
  sparsity: number[];
  error?: string;
}

async function openDemo(browser: Browser, url: string): Promise<PageOutcome> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${url}?steps=${STEPS}&batch=16`);
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.status ?? ''), null, { timeout: 90_000 });
    const outcome = await page.evaluate(() => {
      const state = (window as unknown as { flatsparseDemo: { records: { split: string; figures: Record<string, { mean: number }> }[]; error?: string } }).flatsparseDemo;
      const line = document.querySelector('#chart polyline.sparsity')?.getAttribute('points') ?? '';
      return {
        status: document.body.dataset.status ?? '',
        backend: document.body.dataset.backend ?? '',
        note: document.getElementById('backend')?.textContent ?? '',
        points: Number(document.getElementById('chart')?.dataset.points ?? 0),
        polyline: line.trim() === '' ? 0 : line.trim().split(/\s+/).length,
        rows: document.querySelectorAll('#rows tr').length,
        sparsity: state.records.filter((r) => r.split === 'train').map((r) => r.figures['activation-sparsity.value']?.mean ?? Number.NaN),
        ...(state.error ? { error: state.error } : {}),
      };
    });
    if (errors.length > 0) outcome.error = [outcome.error, ...errors].filter(Boolean).join('; ');
    return outcome;
  } finally {
    await page.close();
  }
}

describe.skipIf(!haveChromium)('browser demo in headless Chromium', () => {
  let out = '';
  let server: Awaited<ReturnType<typeof serveStatic>>;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'flatsparse-browser-demo-'));
    const vite = join(dirname(createRequire(join(APP, 'package.json')).resolve('vite/package.json')), 'bin/vite.js');
    await promisify(execFile)(process.execPath, [vite, 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { cwd: APP });
    server = await serveStatic(out);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('trains on WebGPU and plots activation sparsity live, naming the adapter', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...WEBGPU_ARGS] });
    try {
      const o = await openDemo(browser, server.url);
      expect(o.error).toBeUndefined();
      expect(o.status).toBe('done');
      expect(o.backend, `the page did not run on WebGPU: ${o.note}`).toBe('webgpu');
      expect(o.note).toMatch(/tfjs-backend-webgpu on .+/);
      expect(o.sparsity).toHaveLength(STEPS);
      for (const s of o.sparsity) expect(s >= 0 && s <= 1).toBe(true);
      expect([o.points, o.polyline, o.rows]).toEqual([STEPS, STEPS, STEPS]);
    } finally {
      await browser.close();
    }
  }, 100_000);

  it('falls back to wasm when the browser gives no WebGPU adapter, and says why on the page', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, '--disable-blink-features=WebGPU'] });
    try {
      const o = await openDemo(browser, server.url);
      expect(o.error).toBeUndefined();
      expect(o.status).toBe('done');
      expect(o.backend).toBe('wasm');
      expect(o.note).toMatch(/webgpu was not available \(.+\)/);
      expect(o.points).toBe(STEPS);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
