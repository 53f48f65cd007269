/**
 * AdamW updates same-shaped parameters as stacked groups. These suites check that grouping changes
 * nothing observable: every parameter against a per-parameter float64 reference while the set of
 * parameters with gradients changes between steps (regrouping), exact export/import in the middle,
 * and updated parameters usable as fused-matMul biases (their data keeps their own shape).
 */
import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { AdamW } from '@flatsparse/core';
import { Rng } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());

const [B1, B2, EPS] = [0.9, 0.99, 1e-8];
const SHAPES: Record<string, number[]> = { 'a.weight': [2, 3], 'b.weight': [2, 3], 'c.weight': [2, 3], 'a.bias': [3], 'b.bias': [3], 'c.scale': [3] };
const NAMES = Object.keys(SHAPES);
const values = (n: number, seed: number): number[] => Array.from(new Rng(seed).fill(n, (r) => r.normal()));
const size = (name: string): number => SHAPES[name]!.reduce((a, b) => a * b, 1);
/** Which parameters get a gradient at each step: b.weight pauses at step 1, a.bias at steps 1-2. */
const HAS_GRAD = [NAMES, NAMES.filter((n) => n !== 'b.weight' && n !== 'a.bias'), NAMES.filter((n) => n !== 'a.bias'), NAMES];
const LRS = [0.01, 0.02, 0.015, 0.01];
const options = { beta1: B1, beta2: B2, epsilon: EPS, weightDecay: 0.1, groups: [{ match: ['b.bias'], lrMultiplier: 3 }] };

/** Plain float64 AdamW per parameter: t counts every apply; a parameter without a gradient is left alone, moments included. */
function reference(steps: number): Map<string, number[]> {
  const p = new Map(NAMES.map((n, i) => [n, values(size(n), i + 1)]));
  const m = new Map(NAMES.map((n) => [n, new Array<number>(size(n)).fill(0)]));
  const v = new Map(NAMES.map((n) => [n, new Array<number>(size(n)).fill(0)]));
  for (let k = 0; k < steps; k++) {
    const t = k + 1;
    for (const name of HAS_GRAD[k]!) {
      const g = values(size(name), 100 * (k + 1) + NAMES.indexOf(name));
      const wd = SHAPES[name]!.length > 1 ? 0.1 : 0;
      const lr = LRS[k]! * (name === 'b.bias' ? 3 : 1);
      const [pp, mm, vv] = [p.get(name)!, m.get(name)!, v.get(name)!];
      for (let i = 0; i < pp.length; i++) {
        mm[i] = B1 * mm[i]! + (1 - B1) * g[i]!;
        vv[i] = B2 * vv[i]! + (1 - B2) * g[i]! * g[i]!;
        pp[i] = pp[i]! - lr * (mm[i]! / (1 - B1 ** t) / (Math.sqrt(vv[i]! / (1 - B2 ** t)) + EPS) + wd * pp[i]!);
      }
    }
  }
  return p;
}

function setup(): Map<string, tf.Variable> {
  return new Map(NAMES.map((n, i) => [n, tf.tidy(() => tf.variable(tf.tensor(values(size(n), i + 1), SHAPES[n]), true))]));
}

function step(opt: AdamW, params: Map<string, tf.Variable>, k: number): void {
  tf.tidy(() => {
    const grads = new Map(HAS_GRAD[k]!.map((name) => [name, tf.tensor(values(size(name), 100 * (k + 1) + NAMES.indexOf(name)), SHAPES[name])]));
    opt.apply(params, grads, LRS[k]!, tf.scalar(true, 'bool'));
  });
}

describe.skipIf(!state.available)('AdamW with stacked groups', () => {
  it('matches the per-parameter float64 reference while parameters pause and resume', () => {
    const before = tf.memory().numTensors;
    const params = setup();
    const opt = new AdamW(options);
    for (let k = 0; k < 4; k++) step(opt, params, k);
    const expected = reference(4);
    for (const name of NAMES) {
      const got = params.get(name)!.dataSync();
      expected.get(name)!.forEach((e, i) => expect(Math.abs(got[i]! - e)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(e))));
    }
    opt.dispose();
    params.forEach((p) => p.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('exports every moment (paused parameters included) and continues bit-identically after an import', async () => {
    const [a, b] = [setup(), setup()];
    const optA = new AdamW(options);
    for (let k = 0; k < 2; k++) step(optA, a, k);
    const saved = await optA.exportState();
    expect([...saved.tensors.keys()].filter((k) => k.startsWith('m/')).sort()).toEqual(NAMES.map((n) => `m/${n}`).sort());
    expect(saved.tensors.get('v/a.weight')!.shape).toEqual([2, 3]);
    for (const [name, p] of a) b.get(name)!.assign(p);
    const optB = new AdamW(options);
    optB.importState(saved.step, saved.tensors, b, 'memory');
    for (let k = 2; k < 4; k++) {
      step(optA, a, k);
      step(optB, b, k);
    }
    for (const name of NAMES) expect(Array.from(b.get(name)!.dataSync())).toEqual(Array.from(a.get(name)!.dataSync()));
    optA.dispose();
    optB.dispose();
    [...a.values(), ...b.values()].forEach((p) => p.dispose());
  });

  it('leaves parameters usable as fused-matMul biases', () => {
    const params = setup();
    const opt = new AdamW(options);
    step(opt, params, 0);
    const y = tf.tidy(() => tf.fused.matMul({ a: tf.ones([1, 2]), b: params.get('a.weight')!, bias: params.get('a.bias')! }));
    const [w, bias] = [params.get('a.weight')!.dataSync(), params.get('a.bias')!.dataSync()];
    expect(Array.from(y.dataSync())).toEqual([0, 1, 2].map((j) => Math.fround(Math.fround(w[j]! + w[3 + j]!) + bias[j]!)));
    y.dispose();
    opt.dispose();
    params.forEach((p) => p.dispose());
  });
});
