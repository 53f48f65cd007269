#!/usr/bin/env node
/**
 * `pnpm bench`: the ViT training step on the fast CPU path (the native backend, what 'auto' selects),
 * on the wasm fallback, and in an independent PyTorch implementation of the same step (bench/peer),
 * run alternately on this machine; where the native backend runs on a BLAS library, also the same
 * backend with its products on its built-in GEMM (what a machine without OpenBLAS gets); then the
 * metric overhead, the held-out evaluation, the metrics on held-out data and a Hutchinson trace
 * probe, each against a training step.
 * Options: --steps N (timed steps per repetition, default 8), --warmup N (default 3), --reps N
 * (default 3), --no-peer (skip PyTorch), --no-wasm (skip the wasm fallback), --no-builtin (skip the
 * built-in GEMM), --no-other (skip the evaluation and trace timings), --json FILE. See bench/README.md.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { vitStepFlops } from './flops.mjs';
import { loadPackages } from './load.mjs';
import { ALL_METRICS, median, timeAlternatingMetricSteps, timeMatMul, timeTrainSteps } from './measure.mjs';
import { timeMetricsAlone } from './metric-cost.mjs';
import { timeOtherWork } from './other-work.mjs';
import { startPeer } from './peer.mjs';

const VIT = { imageSize: [28, 28], channels: 1, patch: 4, d: 64, depth: 4, heads: 4, mlpWidth: 256, classes: 10 };
const DEMO_VIT = { ...VIT, patch: 7 };
const BATCH = 64;
const TARGET_OVERHEAD = 10;
const TARGET_RATIO = 1.0;
const TARGET_GRAD_EVALS = 2.2;

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = process.argv[at + 1];
  if (value === undefined) throw new Error(`--${name} needs a value`);
  return value;
}
const flag = (name) => process.argv.includes(`--${name}`);

function positive(name, fallback) {
  const value = Number(option(name, fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer (received ${option(name, fallback)})`);
  return value;
}

const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const f1 = (v) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(1));
const f2 = (v) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(2));

function table(header, rows) {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

/**
 * Initialises the fast path and the fallback; returns the flatsparse backends to measure, fast first.
 * An entry with `gemm` is the native backend with its products on the BLAS library ('blas') or on its
 * built-in GEMM ('builtin'): the same tfjs backend, switched by useBackend.
 */
async function backends(packages, withWasm, withBuiltin) {
  const { core, native, wasm, tf } = packages;
  const list = [];
  const fast = native.nativeBackend();
  const availability = await core.safeAvailability(fast);
  if (availability.available) {
    const info = await fast.init();
    const addon = native.loadAddon().addon;
    const onLibrary = native.blasInfo(addon).resolved === 'blas';
    list.push({ label: 'native', tfjsName: fast.tfjsName, info, ...(onLibrary ? { gemm: 'blas', addon } : {}) });
    if (onLibrary && withBuiltin) {
      addon.useBuiltinGemm(true);
      list.push({ label: 'native-builtin', tfjsName: fast.tfjsName, info: await fast.init(), gemm: 'builtin', addon });
      addon.useBuiltinGemm(false);
    }
  } else {
    console.log(`fast path NOT in use: the native backend is unavailable: ${availability.reason}\n          fix: ${availability.fix}`);
  }
  if (withWasm || list.length === 0) list.push({ label: 'wasm', tfjsName: 'wasm', info: await wasm.wasmBackend().init() });
  await core.registerGradients();
  await tf.setBackend(list[0].tfjsName);
  return list;
}

async function main() {
  const steps = positive('steps', 8);
  const warmup = positive('warmup', 3);
  const reps = positive('reps', 3);
  const jsonPath = option('json', undefined);
  const packages = await loadPackages();
  const { tf, tfWasm } = packages;
  const flatsparse = await backends(packages, !flag('no-wasm'), !flag('no-builtin'));
  const peer = flag('no-peer') ? { skipped: '--no-peer' } : await startPeer();
  const cpus = os.cpus();
  console.log(`node      ${process.version} on ${os.platform()} ${os.arch()}`);
  console.log(`cpu       ${cpus[0]?.model ?? 'unknown'} x ${os.availableParallelism?.() ?? cpus.length} cores; load average ${loadAverage()}`);
  for (const b of flatsparse) console.log(`${b.label.padEnd(9)} tfjs '${b.info.tfjsName}': ${b.info.detail}${b.info.fallback ? `  FALLBACK: ${b.info.fallback}` : ''}`);
  if (flatsparse.some((b) => b.label === 'wasm')) console.log(`          wasm threads: ${tfWasm.getThreadsCount()} (WASM_HAS_MULTITHREAD_SUPPORT ${await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')})`);
  if (peer.skipped) console.log(`pytorch   peer SKIPPED: ${peer.skipped}`);
  else console.log(`pytorch   ${peer.hello.torch} (Python ${peer.hello.python}, ${peer.hello.python === '/usr/bin/python3' ? 'Debian' : 'custom'}), BLAS ${peer.hello.blas}; measured on 1 and on 2 threads, the faster is the peer${peer.hello.warning ?? ''}`);
  console.log(`timing    median over ${reps} repetition(s) x ${steps} steps after ${warmup} warm-up steps, logEvery 1; flatsparse and PyTorch alternate within every repetition\n`);

  const configs = [
    { key: 'p4', label: 'ViT patch 4 (T=50), no metrics', config: VIT, withMetrics: false, peer: 4 },
    { key: 'p4m', label: 'ViT patch 4 (T=50), all metrics every step', config: VIT, withMetrics: true },
    { key: 'p7', label: 'demo ViT patch 7 (T=17), no metrics', config: DEMO_VIT, withMetrics: false, peer: 7 },
  ];
  const useBackend = async (b) => {
    await tf.setBackend(b.tfjsName);
    if (b.gemm !== undefined) b.addon.useBuiltinGemm(b.gemm === 'builtin');
  };
  // One short throw-away run per backend first: module compilation, kernel set-up and JIT warm-up.
  for (const b of flatsparse) {
    await useBackend(b);
    await timeTrainSteps(packages, { config: VIT, batch: BATCH, withMetrics: true, warmup: 1, steps: 1 });
  }
  const samples = new Map();
  const push = (key, values) => samples.set(key, [...(samples.get(key) ?? []), ...values]);
  const checks = new Map();
  for (let rep = 0; rep < reps; rep++) {
    for (const c of configs) {
      for (const b of flatsparse) {
        await useBackend(b);
        process.stdout.write(`  rep ${rep + 1}/${reps}: ${b.label.padEnd(6)} ${c.label} ...`);
        const { times, cpuTimes, lastRecord } = await timeTrainSteps(packages, { config: c.config, batch: BATCH, withMetrics: c.withMetrics, warmup, steps });
        push(`${b.label}/${c.key}`, times);
        push(`${b.label}/${c.key}/cpu`, cpuTimes);
        checks.set(`${b.label}/${c.key}`, lastRecord);
        process.stdout.write(` ${median(times).toFixed(0)} ms/step\n`);
        if (c.peer !== undefined && !peer.skipped && b === flatsparse[0]) {
          for (const threads of [1, 2]) {
            process.stdout.write(`  rep ${rep + 1}/${reps}: torch${threads} ${c.label} ...`);
            const answer = await peer.run({ patch: c.peer, threads, warmup, steps });
            push(`torch${threads}/${c.key}`, answer.times_ms);
            process.stdout.write(` ${median(answer.times_ms).toFixed(0)} ms/step\n`);
          }
        }
      }
    }
    // The metric overhead within one run: steps with and without the metrics alternate (logEvery 2).
    await useBackend(flatsparse[0]);
    process.stdout.write(`  rep ${rep + 1}/${reps}: ${flatsparse[0].label.padEnd(6)} ViT patch 4, metrics on every other step ...`);
    const alternating = await timeAlternatingMetricSteps(packages, { config: VIT, batch: BATCH, warmup, steps });
    push('alternating/with', alternating.withMetrics);
    push('alternating/without', alternating.without);
    process.stdout.write(` ${median(alternating.withMetrics).toFixed(0)} / ${median(alternating.without).toFixed(0)} ms/step with / without\n`);
  }
  peer.stop?.();

  const fast = flatsparse[0];
  const med = (key) => (samples.has(key) ? median(samples.get(key)) : undefined);
  const best = (key) => (samples.has(key) ? Math.min(...samples.get(key)) : undefined);
  const stepRows = [];
  const ratios = {};
  for (const c of configs) {
    const gflop = vitStepFlops(c.config, BATCH) / 1e9;
    const torch = c.peer === undefined ? undefined : [1, 2].map((t) => ({ threads: t, ms: med(`torch${t}/${c.key}`) })).filter((t) => t.ms !== undefined).sort((a, b) => a.ms - b.ms)[0];
    const cells = [c.label];
    for (const b of flatsparse) cells.push(`${f1(med(`${b.label}/${c.key}`))} (${f1(best(`${b.label}/${c.key}`))})`);
    cells.push(torch ? `${f1(torch.ms)} (${torch.threads} thread${torch.threads > 1 ? 's' : ''})` : '-');
    for (const b of flatsparse) {
      const ratio = torch ? med(`${b.label}/${c.key}`) / torch.ms : undefined;
      if (ratio !== undefined) ratios[`${b.label}/${c.key}`] = ratio;
      cells.push(ratio === undefined ? '-' : `${ratio.toFixed(2)}${b === fast ? (ratio <= TARGET_RATIO ? ' (met)' : ' (NOT met)') : ''}`);
    }
    cells.push(f1(gflop / (med(`${fast.label}/${c.key}`) / 1000)));
    stepRows.push(cells);
  }
  console.log();
  console.log(
    table(
      ['ms per training step, median (best)', ...flatsparse.map((b) => `flatsparse ${b.label}`), 'PyTorch CPU (faster setting)', ...flatsparse.map((b) => `${b.label} / PyTorch`), `GFLOP/s (${fast.label})`],
      stepRows,
    ),
  );

  if (flatsparse.length > 1) {
    console.log();
    console.log(`Ratios of the medians to the ${fast.label} backend's (the same steps, alternating):`);
    console.log(table(['ms per training step, median', ...flatsparse.slice(1).map((b) => `${b.label} / ${fast.label}`)], configs.map((c) => [c.label, ...flatsparse.slice(1).map((b) => f2(med(`${b.label}/${c.key}`) / med(`${fast.label}/${c.key}`)))])));
  }

  const overhead = (100 * (med('alternating/with') - med('alternating/without'))) / med('alternating/without');
  const separateOverhead = (100 * (med(`${fast.label}/p4m`) - med(`${fast.label}/p4`))) / med(`${fast.label}/p4`);
  const bestOverhead = (100 * (best(`${fast.label}/p4m`) - best(`${fast.label}/p4`))) / best(`${fast.label}/p4`);
  const cpuOverhead = (100 * (med(`${fast.label}/p4m/cpu`) - med(`${fast.label}/p4/cpu`))) / med(`${fast.label}/p4/cpu`);
  await useBackend(fast);
  const metricsAlone = await timeMetricsAlone(packages, { config: VIT, batch: BATCH });
  const stepMs = med(`${fast.label}/p4`);
  console.log();
  console.log(`Metric overhead on the ${fast.label} backend (ViT patch 4, ${ALL_METRICS.length} metrics x 4 layers at every step):`);
  console.log(table(['figure', 'value'], [
    [
      `metric overhead, steps with vs without all metrics alternating in one run (medians of ${samples.get('alternating/with').length} and ${samples.get('alternating/without').length})`,
      `${overhead.toFixed(1)} % (${f1(med('alternating/with'))} vs ${f1(med('alternating/without'))} ms; target <= ${TARGET_OVERHEAD} %: ${overhead <= TARGET_OVERHEAD ? 'met' : 'NOT met'})`,
    ],
    ['metric overhead, separate runs (all metrics every step vs none), medians', `${separateOverhead.toFixed(1)} %`],
    ['metric overhead, separate runs, best steps', `${bestOverhead.toFixed(1)} %`],
    ['metric overhead, separate runs, process CPU time (all threads)', `${cpuOverhead.toFixed(1)} %`],
    ['metrics alone on one batch (computeFigures, median / best)', `${metricsAlone.median.toFixed(1)} / ${metricsAlone.best.toFixed(1)} ms = ${((100 * metricsAlone.median) / stepMs).toFixed(1)} / ${((100 * metricsAlone.best) / best(`${fast.label}/p4`)).toFixed(1)} % of the step`],
  ]));

  const other = [];
  if (!flag('no-other')) {
    console.log(`\nOther work (ViT patch 4, batches of ${BATCH}), against one training step of the same backend:`);
    for (const b of flatsparse) {
      await useBackend(b);
      const step = med(`${b.label}/p4`);
      const o = await timeOtherWork(packages, { config: VIT, batch: BATCH });
      const fd = await timeOtherWork(packages, { config: VIT, batch: BATCH, hvp: 'finite-difference', reps: 2 });
      other.push({ backend: b.label, auto: o, finiteDifference: fd, stepMs: step });
      const rows = [
        ['held-out evaluation, per batch (forward, loss, accuracy)', `${f1(o.evalMsPerBatch)} ms`, f2(o.evalMsPerBatch / step)],
        ['held-out evaluation with the forward-only metrics, per batch', `${f1(o.evalWithMetricsMsPerBatch)} ms`, f2(o.evalWithMetricsMsPerBatch / step)],
      ];
      for (const [label, t] of [['auto', o.trace], ['finite-difference', fd.trace]]) {
        const evals = t.backwardPerProbe;
        rows.push([`Hutchinson trace, per probe, hvp ${label}: ${t.method.split(' (')[0]}`, `${f1(t.msPerProbe)} ms; ${f2(t.forwardPerProbe)} forward + ${f2(evals)} backward passes (${evals <= TARGET_GRAD_EVALS ? 'met' : 'NOT met'}: <= ${TARGET_GRAD_EVALS} gradient evaluations)`, f2(t.msPerProbe / step)]);
      }
      console.log(`${b.label}:`);
      console.log(table(['work', 'cost', 'x training step'], rows));
    }
  }

  const matMul = {};
  for (const b of flatsparse) {
    await useBackend(b);
    matMul[b.label] = await timeMatMul(tf, 1024);
  }
  console.log(`\n1024x1024 float32 matMul: ${flatsparse.map((b) => `${b.label} ${matMul[b.label].toFixed(1)} ms = ${((2 * 1024 ** 3) / matMul[b.label] / 1e6).toFixed(1)} GFLOP/s`).join('; ')}`);
  console.log(`load average at the end: ${loadAverage()} (other processes on the machine slow the steps down and make the figures noisy)`);
  const figures = checks.get(`${fast.label}/p4m`)?.figures ?? {};
  const shown = ALL_METRICS.map(([, name]) => `${name}.${name === 'augmented-flatness' ? 'c0' : 'value'} = ${figures[`${name}.${name === 'augmented-flatness' ? 'c0' : 'value'}`]?.mean?.toPrecision(4) ?? 'missing'}`);
  console.log(`last measured figures (sanity check): ${shown.join(', ')}`);

  if (jsonPath !== undefined) {
    const machine = { cpu: cpus[0]?.model, cores: os.availableParallelism?.() ?? cpus.length, node: process.version, loadAverageAtEnd: os.loadavg() };
    const results = Object.fromEntries([...samples.keys()].filter((k) => !k.endsWith('/cpu')).map((k) => [k, { medianMs: med(k), bestMs: best(k), steps: samples.get(k).length }]));
    const body = { machine, backends: flatsparse.map((b) => b.info), peer: peer.hello ?? { skipped: peer.skipped }, batch: BATCH, warmup, steps, reps, results, ratios, overheadPercent: overhead, separateRunsOverheadPercent: separateOverhead, bestOverheadPercent: bestOverhead, cpuOverheadPercent: cpuOverhead, metricsAloneMs: metricsAlone, other, matMul1024Ms: matMul };
    await writeFile(jsonPath, `${JSON.stringify(body, null, 2)}\n`);
    console.log(`results written to ${jsonPath}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  },
);
