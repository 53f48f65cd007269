import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import {
  createVit,
  registerGradients,
  LossEvaluator,
  createHvpOperator,
  curvatureEstimate,
  estimateTrace,
  spectralDensity,
  symmetricEigen,
  topEigenvalues,
  type CurvatureOperator,
} from '@flatsparse/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { mlpProblem, quadraticProblem, symmetricMatrix, type MlpVariant } from './curvature-fixtures.js';
import { randomInts, randomNormal, softplus, tinyVit } from './models-fixtures.js';

const state = await useBackend(wasmBackend());

const trace = (a: readonly Float64Array[]) => a.reduce((s, row, i) => s + row[i]!, 0);
const descending = (a: readonly Float64Array[]) => [...symmetricEigen(a).values].reverse();
const spectralNorm = (a: readonly Float64Array[]) => Math.max(...symmetricEigen(a).values.map(Math.abs));

/**
 * Checks every estimator on `op` against the float64 Hessian `h`, each within its own error bar: trace
 * within 4 standard errors (Hutchinson, Hutch++, SLQ); each of the top eigenvalues within its residual
 * plus `slack` (the error of the operator itself: float32 products, finite differences) times ||H||.
 */
async function checkEstimators(op: CurvatureOperator, h: Float64Array[], slack: number, seed: number): Promise<void> {
  const exactTrace = trace(h);
  const exactTop = descending(h);
  const scale = spectralNorm(h);
  const hutchinson = await estimateTrace(op, { seed, probes: 40 });
  expect(Math.abs(hutchinson.trace - exactTrace)).toBeLessThan(4 * hutchinson.stdErr + slack * scale);
  const plusPlus = await estimateTrace(op, { seed, probes: 30, variant: 'hutch++' });
  expect(Math.abs(plusPlus.trace - exactTrace)).toBeLessThan(4 * plusPlus.stdErr + slack * scale * op.dim);
  const lanczos = await topEigenvalues(op, { seed, k: 3, steps: 25 });
  lanczos.values.forEach((value, i) => expect(Math.abs(value - exactTop[i]!)).toBeLessThanOrEqual(lanczos.residuals[i]! + slack * scale));
  const slq = await spectralDensity(op, { seed, probes: 4, steps: 20 });
  expect(Math.abs(slq.figures.trace! - exactTrace)).toBeLessThan(4 * slq.figures.traceStdErr! + slack * scale);
  expect(Math.abs(slq.figures.lambdaMax! - exactTop[0]!)).toBeLessThan(1e-3 * scale);
  const { x, y } = slq.density;
  const integral = y.reduce((s, v, i) => (i === 0 ? s : s + ((v + y[i - 1]!) / 2) * (x[i]! - x[i - 1]!)), 0);
  expect(Math.abs(integral - 1)).toBeLessThan(1e-3);
}

describe.skipIf(!state.available)('curvature estimators on tfjs Hessian-vector products against float64 references', () => {
  beforeAll(registerGradients);

  it('quadratic losses (SPD with exact products, indefinite with finite differences)', async () => {
    const spd = symmetricMatrix([20, 12, 8, ...Array.from({ length: 21 }, (_, i) => 0.1 + (i % 7) * 0.4)], 11);
    const indefinite = symmetricMatrix([9, 6, 4, 2, 1, 0.5, -0.5, -1, -3, -5, 0.2, -0.2], 12);
    for (const [a, method] of [[spd, 'exact'], [indefinite, 'finite-difference']] as const) {
      const q = quadraticProblem(a, 13);
      const count = tf.memory().numTensors;
      const op = await createHvpOperator(new LossEvaluator(q.input, /^layer/), { method });
      await checkEstimators(op, a, method === 'exact' ? 1e-5 : 1e-4, 2);
      expect(tf.memory().numTensors).toBe(count);
      q.dispose();
    }
  });

  it.each<[MlpVariant, string]>([
    [{ activation: 'tanh', loss: 'cross-entropy' }, 'exact'],
    [{ activation: 'softplus', loss: 'squared' }, 'exact'],
  ])('tiny MLP %o: trace, top eigenvalues and density agree with the full float64 Hessian (%s products)', async (variant, method) => {
    const p = mlpProblem(3, variant);
    const op = await createHvpOperator(new LossEvaluator(p.input));
    expect(op.method).toBe(method);
    await checkEstimators(op, p.hessian, 2e-4, 4);
    p.dispose();
  });

  it('power iteration with deflation on the tiny MLP: the top eigenvalue by magnitude within its residual', async () => {
    const p = mlpProblem(3, { activation: 'tanh', loss: 'cross-entropy' });
    const op = await createHvpOperator(new LossEvaluator(p.input), { method: 'finite-difference' });
    const result = await topEigenvalues(op, { seed: 1, k: 2, method: 'power', tolerance: 1e-6, maxIterations: 200 });
    const exact = [...symmetricEigen(p.hessian).values].sort((a, b) => Math.abs(b) - Math.abs(a));
    const scale = Math.abs(exact[0]!);
    result.values.forEach((value, i) => expect(Math.abs(value - exact[i]!)).toBeLessThanOrEqual(result.residuals[i]! + 2e-4 * scale));
    p.dispose();
  });

  it('builds a FlatnessEstimate with the cost of every pass, reproducible with the same seed', async () => {
    const p = mlpProblem(4, { activation: 'tanh', loss: 'cross-entropy' });
    const run = async (seed: number) => {
      const started = performance.now();
      const op = await createHvpOperator(new LossEvaluator({ ...p.input, seed }));
      const result = await estimateTrace(op, { seed, probes: 10 });
      return curvatureEstimate(op, started, result);
    };
    const estimate = await run(21);
    expect(estimate.method).toEqual({ hvp: 'exact', reason: expect.stringMatching(/agrees with finite differences/) });
    // 'auto' check: one product of each kind (2 + 1 forward, 2 + 2 backward); then 10 exact products (1 forward + 2 backward each).
    expect(estimate.cost).toMatchObject({ forwardPasses: 3 + 10, backwardPasses: 4 + 20 });
    expect(estimate.randomness).toEqual({ seed: 21, probes: 10 });
    expect(Object.keys(estimate.figures)).toEqual(['trace', 'traceStdErr']);
    expect((await run(21)).figures).toEqual(estimate.figures);
    expect((await run(22)).figures.trace).not.toBe(estimate.figures.trace);
    p.dispose();
  });

  it('tiny ViT on wasm: verified exact double backward is used; Lanczos and power iteration agree', async () => {
    const model = createVit(tinyVit, { activation: softplus, seed: 2 });
    const images = randomNormal([4, 4, 4, 2], 1);
    const labels = randomInts([4], 2, tinyVit.classes);
    const input = { loss: () => tf.tidy(() => model.loss(model.forward(images, { training: false, step: 0 }).output, labels)), params: model.params, seed: 5 };
    const before = [...model.params.values()].map((v) => [...v.dataSync()]);
    const count = tf.memory().numTensors;
    // The loss is convex in the head's weights, so the largest eigenvalue is also the largest in magnitude.
    const op = await createHvpOperator(new LossEvaluator(input, '^head\\.'));
    expect(op.method).toBe('exact');
    expect(op.reason).toMatch(/agrees with finite differences/);
    const lanczos = await topEigenvalues(op, { seed: 1, steps: 12 });
    const power = await topEigenvalues(op, { seed: 1, method: 'power', tolerance: 1e-6 });
    expect(lanczos.values[0]!).toBeGreaterThan(0);
    expect(Math.abs(lanczos.values[0]! - power.values[0]!)).toBeLessThanOrEqual(lanczos.residuals[0]! + power.residuals[0]! + 1e-4 * lanczos.values[0]!);
    expect([...model.params.values()].map((v) => [...v.dataSync()])).toEqual(before);
    expect(tf.memory().numTensors).toBe(count);
    model.dispose();
    images.dispose();
    labels.dispose();
  });
});
