import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import {
  registerGradients,
  LossEvaluator,
  createHvpOperator,
  readParams,
  selectParams,
  setParams,
  snapshotParams,
  splitVector,
} from '@flatsparse/core';
import { ConfigError, Rng } from '@flatsparse/plugin-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { MLP_DIM, matVec, mlpData, mlpLossAndGrad, mlpProblem, quadraticProblem, symmetricMatrix } from './curvature-fixtures.js';

const state = await useBackend(wasmBackend());

const relErr = (got: Float64Array, want: Float64Array) => Math.hypot(...got.map((x, i) => x - want[i]!)) / Math.hypot(...want);
/** Every value of the given variables as raw float32 bits, to check bit-exact restoration. */
const bits = (params: ReadonlyMap<string, tf.Variable>) => [...params.values()].map((v) => [...new Uint32Array(Float32Array.from(v.dataSync()).buffer)]);
const probe = (n: number, seed: number) => Float64Array.from(new Rng(seed).fill(n));

describe.skipIf(!state.available)('curvature: parameter subsets and vectors', () => {
  beforeAll(registerGradients);

  it('selects trainable parameters by name pattern (string, RegExp, function), in map order', () => {
    const q = quadraticProblem(symmetricMatrix([1, 2, 3, 4, 5, 6, 7, 8], 1), 1);
    const { params } = q.input;
    expect(selectParams(params).names).toEqual(['layer.weight', 'layer.bias', 'other.weight']);
    const layer = selectParams(params, '^layer\\.');
    expect(layer.names).toEqual(['layer.weight', 'layer.bias']);
    expect(layer.sizes).toEqual([4, 4]);
    expect(layer.dim).toBe(8);
    const global = /weight$/g;
    expect(selectParams(params, global).names).toEqual(['layer.weight', 'other.weight']);
    expect(selectParams(params, global).names).toEqual(['layer.weight', 'other.weight']);
    expect(selectParams(params, (name) => name.startsWith('other')).names).toEqual(['other.weight']);
    // 'frozen' is not trainable: never selected.
    expect(() => selectParams(params, 'frozen')).toThrow(ConfigError);
    expect(() => selectParams(params, 'mlp\\.key')).toThrow(/mlp\\\.key.*layer\.weight, layer\.bias, other\.weight, frozen/);
    expect(() => selectParams(params, '(')).toThrow(/not a valid regular expression/);
    q.dispose();
  });

  it('reads, snapshots, moves and restores parameters bit-exactly', async () => {
    const q = quadraticProblem(symmetricMatrix([1, 2, 3, 4, 5, 6, 7, 8], 1), 2);
    const subset = selectParams(q.input.params, /^layer/);
    const before = bits(q.input.params);
    const w = await readParams(subset);
    expect([...w.subarray(0, 4)]).toEqual([...q.input.params.get('layer.weight')!.dataSync()]);
    expect([...w.subarray(4)]).toEqual([...q.input.params.get('layer.bias')!.dataSync()]);
    const count = tf.memory().numTensors;
    const snapshot = snapshotParams(subset);
    const direction = probe(8, 3);
    setParams(subset, snapshot, direction, 0.37);
    const moved = await readParams(subset);
    moved.forEach((x, i) => expect(x).toBe(Math.fround(w[i]! + Math.fround(0.37 * Math.fround(direction[i]!)))));
    const parts = splitVector(subset, direction);
    expect(parts.map((t) => t.shape)).toEqual([[2, 2], [4]]);
    setParams(subset, snapshot, parts, -1);
    parts.forEach((t) => t.dispose());
    expect(bits(q.input.params)).not.toEqual(before);
    snapshot.restore();
    expect(bits(q.input.params)).toEqual(before);
    snapshot.restore();
    snapshot.dispose();
    expect(tf.memory().numTensors).toBe(count);
    expect(() => splitVector(subset, new Float64Array(7))).toThrow(/7 entries.*8/);
    q.dispose();
  });

  it('LossEvaluator: loss and gradient against the float64 reference, counting passes', async () => {
    const variant = { activation: 'tanh', loss: 'cross-entropy' } as const;
    const p = mlpProblem(5, variant);
    const { x, labels, w } = mlpData(5);
    const reference = mlpLossAndGrad(w, x, labels, variant);
    const evaluator = new LossEvaluator(p.input);
    expect(evaluator.subset.dim).toBe(MLP_DIM);
    expect(Math.abs((await evaluator.value()) - reference.loss)).toBeLessThan(1e-6);
    const { loss, grad } = await evaluator.gradient();
    expect(Math.abs(loss - reference.loss)).toBeLessThan(1e-6);
    expect(Math.max(...grad.map((g, i) => Math.abs(g - reference.grad[i]!)))).toBeLessThan(1e-6);
    expect(evaluator.counts).toEqual({ forward: 2, backward: 1 });
    // A filter given to the evaluator overrides the input's.
    const filtered = new LossEvaluator({ ...p.input, filter: (name) => name.startsWith('l1') }, 'l2\\.bias');
    expect(filtered.subset.names).toEqual(['l2.bias']);
    expect(new LossEvaluator({ ...p.input, filter: (name) => name.startsWith('l1') }).subset.names).toEqual(['l1.weight', 'l1.bias']);
    const cost = evaluator.cost(performance.now() - 5);
    expect(cost).toMatchObject({ forwardPasses: 2, backwardPasses: 1 });
    expect(cost.wallMs).toBeGreaterThanOrEqual(5);
    p.dispose();
  });
});

describe.skipIf(!state.available)('curvature: Hessian-vector products', () => {
  beforeAll(registerGradients);

  it('quadratic loss: finite-difference and exact products equal A v; parameters bit-exact; no leaks; passes counted', async () => {
    const a = symmetricMatrix([5, 3, 2, 1, 0.5, -1, -2, 0.1], 3);
    const q = quadraticProblem(a, 4);
    const before = bits(q.input.params);
    const count = tf.memory().numTensors;
    const fdEvaluator = new LossEvaluator(q.input, /^layer/);
    const fd = await createHvpOperator(fdEvaluator, { method: 'finite-difference' });
    const exactEvaluator = new LossEvaluator(q.input, /^layer/);
    const exact = await createHvpOperator(exactEvaluator, { method: 'exact' });
    expect([fd.method, exact.method, fd.dim]).toEqual(['finite-difference', 'exact', 8]);
    for (const seed of [1, 2]) {
      const v = probe(8, seed);
      const want = matVec(a, v);
      expect(relErr(await fd.apply(v), want)).toBeLessThan(2e-4);
      expect(relErr(await exact.apply(v), want)).toBeLessThan(1e-6);
      // Linear in v, scale included.
      expect(relErr(await exact.apply(v.map((x) => 1e3 * x)), want.map((x) => 1e3 * x))).toBeLessThan(1e-6);
    }
    expect(await fd.apply(new Float64Array(8))).toEqual(new Float64Array(8));
    expect(fdEvaluator.counts).toEqual({ forward: 4, backward: 4 });
    expect(exactEvaluator.counts).toEqual({ forward: 4, backward: 8 });
    expect(bits(q.input.params)).toEqual(before);
    expect(tf.memory().numTensors).toBe(count);
    q.dispose();
  });

  it("'auto' picks exact where it runs and agrees, and reports the check", async () => {
    const a = symmetricMatrix([4, -3, 2, 1, 0.5, 0.25, -2, 1.5], 5);
    const q = quadraticProblem(a, 6);
    const count = tf.memory().numTensors;
    const evaluator = new LossEvaluator(q.input, /^layer/);
    const op = await createHvpOperator(evaluator);
    expect(op.method).toBe('exact');
    expect(op.reason).toMatch(/agrees with finite differences/);
    expect(op.verification!.relativeDifference).toBeLessThan(1e-3);
    expect(op.verification!.tolerance).toBe(1e-2);
    // The check costs one product of each kind: 2 + 1 forward, 2 + 2 backward.
    expect(evaluator.counts).toEqual({ forward: 3, backward: 4 });
    expect(tf.memory().numTensors).toBe(count);
    q.dispose();
  });

  it('tiny MLP (softplus, squared loss): exact and finite-difference products agree with the float64 Hessian and each other', async () => {
    const p = mlpProblem(1, { activation: 'softplus', loss: 'squared' });
    const before = bits(p.input.params);
    const count = tf.memory().numTensors;
    const exact = await createHvpOperator(new LossEvaluator(p.input));
    expect(exact.method).toBe('exact');
    const fd = await createHvpOperator(new LossEvaluator(p.input), { method: 'finite-difference' });
    for (const seed of [3, 4]) {
      const v = probe(MLP_DIM, seed);
      const want = matVec(p.hessian, v);
      const [e, f] = [await exact.apply(v), await fd.apply(v)];
      expect(relErr(e, want)).toBeLessThan(1e-5);
      expect(relErr(f, want)).toBeLessThan(5e-4);
      expect(relErr(f, e)).toBeLessThan(5e-4);
    }
    expect(bits(p.input.params)).toEqual(before);
    expect(tf.memory().numTensors).toBe(count);
    p.dispose();
  });

  it("tiny MLP (tanh, cross-entropy): 'auto' verifies exact double backward (second-order-safe gradients) and picks it", async () => {
    const p = mlpProblem(2, { activation: 'tanh', loss: 'cross-entropy' });
    const count = tf.memory().numTensors;
    const op = await createHvpOperator(new LossEvaluator(p.input));
    expect(op.method).toBe('exact');
    expect(op.reason).toMatch(/exact double backward agrees with finite differences/);
    const v = probe(MLP_DIM, 5);
    expect(relErr(await op.apply(v), matVec(p.hessian, v))).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(count);
    p.dispose();
  });

  it("a loss through an op without a second-order gradient: 'auto' says why, 'exact' throws ConfigError; nothing leaks", async () => {
    const w = tf.variable(tf.tensor([0.3, -0.5, 0.7, 0.2]), true, 'hvp.max.w');
    // maxPool's gradient is the MaxPoolGrad kernel, which has no gradient.
    const input = {
      loss: () => tf.tidy(() => tf.add(tf.sum(tf.square(tf.maxPool(tf.reshape(w, [1, 2, 2, 1]) as tf.Tensor4D, 2, 2, 'valid'))), tf.sum(tf.square(w))) as tf.Scalar),
      params: new Map([['w', w]]),
      seed: 3,
    };
    const before = bits(input.params);
    const count = tf.memory().numTensors;
    const auto = await createHvpOperator(new LossEvaluator(input));
    expect(auto.method).toBe('finite-difference');
    expect(auto.reason).toMatch(/exact double backward threw: .*MaxPoolGrad/);
    // H = 2 I + 2 e_max e_max^T (the max is w[2]).
    expect(relErr(await auto.apply(Float64Array.from([1, 1, 1, 1])), Float64Array.from([2, 2, 4, 2]))).toBeLessThan(1e-4);
    const exact = await createHvpOperator(new LossEvaluator(input), { method: 'exact' });
    const error = await exact.apply(Float64Array.from([1, 0, 0, 0])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/exact Hessian-vector products .* failed on backend 'wasm'.*MaxPoolGrad.*Fix: use method 'auto'/);
    expect(bits(input.params)).toEqual(before);
    expect(tf.memory().numTensors).toBe(count);
    w.dispose();
  });

  it('restores the parameters when the loss throws during a product', async () => {
    const a = symmetricMatrix([1, 2, 3, 4, 5, 6, 7, 8], 7);
    const q = quadraticProblem(a, 8);
    let calls = 0;
    const loss = () => {
      if (++calls === 3) throw new Error('boom');
      return q.input.loss();
    };
    const input = { ...q.input, loss };
    const op = await createHvpOperator(new LossEvaluator(input, /^layer/), { method: 'finite-difference' });
    const before = bits(q.input.params);
    const count = tf.memory().numTensors;
    // Loss calls 1 and 2 are the first product; the second product fails at w + h u, after moving w.
    await op.apply(probe(8, 1));
    await expect(op.apply(probe(8, 2))).rejects.toThrow('boom');
    expect(bits(q.input.params)).toEqual(before);
    expect(tf.memory().numTensors).toBe(count);
    q.dispose();
  });

  it('rejects bad options', async () => {
    const q = quadraticProblem(symmetricMatrix([1, 2, 3, 4, 5, 6, 7, 8], 1), 9);
    const evaluator = new LossEvaluator(q.input, /^layer/);
    await expect(createHvpOperator(evaluator, { relativeStep: 0 })).rejects.toThrow(ConfigError);
    await expect(createHvpOperator(evaluator, { method: 'reverse' as 'exact' })).rejects.toThrow(/reverse/);
    q.dispose();
  });
});
