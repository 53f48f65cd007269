import { wasmBackend } from '@flatsparse/backend-wasm';
import { webgpuBackend, webgpuStatus } from '@flatsparse/backend-webgpu';
import { EstimatorRunner, createVit, registerGradients, type FlatnessRecord } from '@flatsparse/core';
import { countTensors, type Backend } from '@flatsparse/plugin-api';
import { collectContributions, safeAvailability } from '@flatsparse/plugin-api/host';
import { syntheticImageDataset } from '@flatsparse/data';
import { averageSharpness, geluActivation, hessianEigenvalues, hessianSpectrum, hessianTrace, worstCaseSharpness } from '@flatsparse/plugins';
import { beforeAll, describe, expect, it } from 'vitest';

// Every built-in estimator plugin, run as a pipeline runs it (EstimatorRunner on the fixed held-out
// batch, seed 11), on the same tiny ViT (fixed seed; softmax attention and GELU) on wasm, then on WebGPU, in one process (each backend
// initialised, used and disposed in turn). Both sides compute in float32 and differ only in rounding
// (order of reductions, erf/exp, and the attention core: depthwise convolutions on wasm, batched
// matMuls elsewhere). The seeds, probes and every host-side step (float64 Lanczos, eigensolvers,
// means) are the same, so the figures differ only through the products and losses. The Hessian
// estimators cover block 0's attention and MLP (dim 500, softmax in the path), the sharpness ones
// every parameter. Tolerances:
//
// - Hessian figures. A finite-difference product is (g(w + hu) - g(w - hu)) ||v|| / (2h): the
//   backends' gradient rounding is amplified by 1/h (the O(h^2) truncation error is the same on both,
//   so it cancels in the comparison). hvp.ts documents each product as within ~1e-4 of the float64
//   Hessian; we require the two backends to agree to that, ||Hv_webgpu - Hv_wasm|| <= EPS ||H|| ||v||
//   with EPS = 1e-4 and ||H|| taken as max(lambdaMax, -lambdaMin) on wasm (not the 2 EPS the triangle
//   inequality would allow). Eigenvalues and residuals (Ritz values of the same Krylov start vector)
//   then move by at most about EPS ||H||; a trace is a mean of v'Hv over Rademacher probes
//   (||v|| = sqrt(dim)) whose rounding differences are not aligned with v, so it moves by about
//   EPS ||H|| sqrt(dim), as does its standard error. On SwiftShader the differences seen are 1/10 to
//   1/100 of these (lambda1: 5e-5 of 8.9e-4; Hutchinson trace: 2e-4 of 2e-2, itself 0.4% of the trace).
//   The spectral density's grid moves with its extreme nodes (<= 2 EPS ||H||), its ordinates by at most
//   max(y) x (node shift / kernel width), the width being 1% of the node range.
// - Loss figures. One float32 loss (16-example mean cross-entropy) differs by at most
//   delta = LOSS_RTOL |L| with LOSS_RTOL = 1e-5 (1.5e-7 relative seen); a sharpness is a difference
//   of two losses (2 delta; the ascent direction's own rounding adds rho ||g|| x 1e-6, far below),
//   the standard error of means of such differences moves by <= 2 delta, an end of the 95% interval
//   by <= 2 delta (1 + t) with t = 2.571 for 6 draws: 8 delta.
// Every headline figure is checked to be at least 10 times its tolerance away from 0, so agreement
// is not that of two near-zero numbers. Cost (passes), randomness and the HVP method must be equal:
// hessianTrace uses hvp 'auto', which verifies exact double backward (run through the second-order-safe
// gradients of curvature/second-order.ts) against finite differences and picks it on both backends, so
// its products are exact ones (within the same EPS); the other two ask for finite differences, which
// are cheaper on SwiftShader and exercise the other path.
const EPS = 1e-4;
const LOSS_RTOL = 1e-5;
const HESSIAN_PARAMS = '^blocks\\.0\\.(attn|mlp)\\.';
const SEED = 11;
const VIT = { imageSize: [4, 4] as [number, number], channels: 2, patch: 2, d: 8, depth: 1, heads: 2, mlpWidth: 12, classes: 3, init: 'normal' as const, initStd: 0.5 };

interface Outcome {
  readonly backend: string;
  readonly records: ReadonlyMap<string, FlatnessRecord>;
  /** Parameters in HESSIAN_PARAMS. */
  readonly dim: number;
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  /** Bytes of GPU buffers in use after the run, before the backend is disposed (0 off WebGPU). */
  readonly gpuBytesAfter: number;
  readonly ms: number;
}

/** Initialises `backend`, runs every estimator once on a fresh model, releases everything and disposes the backend. */
async function estimateOn(backend: Backend): Promise<Outcome> {
  const info = await backend.init();
  try {
    await registerGradients();
    const tensorsBefore = countTensors();
    const started = performance.now();
    const model = createVit(VIT, { activation: geluActivation(), seed: 5 });
    const dataset = syntheticImageDataset({ classes: 3, imageSize: 4, channels: 2, trainSize: 4, heldOutSize: 16, seed: 6 });
    const pattern = new RegExp(HESSIAN_PARAMS);
    const dim = [...model.params].filter(([name]) => pattern.test(name)).reduce((n, [, v]) => n + v.size, 0);
    const contributions = collectContributions([
      hessianTrace({ params: HESSIAN_PARAMS, probes: 5 }),
      hessianEigenvalues({ params: HESSIAN_PARAMS, k: 2, steps: 6, hvp: 'finite-difference' }),
      hessianSpectrum({ params: HESSIAN_PARAMS, probes: 2, steps: 5, gridSize: 64, hvp: 'finite-difference' }),
      worstCaseSharpness({ rho: 0.05, steps: 2 }),
      averageSharpness({ sigma: 0.05, samples: 6 }),
    ]);
    const runner = new EstimatorRunner(model, dataset, contributions, contributions.estimators.names().map((name) => ({ name })), { batchSize: 16, seed: SEED });
    let records: FlatnessRecord[];
    try {
      records = await runner.run(0);
    } finally {
      runner.dispose();
      model.dispose();
    }
    const ms = performance.now() - started;
    console.info(`[cross-backend] estimators on ${info.tfjsName}: ${(ms / 1000).toFixed(1)} s (${records.map((r) => `${r.estimator} ${(r.cost.wallMs / 1000).toFixed(1)} s`).join(', ')})`);
    return { backend: info.tfjsName, records: new Map(records.map((r) => [r.estimator, r])), dim, tensorsBefore, tensorsAfter: countTensors(), gpuBytesAfter: webgpuStatus().numBytesInGPU, ms };
  } finally {
    await backend.dispose();
  }
}

const webgpu = webgpuBackend({ allowSoftware: true });
const availability = await safeAvailability(webgpu);
if (!availability.available) console.warn(`[skip] backend 'webgpu' is not available: ${availability.reason} Fix: ${availability.fix}`);

describe.skipIf(!availability.available)('built-in flatness estimators give the same figures on webgpu as on wasm', () => {
  let reference: Outcome;
  let onWebgpu: Outcome;
  /** ||H|| over the Hessian subset, from the wasm spectrum. */
  let hessianNorm = 0;

  beforeAll(async () => {
    reference = await estimateOn(wasmBackend());
    onWebgpu = await estimateOn(webgpu);
    const spectrum = reference.records.get('hessian-spectrum')!.figures;
    hessianNorm = Math.max(spectrum.lambdaMax!, -spectrum.lambdaMin!);
  }, 240_000);

  /** Checks every figure of `estimator` against its tolerance; `headline` figures must also be far from 0. */
  function compareFigures(estimator: string, tolerances: Readonly<Record<string, number>>, headline: readonly string[]): void {
    const want = reference.records.get(estimator)!.figures;
    const got = onWebgpu.records.get(estimator)!.figures;
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(Object.keys(tolerances).sort()).toEqual(Object.keys(want).sort());
    const failures: string[] = [];
    const report: string[] = [];
    for (const [figure, tolerance] of Object.entries(tolerances)) {
      const difference = Math.abs(got[figure]! - want[figure]!);
      report.push(`${figure} ${difference.toExponential(1)}/${tolerance.toExponential(1)}`);
      if (!(difference <= tolerance)) failures.push(`${figure}: webgpu ${got[figure]} vs wasm ${want[figure]}: |difference| ${difference.toExponential(2)} > ${tolerance.toExponential(2)}`);
      if (headline.includes(figure) && !(Math.abs(want[figure]!) >= 10 * tolerance)) failures.push(`${figure}: wasm ${want[figure]} is within 10 tolerances (${tolerance.toExponential(2)}) of 0: the comparison says nothing`);
    }
    console.info(`[cross-backend] ${estimator}: |webgpu - wasm| / tolerance: ${report.join(', ')}`);
    expect(failures).toEqual([]);
  }

  it('ran on each backend, every estimator, and released every tensor and GPU buffer after each run', () => {
    expect([reference.backend, onWebgpu.backend]).toEqual(['wasm', 'webgpu']);
    const names = ['average-sharpness', 'hessian-eigenvalues', 'hessian-spectrum', 'hessian-trace', 'worst-case-sharpness'];
    expect([...reference.records.keys()].sort()).toEqual(names);
    expect([...onWebgpu.records.keys()].sort()).toEqual(names);
    expect(reference.tensorsAfter).toBe(reference.tensorsBefore);
    expect(onWebgpu.tensorsAfter).toBe(onWebgpu.tensorsBefore);
    expect(onWebgpu.gpuBytesAfter).toBe(0);
    expect(webgpuStatus().active).toBe(false);
  });

  it('chooses the same Hessian-vector products (auto: verified exact double backward) and reports the same randomness and passes', () => {
    for (const [name, want] of reference.records) {
      const got = onWebgpu.records.get(name)!;
      expect(got.method?.hvp, name).toBe(want.method?.hvp);
      expect(got.randomness, name).toEqual(want.randomness);
      expect([got.cost.forwardPasses, got.cost.backwardPasses], name).toEqual([want.cost.forwardPasses, want.cost.backwardPasses]);
      expect(got.batch, name).toEqual(want.batch);
    }
    // 'auto' (hessianTrace) verifies the exact product through the second-order-safe gradients on both
    // backends; the other two ask for finite differences (cheaper on SwiftShader, and they exercise the
    // other path).
    const expected: Record<string, string> = { 'hessian-trace': 'exact', 'hessian-eigenvalues': 'finite-difference', 'hessian-spectrum': 'finite-difference' };
    for (const name of ['hessian-trace', 'hessian-eigenvalues', 'hessian-spectrum']) {
      expect(reference.records.get(name)!.method!.hvp, name).toBe(expected[name]);
      console.info(`[cross-backend] ${name} HVPs: wasm: ${reference.records.get(name)!.method!.reason}; webgpu: ${onWebgpu.records.get(name)!.method!.reason}`);
    }
    expect(onWebgpu.records.get('hessian-trace')!.randomness).toEqual({ seed: SEED, probes: 5 });
    expect(onWebgpu.records.get('average-sharpness')!.randomness).toEqual({ seed: SEED, probes: 6 });
  });

  it(`hessianTrace: trace and standard error within ${EPS} ||H|| sqrt(dim)`, () => {
    const traceTol = EPS * hessianNorm * Math.sqrt(reference.dim);
    compareFigures('hessian-trace', { trace: traceTol, traceStdErr: traceTol }, ['trace', 'traceStdErr']);
  });

  it(`hessianEigenvalues: the 2 largest eigenvalues and their residuals within ${EPS} ||H||`, () => {
    const tol = EPS * hessianNorm;
    compareFigures('hessian-eigenvalues', { lambda1: tol, lambda1Residual: tol, lambda2: tol, lambda2Residual: tol }, ['lambda1', 'lambda2']);
  });

  it('hessian-spectrum: trace, extreme eigenvalues and the density curve', () => {
    const traceTol = EPS * hessianNorm * Math.sqrt(reference.dim);
    const tol = EPS * hessianNorm;
    compareFigures('hessian-spectrum', { trace: traceTol, traceStdErr: traceTol, lambdaMax: tol, lambdaMin: tol }, ['trace', 'traceStdErr', 'lambdaMax', 'lambdaMin']);
    const want = reference.records.get('hessian-spectrum')!;
    const got = onWebgpu.records.get('hessian-spectrum')!.curves!.spectralDensity!;
    const { x, y } = want.curves!.spectralDensity!;
    expect(got.x).toHaveLength(x.length);
    const kernelWidth = 0.01 * (want.figures.lambdaMax! - want.figures.lambdaMin!);
    const yMax = Math.max(...y);
    const yTol = (yMax * 2 * tol) / kernelWidth;
    const dx = Math.max(...x.map((v, i) => Math.abs(got.x[i]! - v)));
    const dy = Math.max(...y.map((v, i) => Math.abs(got.y[i]! - v)));
    console.info(`[cross-backend] spectralDensity: max |dx| ${dx.toExponential(1)}/${(2 * tol).toExponential(1)}, max |dy| ${dy.toExponential(1)}/${yTol.toExponential(1)} (max y ${yMax.toFixed(3)})`);
    expect(dx).toBeLessThanOrEqual(2 * tol);
    expect(dy).toBeLessThanOrEqual(yTol);
    expect(yTol).toBeLessThan(0.1 * yMax);
  });

  it(`worstCaseSharpness: losses within ${LOSS_RTOL} relative, the sharpness within twice that, the same ascent`, () => {
    const f = reference.records.get('worst-case-sharpness')!.figures;
    const delta = LOSS_RTOL * f.loss!;
    compareFigures('worst-case-sharpness', { worstCaseSharpness: 2 * delta, lossAtMax: LOSS_RTOL * f.lossAtMax!, loss: delta, ascentSteps: 0 }, ['worstCaseSharpness', 'loss']);
    expect(f.ascentSteps).toBe(2);
  });

  it(`averageSharpness: mean and standard error within 2 x ${LOSS_RTOL} L, the interval's ends within 8 x`, () => {
    const f = reference.records.get('average-sharpness')!.figures;
    const delta = LOSS_RTOL * f.loss!;
    compareFigures(
      'average-sharpness',
      { averageSharpness: 2 * delta, averageSharpnessStdErr: 2 * delta, averageSharpnessLo: 8 * delta, averageSharpnessHi: 8 * delta, loss: delta },
      ['averageSharpness', 'averageSharpnessStdErr', 'loss'],
    );
  });
});
