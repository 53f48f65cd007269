import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { ConfigError } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { AdamW, clipByGlobalNorm, globalNorm } from '@flatsparse/core';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());

interface RefOptions {
  beta1: number;
  beta2: number;
  eps: number;
}

/** Plain float64 AdamW, written from the paper's algorithm (Loshchilov and Hutter, Algorithm 2). */
function adamwReference(p0: number[], grads: number[][], lrs: number[], wd: number, o: RefOptions): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = o.beta1 * m[i]! + (1 - o.beta1) * g[i]!;
      v[i] = o.beta2 * v[i]! + (1 - o.beta2) * g[i]! * g[i]!;
      const mHat = m[i]! / (1 - o.beta1 ** t);
      const vHat = v[i]! / (1 - o.beta2 ** t);
      p[i] = p[i]! - lrs[k]! * (mHat / (Math.sqrt(vHat) + o.eps) + wd * p[i]!);
    }
  });
  return p;
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 2e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]!)));
}

describe.skipIf(!state.available)('AdamW', () => {
  const o = { beta1: 0.9, beta2: 0.99, eps: 1e-8 };
  const w0 = [0.5, -1.25, 2, 0.75, -0.3, 1.1];
  const b0 = [0.2, -0.4, 0.1];
  const gradsW = [
    [0.1, -0.2, 0.3, 1.5, -0.05, 0.0],
    [-0.4, 0.25, 0.3, -2, 0.01, 0.7],
  ];
  const gradsB = [
    [1, -1, 0.5],
    [0.3, 0.2, -0.1],
  ];

  function setup() {
    const variable = (values: number[], shape: number[], trainable = true) => tf.tidy(() => tf.variable(tf.tensor(values, shape), trainable));
    const params = new Map<string, tf.Variable>([
      ['layer.weight', variable(w0, [2, 3])],
      ['layer.bias', variable(b0, [3])],
      ['frozen.weight', variable([1, 2, 3, 4], [2, 2], false)],
    ]);
    const grads = (k: number) =>
      new Map<string, tf.Tensor>([
        ['layer.weight', tf.tensor(gradsW[k]!, [2, 3])],
        ['layer.bias', tf.tensor(gradsB[k]!, [3])],
        ['frozen.weight', tf.ones([2, 2])],
      ]);
    return { params, grads, dispose: () => params.forEach((v) => v.dispose()) };
  }

  it('matches a float64 reference over two steps, with decay on weights only and frozen params untouched', () => {
    const before = tf.memory().numTensors;
    const { params, grads, dispose } = setup();
    const opt = new AdamW({ beta1: o.beta1, beta2: o.beta2, epsilon: o.eps, weightDecay: 0.1 });
    const lrs = [0.01, 0.02];
    for (let k = 0; k < 2; k++) tf.tidy(() => opt.apply(params, grads(k), lrs[k]!));
    expect(opt.step).toBe(2);
    expectClose(params.get('layer.weight')!.dataSync(), adamwReference(w0, gradsW, lrs, 0.1, o));
    expectClose(params.get('layer.bias')!.dataSync(), adamwReference(b0, gradsB, lrs, 0, o));
    // The bias really did not decay: with decay its result would differ measurably.
    const decayed = adamwReference(b0, gradsB, lrs, 0.1, o);
    expect(Math.abs(params.get('layer.bias')!.dataSync()[0]! - decayed[0]!)).toBeGreaterThan(1e-5);
    expect(Array.from(params.get('frozen.weight')!.dataSync())).toEqual([1, 2, 3, 4]);
    opt.dispose();
    dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('applies groups: learning-rate multipliers and per-group weight decay (first match wins)', () => {
    const { params, grads, dispose } = setup();
    const opt = new AdamW({ beta1: o.beta1, beta2: o.beta2, epsilon: o.eps, weightDecay: 0.1, groups: [{ match: ['layer.bias'], lrMultiplier: 3, weightDecay: 0.5 }, { match: /layer/, lrMultiplier: 0.5 }] });
    for (let k = 0; k < 2; k++) tf.tidy(() => opt.apply(params, grads(k), 0.01));
    expectClose(params.get('layer.bias')!.dataSync(), adamwReference(b0, gradsB, [0.03, 0.03], 0.5, o));
    expectClose(params.get('layer.weight')!.dataSync(), adamwReference(w0, gradsW, [0.005, 0.005], 0.1, o));
    opt.dispose();
    dispose();
  });

  it('leaves parameters and moments unchanged when the gate is false', async () => {
    const { params, grads, dispose } = setup();
    const opt = new AdamW();
    tf.tidy(() => opt.apply(params, grads(0), 0.01));
    const w = Array.from(params.get('layer.weight')!.dataSync());
    const s1 = await opt.exportState();
    tf.tidy(() => {
      const nan = new Map([['layer.weight', tf.fill([2, 3], Number.NaN)]]);
      opt.apply(params, nan, 0.01, tf.scalar(false, 'bool'));
    });
    expect(Array.from(params.get('layer.weight')!.dataSync())).toEqual(w);
    const s2 = await opt.exportState();
    expect(Array.from(s2.tensors.get('m/layer.weight')!.data)).toEqual(Array.from(s1.tensors.get('m/layer.weight')!.data));
    expect(Array.from(s2.tensors.get('v/layer.weight')!.data)).toEqual(Array.from(s1.tensors.get('v/layer.weight')!.data));
    opt.dispose();
    dispose();
  });

  it('exports and restores its state exactly: continuing from a restored copy is bit-identical', async () => {
    const a = setup();
    const b = setup();
    const optA = new AdamW({ weightDecay: 0.05 });
    tf.tidy(() => optA.apply(a.params, a.grads(0), 0.01));
    const saved = await optA.exportState();
    expect([...saved.tensors.keys()].sort()).toEqual(['m/layer.bias', 'm/layer.weight', 'v/layer.bias', 'v/layer.weight']);
    for (const [name, v] of a.params) b.params.get(name)!.assign(tf.clone(v));
    const optB = new AdamW({ weightDecay: 0.05 });
    optB.importState(saved.step, saved.tensors, b.params, 'memory');
    expect(optB.step).toBe(1);
    tf.tidy(() => optA.apply(a.params, a.grads(1), 0.02));
    tf.tidy(() => optB.apply(b.params, b.grads(1), 0.02));
    for (const name of a.params.keys()) expect(Array.from(b.params.get(name)!.dataSync())).toEqual(Array.from(a.params.get(name)!.dataSync()));
    expect(() => optB.importState(1, new Map([['m/nope', saved.tensors.get('m/layer.bias')!]]), b.params, 'memory')).toThrow(/nope/);
    optA.dispose();
    optB.dispose();
    a.dispose();
    b.dispose();
  });

  it('validates its options', () => {
    expect(() => new AdamW({ beta1: 1 })).toThrow(ConfigError);
    expect(() => new AdamW({ weightDecay: -1 })).toThrow(/optimizer\.weightDecay/);
  });
});

describe.skipIf(!state.available)('gradient clipping by global norm', () => {
  const g1 = [3, -4, 1];
  const g2 = [2, 0.5, -1, 6];
  const norm = Math.sqrt([...g1, ...g2].reduce((s, x) => s + x * x, 0));

  it('computes the global norm like plain JS and scales by min(1, max / norm) on the device', () => {
    tf.tidy(() => {
      const grads = new Map<string, tf.Tensor>([
        ['a', tf.tensor(g1)],
        ['b', tf.tensor(g2, [2, 2])],
      ]);
      expect(globalNorm([...grads.values()]).dataSync()[0]).toBeCloseTo(norm, 5);
      const clipped = clipByGlobalNorm(grads, 2);
      expect(clipped.scale.dataSync()[0]).toBeCloseTo(2 / norm, 6);
      expectClose(clipped.grads.get('a')!.dataSync(), g1.map((x) => (x * 2) / norm));
      expectClose(clipped.grads.get('b')!.dataSync(), g2.map((x) => (x * 2) / norm));
      expect(globalNorm([...clipped.grads.values()]).dataSync()[0]).toBeCloseTo(2, 5);
      const loose = clipByGlobalNorm(grads, 100);
      expect(loose.scale.dataSync()[0]).toBe(1);
      expect(Array.from(loose.grads.get('a')!.dataSync())).toEqual(g1);
      const zero = clipByGlobalNorm(new Map([['z', tf.zeros([3])]]), 1);
      expect(zero.scale.dataSync()[0]).toBe(1);
    });
  });
});
