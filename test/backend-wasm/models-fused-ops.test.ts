/**
 * The custom-gradient ops behind the models' speed (explicit-transpose linear layers, LayerNorm with
 * a closed-form backward, both attention cores, the saving-free residual add): values against plain
 * float64 loops, gradients against float64 central differences of those loops (or closed forms).
 */
import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { layerNorm, linear, registerGradients } from '@flatsparse/core';
import { Rng } from '@flatsparse/plugin-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { addSame } from '../../packages/core/src/models/add-same.js';
import { batchedAttentionCore } from '../../packages/core/src/models/attention-core.js';
import { depthwiseAttentionCore } from '../../packages/core/src/models/attention-depthwise.js';
import { matMulTransposed } from '../../packages/core/src/models/linear.js';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());

const randoms = (n: number, seed: number): number[] => Array.from(new Rng(seed).fill(n, (r) => r.normal()));

/** Central differences (float64, step 1e-6) of f at x, one entry at a time. */
function numericGrad(f: (x: number[]) => number, x: number[]): number[] {
  return x.map((_, i) => {
    const plus = [...x];
    const minus = [...x];
    plus[i]! += 1e-6;
    minus[i]! -= 1e-6;
    return (f(plus) - f(minus)) / 2e-6;
  });
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  const bad = expected.map((e, i) => ({ i, a: actual[i]!, e })).filter(({ a, e }) => !(Math.abs(a - e) <= tol * (1 + Math.abs(e))));
  expect(bad).toEqual([]);
}

/** Float64 multi-head attention of q, k, v [B*T, d] (row-major), as the models define it. */
function refAttention(q: number[], k: number[], v: number[], b: number, t: number, heads: number, d: number, causal: boolean): number[] {
  const dh = d / heads;
  const out = new Array<number>(b * t * d).fill(0);
  for (let s = 0; s < b; s++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < t; i++) {
        const scores = Array.from({ length: t }, (_, j) => {
          let dot = 0;
          for (let c = 0; c < dh; c++) dot += q[(s * t + i) * d + h * dh + c]! * k[(s * t + j) * d + h * dh + c]!;
          return dot / Math.sqrt(dh) + (causal && j > i ? -1e9 : 0);
        });
        const top = Math.max(...scores);
        const w = scores.map((x) => Math.exp(x - top));
        const z = w.reduce((a, c) => a + c, 0);
        for (let j = 0; j < t; j++) for (let c = 0; c < dh; c++) out[(s * t + i) * d + h * dh + c]! += (w[j]! / z) * v[(s * t + j) * d + h * dh + c]!;
      }
  return out;
}

describe.skipIf(!state.available)('models: custom-gradient ops', () => {
  beforeAll(registerGradients);
  const [b, t, heads, d] = [2, 3, 2, 4];
  const q = randoms(b * t * d, 1);
  const k = randoms(b * t * d, 2);
  const v = randoms(b * t * d, 3);
  const r = randoms(b * t * d, 4);
  const dot = (x: number[], y: number[]): number => x.reduce((a, xi, i) => a + xi * y[i]!, 0);

  for (const [name, makeCore] of [['batched', batchedAttentionCore], ['depthwise', depthwiseAttentionCore]] as const) {
    for (const causal of [false, true]) {
      it(`${name} attention core (causal ${causal}): values and gradients of q, k, v`, () => {
        const core = makeCore({ batch: b, tokens: t, heads, d, causal });
        const inputs = [q, k, v].map((x) => tf.tensor2d(x, [b * t, d]));
        const rT = tf.tensor2d(r, [b * t, d]);
        const value = tf.tidy(() => core(inputs[0]!, inputs[1]!, inputs[2]!));
        expectClose(value.dataSync(), refAttention(q, k, v, b, t, heads, d, causal), 1e-5);
        const grads = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(core(a, c, e), rT)))(inputs);
        const loss = (qq: number[], kk: number[], vv: number[]): number => dot(refAttention(qq, kk, vv, b, t, heads, d, causal), r);
        expectClose(grads[0]!.dataSync(), numericGrad((x) => loss(x, k, v), q));
        expectClose(grads[1]!.dataSync(), numericGrad((x) => loss(q, x, v), k));
        expectClose(grads[2]!.dataSync(), numericGrad((x) => loss(q, k, x), v));
        tf.dispose([...inputs, rT, value, ...grads]);
      });
    }
  }

  // in < out, in > out and in = out take different backward paths; with and without bias.
  for (const [inSize, outSize, withBias] of [[3, 5, true], [5, 3, true], [4, 4, true], [3, 5, false], [5, 3, false]] as const) {
    it(`linear [7, ${inSize}] x [${inSize}, ${outSize}]${withBias ? ' + bias' : ''}: closed-form gradients`, () => {
      const rows = 7;
      const x = randoms(rows * inSize, 5);
      const w = randoms(inSize * outSize, 6);
      const bias = randoms(outSize, 7);
      const dy = randoms(rows * outSize, 8);
      const [xT, wT, bT, dyT] = [tf.tensor2d(x, [rows, inSize]), tf.tensor2d(w, [inSize, outSize]), tf.tensor1d(bias), tf.tensor2d(dy, [rows, outSize])];
      const f = (...p: tf.Tensor[]): tf.Tensor => tf.sum(tf.mul(linear(p[0]!, p[1]!, p[2]), dyT));
      const y = tf.tidy(() => linear(xT, wT, withBias ? bT : undefined));
      const grads = tf.grads(f)(withBias ? [xT, wT, bT] : [xT, wT]);
      const at = (m: number[], i: number, j: number, cols: number): number => m[i * cols + j]!;
      const yRef: number[] = [];
      const dx: number[] = [];
      const dw: number[] = [];
      for (let i = 0; i < rows; i++) for (let j = 0; j < outSize; j++) yRef.push((withBias ? bias[j]! : 0) + x.slice(i * inSize, (i + 1) * inSize).reduce((a, xi, c) => a + xi * at(w, c, j, outSize), 0));
      for (let i = 0; i < rows; i++) for (let c = 0; c < inSize; c++) dx.push(Array.from({ length: outSize }, (_, j) => at(dy, i, j, outSize) * at(w, c, j, outSize)).reduce((a, e) => a + e, 0));
      for (let c = 0; c < inSize; c++) for (let j = 0; j < outSize; j++) dw.push(Array.from({ length: rows }, (_, i) => at(x, i, c, inSize) * at(dy, i, j, outSize)).reduce((a, e) => a + e, 0));
      const db = Array.from({ length: outSize }, (_, j) => Array.from({ length: rows }, (_, i) => at(dy, i, j, outSize)).reduce((a, e) => a + e, 0));
      expectClose(y.dataSync(), yRef, 1e-5);
      expectClose(grads[0]!.dataSync(), dx, 1e-5);
      expectClose(grads[1]!.dataSync(), dw, 1e-5);
      if (withBias) expectClose(grads[2]!.dataSync(), db, 1e-5);
      tf.dispose([xT, wT, bT, dyT, y, ...grads]);
    });
  }

  it('matMulTransposed (tied head): x W^T and closed-form gradients', () => {
    const [rows, inSize, outSize] = [6, 4, 5];
    const x = randoms(rows * inSize, 9);
    const w = randoms(outSize * inSize, 10); // [out, in]
    const dy = randoms(rows * outSize, 11);
    const [xT, wT, dyT] = [tf.tensor2d(x, [rows, inSize]), tf.tensor2d(w, [outSize, inSize]), tf.tensor2d(dy, [rows, outSize])];
    const grads = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(matMulTransposed(a, c), dyT)))([xT, wT]);
    const sum = (n: number, f: (i: number) => number): number => Array.from({ length: n }, (_, i) => f(i)).reduce((a, e) => a + e, 0);
    const y = tf.tidy(() => matMulTransposed(xT, wT));
    expectClose(y.dataSync(), Array.from({ length: rows * outSize }, (_, e) => sum(inSize, (c) => x[Math.floor(e / outSize) * inSize + c]! * w[(e % outSize) * inSize + c]!)), 1e-5);
    expectClose(grads[0]!.dataSync(), Array.from({ length: rows * inSize }, (_, e) => sum(outSize, (j) => dy[Math.floor(e / inSize) * outSize + j]! * w[j * inSize + (e % inSize)]!)), 1e-5);
    expectClose(grads[1]!.dataSync(), Array.from({ length: outSize * inSize }, (_, e) => sum(rows, (i) => dy[i * outSize + Math.floor(e / inSize)]! * x[i * inSize + (e % inSize)]!)), 1e-5);
    tf.dispose([xT, wT, dyT, y, ...grads]);
  });

  for (const withShift of [true, false]) {
    it(`layerNorm${withShift ? '' : ' without shift'}: values and gradients of x, scale and shift`, () => {
      const [rows, width, eps] = [5, 6, 1e-5];
      const x = randoms(rows * width, 12).map((e, i) => e * (1 + (i % 3)));
      const scale = randoms(width, 13);
      const shift = randoms(width, 14);
      const dy = randoms(rows * width, 15);
      const ref = (xx: number[], s: number[], sh: number[]): number[] =>
        Array.from({ length: rows }, (_, i) => {
          const row = xx.slice(i * width, (i + 1) * width);
          const mean = row.reduce((a, e) => a + e, 0) / width;
          const variance = row.reduce((a, e) => a + (e - mean) ** 2, 0) / width;
          return row.map((e, j) => ((e - mean) / Math.sqrt(variance + eps)) * s[j]! + (withShift ? sh[j]! : 0));
        }).flat();
      const [xT, sT, shT, dyT] = [tf.tensor2d(x, [rows, width]), tf.tensor1d(scale), tf.tensor1d(shift), tf.tensor2d(dy, [rows, width])];
      const y = tf.tidy(() => layerNorm(xT, sT, withShift ? shT : undefined, eps));
      expectClose(y.dataSync(), ref(x, scale, shift), 1e-5);
      const grads = tf.grads((...p: tf.Tensor[]) => tf.sum(tf.mul(layerNorm(p[0]!, p[1]!, p[2], eps), dyT)))(withShift ? [xT, sT, shT] : [xT, sT]);
      const loss = (xx: number[], s: number[], sh: number[]): number => dot(ref(xx, s, sh), dy);
      expectClose(grads[0]!.dataSync(), numericGrad((e) => loss(e, scale, shift), x));
      expectClose(grads[1]!.dataSync(), numericGrad((e) => loss(x, e, shift), scale));
      if (withShift) expectClose(grads[2]!.dataSync(), numericGrad((e) => loss(x, scale, e), shift));
      tf.dispose([xT, sT, shT, dyT, y, ...grads]);
    });
  }

  it('addSame: the sum, dy for both inputs, and tf.add for broadcasting shapes', () => {
    const a = tf.tensor2d([1, -2, 3, 0.5], [2, 2]);
    const c = tf.tensor2d([0.25, 4, -1, 2], [2, 2]);
    const row = tf.tensor1d([10, 20]);
    const w = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const before = tf.memory().numTensors;
    const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(addSame(x, y), w)))([a, c]);
    const sum = addSame(a, c);
    const broadcast = addSame(a, row);
    expect(Array.from(sum.dataSync())).toEqual([1.25, 2, 2, 2.5]);
    expect(Array.from(grads[0]!.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(grads[1]!.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(broadcast.dataSync())).toEqual([11, 18, 13, 20.5]);
    tf.dispose([...grads, sum, broadcast]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, c, row, w]);
  });
});
