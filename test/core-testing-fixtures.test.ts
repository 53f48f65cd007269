import { wasmBackend } from '@flatsparse/backend-wasm';
import { countTensors, type ActivationFunction } from '@flatsparse/core';
import { compareArrays, fakeCaptures, fakeModel, reluForTests } from '@flatsparse/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from './support/backend.js';

const state = await useBackend(wasmBackend());

const read = async (t: tf.Tensor): Promise<number[]> => Array.from(await t.data());

/** Plain-JS float64 [rows, k] x [k, cols]. */
function matMul(a: number[], b: number[], rows: number, k: number, cols: number, transposeB = false): number[] {
  return Array.from({ length: rows * cols }, (_, idx) => {
    const i = Math.floor(idx / cols);
    const j = idx % cols;
    let s = 0;
    for (let m = 0; m < k; m++) s += a[i * k + m]! * b[transposeB ? j * k + m : m * cols + j]!;
    return s;
  });
}

const TOL = { atol: 1e-5, rtol: 1e-5 };

describe.skipIf(!state.available)('fakeModel', () => {
  it('has d=4, n=8, two blocks with LayerNorm scale/shift and key/value parameters of the right shapes', () => {
    const before = countTensors();
    const model = fakeModel();
    expect(model.mlpBlocks.map((b) => [b.index, b.d, b.n])).toEqual([[0, 4, 8], [1, 4, 8]]);
    for (const b of model.mlpBlocks) {
      expect(model.params.get(b.lnScale!)!.shape).toEqual([4]);
      expect(model.params.get(b.lnShift!)!.shape).toEqual([4]);
      expect(model.params.get(b.keyWeight)!.shape).toEqual([4, 8]);
      expect(model.params.get(b.keyBias!)!.shape).toEqual([8]);
      expect(model.params.get(b.valueWeight)!.shape).toEqual([8, 4]);
      expect(model.params.get(b.valueBias!)!.shape).toEqual([4]);
    }
    expect(model.params.size).toBe(12);
    model.dispose();
    expect(countTensors()).toBe(before);
  });

  it('records addParam, setTrainable and addMlpTransform, rejects bad names, and disposes added parameters', async () => {
    const before = countTensors();
    const model = fakeModel();
    const init = tf.ones([8, 4]);
    const table = model.addParam('blocks.0.zerothBias', init, true);
    init.dispose();
    expect(await read(table)).toEqual(new Array(32).fill(1));
    expect(model.added).toEqual([{ name: 'blocks.0.zerothBias', shape: [8, 4], trainable: true }]);
    const duplicate = tf.zeros([1]);
    expect(() => model.addParam('blocks.0.zerothBias', duplicate)).toThrow(/E_MODEL_CONFIG/);
    duplicate.dispose();
    model.setTrainable('blocks.1.ln2.shift', false);
    expect(model.params.get('blocks.1.ln2.shift')!.trainable).toBe(false);
    expect(model.trainableChanges.get('blocks.1.ln2.shift')).toBe(false);
    expect(() => model.setTrainable('nope', true)).toThrow(/E_MODEL_CONFIG/);
    model.addMlpTransform(1, 'input', (t) => tf.mul(t, 2));
    model.addMlpTransform(1, 'input', (t) => tf.add(t, 1));
    expect(() => model.addMlpTransform(5, 'output', (t) => t)).toThrow(/E_MODEL_CONFIG/);
    const x = tf.ones([1, 2, 4]);
    const y = model.runTransforms(1, 'input', x);
    expect(await read(y)).toEqual(new Array(8).fill(3));
    x.dispose();
    y.dispose();
    model.dispose();
    expect(countTensors()).toBe(before);
  });
});

describe.skipIf(!state.available)('fakeCaptures', () => {
  it('gives consistent x, p = xK + b, a = relu(p), z = aV + b, da = dz V^T and dp = relu\'(p) da for B=2, T=3', async () => {
    const before = countTensors();
    const model = fakeModel();
    const fx = fakeCaptures({ model });
    expect(fx.captures).toHaveLength(2);
    for (const c of fx.captures) {
      const b = c.block;
      expect([c.x.shape, c.p.shape, c.a.shape, c.z.shape, c.dz!.shape, c.da!.shape, c.dp!.shape]).toEqual([[2, 3, 4], [2, 3, 8], [2, 3, 8], [2, 3, 4], [2, 3, 4], [2, 3, 8], [2, 3, 8]]);
      const [x, p, a, z, dz, da, dp] = await Promise.all([c.x, c.p, c.a, c.z, c.dz!, c.da!, c.dp!].map(read));
      const [k, bk, v, bv] = await Promise.all([b.keyWeight, b.keyBias!, b.valueWeight, b.valueBias!].map((n) => read(model.params.get(n)!)));
      const pRef = matMul(x!, k!, 6, 4, 8).map((s, i) => s + bk![i % 8]!);
      expect(compareArrays(p!, pRef, TOL).passed).toBe(true);
      expect(compareArrays(a!, p!.map((s) => Math.max(s, 0)), TOL).passed).toBe(true);
      expect(compareArrays(z!, matMul(a!, v!, 6, 8, 4).map((s, i) => s + bv![i % 4]!), TOL).passed).toBe(true);
      const daRef = matMul(dz!, v!, 6, 4, 8, true);
      expect(compareArrays(da!, daRef, TOL).passed).toBe(true);
      expect(compareArrays(dp!, daRef.map((g, i) => (p![i]! > 0 ? g : 0)), TOL).passed).toBe(true);
      expect(a!.some((s) => s === 0) && a!.some((s) => s > 0)).toBe(true);
    }
    expect(fx.forwardCaptures.every((c, i) => c.dp === undefined && c.da === undefined && c.dz === undefined && c.p === fx.captures[i]!.p)).toBe(true);
    fx.dispose();
    model.dispose();
    expect(countTensors()).toBe(before);
  });

  it('uses the given activation for a and its derivative for dp, and leaves nothing behind without a model', async () => {
    const before = countTensors();
    const squared: ActivationFunction = { ...reluForTests, name: 'sq', apply: (x) => tf.square(tf.relu(x)), derivative: (x) => tf.mul(tf.relu(x), 2) };
    const fx = fakeCaptures({ activation: squared, batch: 1, tokens: 2 });
    const c = fx.captures[0]!;
    expect(c.activation.name).toBe('sq');
    const [p, a, da, dp] = await Promise.all([c.p, c.a, c.da!, c.dp!].map(read));
    expect(compareArrays(a!, p!.map((s) => Math.max(s, 0) ** 2), TOL).passed).toBe(true);
    expect(compareArrays(dp!, da!.map((g, i) => 2 * Math.max(p![i]!, 0) * g), TOL).passed).toBe(true);
    fx.dispose();
    expect(countTensors()).toBe(before);
  });
});
