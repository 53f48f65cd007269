#!/usr/bin/env node
/**
 * WebGPU next to the default backend: the wall time of a ViT training step (through the real Trainer,
 * logEvery 1, as bench/run.mjs) and the speed of one float32 matMul, on wasm and then on WebGPU, with
 * the adapter named and a software adapter (SwiftShader) flagged. Needs `pnpm build`. Options:
 * --steps N (timed steps, default 3), --warmup N (default 2), --batch N (default 32), --matmul N
 * (matrix size, default 512), --json FILE. Without a WebGPU adapter it prints why, with the fix.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { vitStepFlops } from './flops.mjs';
import { loadPackages } from './load.mjs';
import { median, timeMatMul, timeTrainSteps } from './measure.mjs';

// The demo's ViT (28x28 digits in 7x7 patches: 17 tokens), small enough for SwiftShader (about 0.25 GFLOP/s).
const VIT = { imageSize: [28, 28], channels: 1, patch: 7, d: 64, depth: 4, heads: 4, mlpWidth: 256, classes: 10 };

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1];
}

function positive(name, fallback) {
  const value = Number(option(name, fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer (received ${option(name, fallback)})`);
  return value;
}

async function loadWebgpu() {
  const entry = new URL('../packages/backend-webgpu/dist/index.js', import.meta.url);
  if (!existsSync(fileURLToPath(entry))) throw new Error('packages/backend-webgpu is not built: run `pnpm build` first.');
  return import(entry.href);
}

/** Step time (median ms) and matMul time (median ms) on the active backend. */
async function measure(packages, o) {
  const { times } = await timeTrainSteps(packages, { config: VIT, batch: o.batch, withMetrics: false, warmup: o.warmup, steps: o.steps });
  const matMulMs = await timeMatMul(packages.tf, o.matmul, 3);
  return { stepMs: median(times), matMulMs };
}

function row(name, m, o) {
  const stepGflops = vitStepFlops(VIT, o.batch) / (m.stepMs * 1e6);
  const matGflops = (2 * o.matmul ** 3) / (m.matMulMs * 1e6);
  return [name, m.stepMs.toFixed(1), stepGflops.toFixed(2), m.matMulMs.toFixed(1), matGflops.toFixed(2)];
}

function table(header, rows) {
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main() {
  const o = { steps: positive('steps', 3), warmup: positive('warmup', 2), batch: positive('batch', 32), matmul: positive('matmul', 512) };
  const packages = await loadPackages();
  const { webgpuBackend } = await loadWebgpu();
  const wasmInfo = await packages.wasm.wasmBackend().init();
  await packages.core.registerGradients();
  console.log(`default   ${wasmInfo.name} (tfjs '${wasmInfo.tfjsName}': ${wasmInfo.detail})`);
  const results = { config: { vit: VIT, ...o }, wasm: await measure(packages, o) };
  const rows = [row('wasm', results.wasm, o)];
  // Software adapters are allowed here, and flagged: their figures say nothing about GPUs.
  const webgpu = webgpuBackend({ allowSoftware: true });
  const availability = await webgpu.isAvailable();
  if (!availability.available) {
    console.log(`webgpu    not available: ${availability.reason}\n          fix: ${availability.fix}`);
  } else {
    const info = await webgpu.init();
    const f = info.facts ?? {};
    console.log(`webgpu    adapter ${f.adapterDescription || f.adapterDevice || '?'} (vendor ${f.adapterVendor || '?'}, architecture ${f.adapterArchitecture || '?'})${f.softwareFallback ? ' [SOFTWARE ADAPTER: WebGPU emulated on the CPU]' : ''}; ${info.detail}`);
    try {
      results.webgpu = { ...(await measure(packages, o)), adapter: f };
      rows.push(row(f.softwareFallback ? 'webgpu (software)' : 'webgpu', results.webgpu, o));
    } finally {
      await webgpu.dispose();
    }
  }
  const size = `ViT d${VIT.d} x${VIT.depth}, 28x28/${VIT.patch}, batch ${o.batch}`;
  console.log(`\n${table(['backend', `step ms (${size})`, 'step GFLOP/s', `matMul ${o.matmul} ms`, 'matMul GFLOP/s'], rows)}`);
  console.log(`\nmedian of ${o.steps} steps after ${o.warmup} warm-up steps (no metrics); matMul: median of 3, result read back each time.`);
  const json = option('json', undefined);
  if (json) await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
