#!/usr/bin/env node
/**
 * `pnpm bench`: speed of the ViT training step on the embedded default backend (wasm), without
 * metrics and with every standard metric measured at every step, plus the backend's matMul speed.
 * Options: --steps N (timed steps per repetition, default 8), --warmup N (default 3), --reps N
 * (default 3), --json FILE (also write the results as JSON). See bench/README.md.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { vitStepFlops } from './flops.mjs';
import { loadPackages } from './load.mjs';
import { ALL_METRICS, median, timeMatMul, timeTrainSteps } from './measure.mjs';
import { timeMetricsAlone } from './metric-cost.mjs';

const VIT = { imageSize: [28, 28], channels: 1, patch: 4, d: 64, depth: 4, heads: 4, mlpWidth: 256, classes: 10 };
const DEMO_VIT = { ...VIT, patch: 7 };
const BATCH = 64;
const TARGET_OVERHEAD = 10;

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = process.argv[at + 1];
  if (value === undefined) throw new Error(`--${name} needs a value`);
  return value;
}

function positive(name, fallback) {
  const value = Number(option(name, fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer (received ${option(name, fallback)})`);
  return value;
}

function loadAverage() {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

function table(header, rows) {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

async function main() {
  const steps = positive('steps', 8);
  const warmup = positive('warmup', 3);
  const reps = positive('reps', 3);
  const jsonPath = option('json', undefined);
  const packages = await loadPackages();
  const { core, wasm, tf, tfWasm } = packages;
  const info = await wasm.wasmBackend().init();
  await core.registerGradients();
  const cpus = os.cpus();
  console.log(`backend   ${info.name} (tfjs '${info.tfjsName}': ${info.detail})${info.fallback ? `  FALLBACK: ${info.fallback}` : ''}`);
  console.log(`node      ${process.version} on ${os.platform()} ${os.arch()}`);
  console.log(`cpu       ${cpus[0]?.model ?? 'unknown'} x ${os.availableParallelism?.() ?? cpus.length} cores; load average ${loadAverage()}`);
  if (info.tfjsName === 'wasm') {
    // tfjs-backend-wasm 4.22 turns its threaded build off in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there).
    console.log(`threads   ${tfWasm.getThreadsCount()} wasm thread(s); WASM_HAS_MULTITHREAD_SUPPORT ${await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')}`);
  }
  console.log(`timing    median over ${reps} repetition(s) x ${steps} steps, after ${warmup} warm-up steps each; logEvery 1\n`);

  const configs = [
    { label: `ViT patch 4 (T=50), no metrics`, config: VIT, withMetrics: false },
    { label: `ViT patch 4 (T=50), all metrics every step`, config: VIT, withMetrics: true },
    { label: `demo ViT patch 7 (T=17), no metrics`, config: DEMO_VIT, withMetrics: false },
  ];
  // One short throw-away run first: module compilation, XNNPACK set-up and JIT warm-up.
  await timeTrainSteps(packages, { config: VIT, batch: BATCH, withMetrics: true, warmup: 1, steps: 1 });
  const samples = configs.map(() => []);
  const cpuSamples = configs.map(() => []);
  const checks = configs.map(() => undefined);
  // Interleaved repetitions, so that drifting background load hits every configuration alike.
  for (let rep = 0; rep < reps; rep++) {
    for (const [i, c] of configs.entries()) {
      process.stdout.write(`  rep ${rep + 1}/${reps}: ${c.label} ...`);
      const { times, cpuTimes, lastRecord } = await timeTrainSteps(packages, { config: c.config, batch: BATCH, withMetrics: c.withMetrics, warmup, steps });
      samples[i].push(...times);
      cpuSamples[i].push(...cpuTimes);
      checks[i] = lastRecord;
      process.stdout.write(` ${median(times).toFixed(0)} ms/step\n`);
    }
  }
  const metricsAlone = await timeMetricsAlone(packages, { config: VIT, batch: BATCH });
  const matMulMs = await timeMatMul(tf, 1024);
  const matMulGflops = (2 * 1024 ** 3) / matMulMs / 1e6;

  const results = configs.map((c, i) => {
    const ms = median(samples[i]);
    const gflop = vitStepFlops(c.config, BATCH) / 1e9;
    const best = Math.min(...samples[i]);
    const cpu = median(cpuSamples[i]);
    return { label: c.label, msPerStep: ms, bestMsPerStep: best, cpuMsPerStep: cpu, gflopPerStep: gflop, gflops: gflop / (ms / 1000), steps: samples[i].length };
  });
  const cpuOverhead = (100 * (results[1].cpuMsPerStep - results[0].cpuMsPerStep)) / results[0].cpuMsPerStep;
  const overhead = (100 * (results[1].msPerStep - results[0].msPerStep)) / results[0].msPerStep;
  const bestOverhead = (100 * (results[1].bestMsPerStep - results[0].bestMsPerStep)) / results[0].bestMsPerStep;
  console.log();
  console.log(
    table(
      ['measurement', 'ms/step (median)', 'ms/step (best)', 'CPU ms/step (median)', 'GFLOP/step', 'GFLOP/s (median)', 'steps timed'],
      results.map((r) => [r.label, r.msPerStep.toFixed(1), r.bestMsPerStep.toFixed(1), r.cpuMsPerStep.toFixed(1), r.gflopPerStep.toFixed(2), r.gflops.toFixed(2), r.steps]),
    ),
  );
  console.log();
  console.log(table(['figure', 'value'], [
    ['metric overhead (all metrics every step vs none), medians', `${overhead.toFixed(1)} % (target <= ${TARGET_OVERHEAD} %: ${overhead <= TARGET_OVERHEAD ? 'met' : 'NOT met'})`],
    ['metric overhead, best steps', `${bestOverhead.toFixed(1)} %`],
    ['metric overhead, CPU time (insensitive to other processes)', `${cpuOverhead.toFixed(1)} %`],
    ['metrics alone on one batch (computeFigures, median / best)', `${metricsAlone.median.toFixed(1)} / ${metricsAlone.best.toFixed(1)} ms = ${((100 * metricsAlone.median) / results[0].msPerStep).toFixed(1)} / ${((100 * metricsAlone.best) / results[0].bestMsPerStep).toFixed(1)} % of the step`],
    ['1024x1024 float32 matMul', `${matMulMs.toFixed(1)} ms = ${matMulGflops.toFixed(1)} GFLOP/s`],
    ['ViT step efficiency vs the 1024 matMul', `${((100 * results[0].gflops) / matMulGflops).toFixed(0)} %`],
  ]));
  console.log(`\nload average at the end: ${loadAverage()} (other processes on the machine slow the steps down and make the figures noisy)`);
  const figures = checks[1]?.figures ?? {};
  const shown = ALL_METRICS.map(([, name]) => `${name}.${name === 'augmentedFlatness' ? 'c0' : 'value'} = ${figures[`${name}.${name === 'augmentedFlatness' ? 'c0' : 'value'}`]?.mean?.toPrecision(4) ?? 'missing'}`);
  console.log(`\nlast measured figures (sanity check): ${shown.join(', ')}`);

  if (jsonPath !== undefined) {
    const machine = { backend: info, node: process.version, cpu: cpus[0]?.model, cores: os.availableParallelism?.() ?? cpus.length, loadAverageAtEnd: os.loadavg() };
    await writeFile(jsonPath, `${JSON.stringify({ machine, batch: BATCH, warmup, steps, reps, results, overheadPercent: overhead, bestOverheadPercent: bestOverhead, cpuOverheadPercent: cpuOverhead, metricsAloneMs: metricsAlone, matMul1024: { ms: matMulMs, gflops: matMulGflops } }, null, 2)}\n`);
    console.log(`results written to ${jsonPath}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
