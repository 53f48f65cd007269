import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { LossEvaluator, createGpt, createHvpOperator, createVit, type TransformerModel } from '@flatsparse/core';
import { ConfigError, Rng, type FlatnessInput } from '@flatsparse/plugin-api';
import { geluActivation } from '@flatsparse/plugins';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { randomInts, randomNormal, registerGradients, tinyGpt, tinyVit } from './models-fixtures.js';

const state = await useBackend(wasmBackend());

// Exact Hessian-vector products (double backward) through the real models on wasm: softmax attention
// (custom-gradient depthwise core), LayerNorm and dense custom gradients, logSoftmax cross-entropy.
// With GELU the loss is smooth, so central differences of float32 gradients are an accurate (~1e-4)
// independent reference; an elementwise test function has a closed-form float64 Hessian.

const relErr = (got: Float64Array, want: Float64Array) => Math.hypot(...got.map((x, i) => x - want[i]!)) / Math.hypot(...want);
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const normal = (n: number, seed: number) => Float64Array.from(new Rng(seed).fill(n, (r) => r.normal()));
/** Gradient functions tfjs has registered for the kernels the exact product overrides while it runs. */
const KERNELS = ['Exp', 'Tanh', 'Sigmoid', 'Elu', 'Softmax', 'LogSoftmax', 'Max', 'Min', 'DepthwiseConv2dNative', 'Equal', 'Greater'];
const registry = () => KERNELS.map((name) => tf.getGradient(name));

function modelInput(model: TransformerModel, inputs: tf.Tensor, targets: tf.Tensor): FlatnessInput {
  return { loss: () => tf.tidy(() => model.loss(model.forward(inputs, { training: false, step: 0 }).output, targets)), params: model.params, seed: 0 };
}

describe.skipIf(!state.available)('curvature: exact Hessian-vector products through the models (wasm)', () => {
  beforeAll(registerGradients);

  const cases = {
    vit: () => ({
      model: createVit({ ...tinyVit, initStd: 0.5 }, { activation: geluActivation(), seed: 11 }) as TransformerModel,
      inputs: randomNormal([3, 4, 4, 2], 5),
      targets: tf.tensor1d([0, 2, 1], 'int32'),
    }),
    gpt: () => ({
      model: createGpt({ ...tinyGpt, initStd: 0.5 }, { activation: geluActivation(), seed: 12 }) as TransformerModel,
      inputs: randomInts([2, 5], 6, tinyGpt.vocab),
      targets: randomInts([2, 5], 7, tinyGpt.vocab),
    }),
  };

  for (const [kind, make] of Object.entries(cases)) {
    describe(kind, () => {
      let model: TransformerModel, inputs: tf.Tensor, targets: tf.Tensor;
      beforeAll(() => {
        ({ model, inputs, targets } = make());
      });
      afterAll(() => {
        model.dispose();
        tf.dispose([inputs, targets]);
      });

      it("exact equals finite differences on every parameter, and 'auto' picks exact", async () => {
        const evaluator = new LossEvaluator(modelInput(model, inputs, targets));
        const fd = await createHvpOperator(evaluator, { method: 'finite-difference' });
        const exact = await createHvpOperator(evaluator, { method: 'exact' });
        const [u, v] = [normal(evaluator.subset.dim, 1), normal(evaluator.subset.dim, 2)];
        const before = registry();
        const grad = (await evaluator.gradient()).grad;
        const tensors = tf.memory().numTensors;
        const [hu, hv] = [await exact.apply(u), await exact.apply(v)];
        expect(tf.memory().numTensors).toBe(tensors);
        // Training's gradients are untouched: same registry, same engine, bit-identical gradient.
        expect(registry()).toEqual(before);
        expect(Object.prototype.hasOwnProperty.call(tf.engine(), 'runKernelFunc')).toBe(false);
        expect((await evaluator.gradient()).grad).toEqual(grad);
        expect(relErr(hu, await fd.apply(u))).toBeLessThan(1e-3);
        expect(relErr(hv, await fd.apply(v))).toBeLessThan(1e-3);
        // Symmetry of the Hessian: u^T H v = v^T H u.
        expect(Math.abs(dot(u, hv) - dot(v, hu))).toBeLessThan(1e-4 * Math.hypot(...hu) * Math.hypot(...v));
        const auto = await createHvpOperator(evaluator);
        expect(auto.method).toBe('exact');
        expect(auto.verification!.relativeDifference).toBeLessThan(1e-3);
      });
    });
  }

  it('tanh, sigmoid, elu, max, log-softmax and softmax against the closed-form float64 Hessian', async () => {
    const n = 6;
    const w0 = normal(n, 4);
    const w = tf.variable(tf.tensor1d(Float32Array.from(w0)), true, 'w');
    // f(w) = sum tanh(w) + sum w sigmoid(w) + sum elu(w) + max(w)^2 - logSoftmax(w)[0] + sum softmax(w) c
    const c = [0.3, -1.2, 0.7, 2, -0.4, 1.1];
    const cs = tf.tensor1d(c);
    const loss = () => tf.tidy(() => tf.addN([tf.sum(tf.tanh(w)), tf.sum(tf.mul(w, tf.sigmoid(w))), tf.sum(tf.elu(w)), tf.square(tf.max(w)), tf.neg(tf.sum(tf.slice(tf.logSoftmax(w), [0], [1]))), tf.sum(tf.mul(tf.softmax(w), cs))]) as tf.Scalar);
    const evaluator = new LossEvaluator({ loss, params: new Map([['w', w]]), seed: 0 });
    const exact = await createHvpOperator(evaluator, { method: 'exact' });
    const m = Math.max(...w0);
    const e = w0.map((x) => Math.exp(x - m));
    const p = e.map((x) => x / e.reduce((s, y) => s + y, 0));
    const cBar = p.reduce((s, pi, i) => s + pi * c[i]!, 0);
    const hessian = (i: number, j: number): number => {
      const t = Math.tanh(w0[i]!);
      const s = 1 / (1 + Math.exp(-w0[i]!));
      const ds = s * (1 - s);
      const diag = i === j ? -2 * t * (1 - t * t) + 2 * ds + w0[i]! * ds * (1 - 2 * s) + (w0[i]! > 0 ? 0 : Math.exp(w0[i]!)) + (w0[i] === m ? 2 : 0) : 0;
      const logSumExp = (i === j ? p[i]! : 0) - p[i]! * p[j]!;
      // Hessian of sum_k c_k softmax_k: p_i (c_i - cBar) delta_ij - p_i p_j (c_i + c_j - 2 cBar).
      const soft = (i === j ? p[i]! * (c[i]! - cBar) : 0) - p[i]! * p[j]! * (c[i]! - cBar) - p[i]! * p[j]! * (c[j]! - cBar);
      return diag + logSumExp + soft;
    };
    for (const seed of [5, 6]) {
      const v = normal(n, seed);
      const want = Float64Array.from({ length: n }, (_, i) => v.reduce((s, vj, j) => s + hessian(i, j) * vj, 0));
      expect(relErr(await exact.apply(v), want)).toBeLessThan(1e-5);
    }
    tf.dispose([w, cs]);
  });

  it('restores the gradient registry when the loss throws, and reports it as a ConfigError', async () => {
    const w = tf.variable(tf.tensor1d([0.5, -0.25]), true, 'w2');
    const before = registry();
    const loss = () => tf.tidy(() => {
      tf.sum(tf.exp(w));
      throw new Error('loss failed');
    });
    const exact = await createHvpOperator(new LossEvaluator({ loss, params: new Map([['w', w]]), seed: 0 }), { method: 'exact' });
    await expect(exact.apply(Float64Array.from([1, 0]))).rejects.toThrow(ConfigError);
    expect(registry()).toEqual(before);
    expect(Object.prototype.hasOwnProperty.call(tf.engine(), 'runKernelFunc')).toBe(false);
    w.dispose();
  });

  it("a loss with kinks (finite differences disagree with themselves): 'auto' keeps the symmetric exact product, the Hessian almost everywhere", async () => {
    // L(w) = sum_i relu(a_i . w) + 0.5 w^T A w over 20,000 fixed a_i: piecewise linear plus a quadratic,
    // so the Hessian is A wherever it exists, while a finite difference across a kink sees a jump.
    const rng = new Rng(17);
    const n = 4;
    const a = tf.tensor2d(rng.fill(20_000 * n, (r) => r.normal()), [20_000, n]);
    const A = [
      [3, 1, 0, 0.5],
      [1, 2, 0.5, 0],
      [0, 0.5, 1.5, 0.2],
      [0.5, 0, 0.2, 1],
    ];
    const At = tf.tensor2d(A);
    const w = tf.variable(tf.tensor1d([0.3, -0.2, 0.5, 0.1]), true, 'kinks.w');
    const loss = () =>
      tf.tidy(() => tf.add(tf.sum(tf.relu(tf.matMul(a, tf.reshape(w, [n, 1])))), tf.mul(0.5, tf.sum(tf.mul(w, tf.reshape(tf.matMul(At, tf.reshape(w, [n, 1])), [n]))))) as tf.Scalar);
    const count = tf.memory().numTensors;
    const op = await createHvpOperator(new LossEvaluator({ loss, params: new Map([['w', w]]), seed: 4 }));
    expect(op.method).toBe('exact');
    expect(op.reason).toMatch(/finite differences disagree across step sizes .* exact double backward is symmetric/);
    const fd = await createHvpOperator(new LossEvaluator({ loss, params: new Map([['w', w]]), seed: 4 }), { method: 'finite-difference' });
    const v = Float64Array.from([1, -1, 0.5, 2]);
    const want = Float64Array.from(A, (row) => row.reduce((sum, x, j) => sum + x * v[j]!, 0));
    expect(relErr(await op.apply(v), want)).toBeLessThan(1e-5);
    // The finite differences are far off: what 'auto' avoided.
    expect(relErr(await fd.apply(v), want)).toBeGreaterThan(1e-2);
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([a, At, w]);
  });
});
