import { wasmBackend } from '@flatsparse/backend-wasm';
import { EstimatorRunner, LossEvaluator, createHvpOperator, makeBatch, registerGradients, symmetricEigen } from '@flatsparse/core';
import { type FlatnessInput } from '@flatsparse/plugin-api';
import { PluginInvalidError, collectContributions } from '@flatsparse/plugin-api/host';
import { averageSharpness, builtinPlugins, createBuiltinPlugin, hessianEigenvalues, hessianSpectrum, hessianTrace, worstCaseSharpness } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { tinySetup } from '../support/tiny-model.js';

const state = await useBackend(wasmBackend());

// The built-in estimator plugins, run as a pipeline runs them (EstimatorRunner on the fixed held-out
// batch), on a parameter subset small enough (value bias + key bias of the tiny model's block: 8 + 16)
// that its full Hessian is built here column by column from central differences of float64-accumulated
// gradients, and diagonalised in float64 (Jacobi): the reference for the trace and the eigenvalues.
const PARAMS = 'blocks\\.0\\.mlp\\.(value|key)\\.bias';

describe.skipIf(!state.available)('built-in flatness estimators (wasm)', () => {
  let model: ReturnType<typeof tinySetup>['model'];
  let dataset: ReturnType<typeof tinySetup>['dataset'];
  let reference: { trace: number; eigenvalues: number[]; valueTrace: number };

  beforeAll(async () => {
    await registerGradients();
    ({ model, dataset } = tinySetup({ modelSeed: 3 }));
    const batch = makeBatch(dataset.heldOut, Array.from({ length: 10 }, (_, i) => i));
    const input: FlatnessInput = { loss: () => tf.tidy(() => model.loss(model.forward(batch.inputs, { training: false, step: 0 }).output, batch.targets)), params: model.params, seed: 0 };
    const evaluator = new LossEvaluator(input, PARAMS);
    const op = await createHvpOperator(evaluator, { method: 'finite-difference' });
    const columns: Float64Array[] = [];
    for (let j = 0; j < op.dim; j++) {
      const e = new Float64Array(op.dim);
      e[j] = 1;
      columns.push(await op.apply(e));
    }
    const sym = columns.map((col, i) => Float64Array.from(col, (_, j) => (columns[i]![j]! + columns[j]![i]!) / 2));
    const eig = symmetricEigen(sym);
    // The value bias (the last 8 entries: map order puts key.bias first) enters after the ReLU, so the
    // loss is smooth in it and its Hessian block alone predicts the average-case sharpness (noise on
    // the key bias crosses ReLU kinks, which add curvature no local Hessian sees).
    const valueBias = evaluator.subset.names.indexOf('blocks.0.mlp.value.bias');
    const offset = evaluator.subset.sizes.slice(0, valueBias).reduce((a, b) => a + b, 0);
    let valueTrace = 0;
    for (let i = offset; i < offset + evaluator.subset.sizes[valueBias]!; i++) valueTrace += sym[i]![i]!;
    reference = { trace: sym.reduce((s, row, i) => s + row[i]!, 0), eigenvalues: [...eig.values].sort((a, b) => b - a), valueTrace };
    tf.dispose([batch.inputs, batch.targets]);
  });
  afterAll(() => model.dispose());

  async function run(plugins: ReturnType<typeof hessianTrace>[], seed = 5) {
    const contributions = collectContributions(plugins);
    const runner = new EstimatorRunner(model, dataset, contributions, contributions.estimators.names().map((name) => ({ name })), { batchSize: 10, seed });
    try {
      return await runner.run(0);
    } finally {
      runner.dispose();
    }
  }

  it('hessian-trace: Hutch++ with a sketch spanning the subset is exact; Hutchinson lies within 4 of its standard errors', async () => {
    const [pp] = await run([hessianTrace({ params: PARAMS, variant: 'hutch++', probes: 3 * 24, hvp: 'finite-difference' })]);
    expect(Math.abs(pp!.figures.trace! - reference.trace)).toBeLessThan(1e-3 * Math.abs(reference.trace) + 1e-4);
    const [h] = await run([hessianTrace({ params: PARAMS, probes: 40 })]);
    expect(h!.figures.traceStdErr).toBeGreaterThan(0);
    expect(Math.abs(h!.figures.trace! - reference.trace)).toBeLessThan(4 * h!.figures.traceStdErr! + 1e-3);
    expect(h!.randomness).toEqual({ seed: 5, probes: 40 });
    expect(h!.cost.backwardPasses).toBeGreaterThanOrEqual(2 * 40);
    expect(h!.method?.hvp).toMatch(/finite-difference|exact/);
  });

  it('hessian-eigenvalues: the 3 largest within their residuals of the reference; Lanczos and power iteration agree', async () => {
    const [lanczos] = await run([hessianEigenvalues({ params: PARAMS, k: 3 })]);
    for (let i = 0; i < 3; i++) {
      const value = lanczos!.figures[`lambda${i + 1}`]!;
      const residual = lanczos!.figures[`lambda${i + 1}Residual`]!;
      expect(Math.abs(value - reference.eigenvalues[i]!)).toBeLessThan(residual + 2e-3 * Math.abs(reference.eigenvalues[0]!));
    }
    const [power] = await run([hessianEigenvalues({ params: PARAMS, k: 1, method: 'power', maxIterations: 200 })]);
    expect(power!.figures.lambda1).toBeCloseTo(lanczos!.figures.lambda1!, 2);
  });

  it('hessian-spectrum: a density curve that integrates to 1, its trace consistent with the reference, extremes inside the spectrum', async () => {
    const [slq] = await run([hessianSpectrum({ params: PARAMS, probes: 8, steps: 24 })]);
    const { x, y } = slq!.curves!.spectralDensity!;
    let integral = 0;
    for (let i = 1; i < x.length; i++) integral += ((y[i]! + y[i - 1]!) / 2) * (x[i]! - x[i - 1]!);
    expect(integral).toBeCloseTo(1, 2);
    expect(Math.abs(slq!.figures.trace! - reference.trace)).toBeLessThan(4 * slq!.figures.traceStdErr! + 1e-3);
    const top = reference.eigenvalues[0]!;
    const bottom = reference.eigenvalues[reference.eigenvalues.length - 1]!;
    expect(slq!.figures.lambdaMax).toBeLessThanOrEqual(top + 1e-3 * Math.abs(top) + 1e-4);
    expect(slq!.figures.lambdaMin).toBeGreaterThanOrEqual(bottom - 1e-3 * Math.abs(top) - 1e-4);
  });

  it('sharpness: worst case at least the 1-step value and about rho^2 lambda_max / 2 for a small ball; average case covers sigma^2 tr(H) / 2 where the loss is smooth', async () => {
    const rho = 1e-2;
    const [one] = await run([worstCaseSharpness({ rho, steps: 1, params: PARAMS })]);
    const [ten] = await run([worstCaseSharpness({ rho, steps: 10, params: PARAMS })]);
    // More ascent steps never find less; the maximum over the ball is at least the quadratic term along
    // the top eigenvector (first-order term >= 0 at the maximiser) and at most rho ||g|| + rho^2 lambda_max / 2.
    expect(ten!.figures.worstCaseSharpness).toBeGreaterThanOrEqual(one!.figures.worstCaseSharpness! - 1e-7);
    expect(ten!.figures.ascentSteps).toBe(10);
    expect(ten!.figures.worstCaseSharpness).toBeGreaterThan(0.5 * rho * rho * reference.eigenvalues[0]! * 0.9);
    const sigma = 1e-2;
    const [avg] = await run([averageSharpness({ sigma, samples: 64, params: 'blocks\\.0\\.mlp\\.value\\.bias' })]);
    const expected = 0.5 * sigma * sigma * reference.valueTrace;
    expect(avg!.figures.averageSharpnessStdErr).toBeLessThan(0.2 * expected);
    expect(avg!.figures.averageSharpnessLo! - 2e-6).toBeLessThanOrEqual(expected);
    expect(avg!.figures.averageSharpnessHi! + 2e-6).toBeGreaterThanOrEqual(expected);
  });

  it('are in the catalog as estimator plugins whose options are validated', () => {
    for (const name of ['hessian-trace', 'hessian-eigenvalues', 'hessian-spectrum', 'worst-case-sharpness', 'average-sharpness']) expect(builtinPlugins.get(name)?.kind).toBe('estimator');
    expect(() => createBuiltinPlugin('hessian-trace', { probes: 1 }, 'estimators.0')).toThrow(PluginInvalidError);
    expect(() => hessianEigenvalues({ method: 'qr' as never })).toThrow(/method/);
    expect(() => hessianTrace({ params: '(' })).toThrow(/regular expression/);
  });

  it('gives the same figures for the same seed (common random numbers across checkpoints)', async () => {
    const a = await run([hessianTrace({ params: PARAMS, probes: 6 })], 9);
    const b = await run([hessianTrace({ params: PARAMS, probes: 6 })], 9);
    expect(a[0]!.figures).toEqual(b[0]!.figures);
  });
});
