import { wasmBackend } from '@flatsparse/backend-wasm';
import { Rng, type ActivationFunction, type MlpCapture, type SparsityMetric } from '@flatsparse/plugin-api';
import { validatePlugin } from '@flatsparse/plugin-api/host';
import {
  activationSparsity,
  activationSparsityMetric,
  deadNeurons,
  deadNeuronsMetric,
  derivativeSparsity,
  derivativeSparsityMetric,
  geluActivation,
  reluActivation,
  sShapedSquaredReluActivation,
  shiftedReluActivation,
  topkSparsity,
  topkSparsityMetric,
} from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());

type Shape = readonly [number, number, number];

/** A forward-only capture of one block with hand-made a and p of shape [B, T, n] (x, z unused by these metrics). */
function capture(activation: ActivationFunction, shape: Shape, a: ArrayLike<number>, p: ArrayLike<number> = a): MlpCapture {
  const [B, T, n] = shape;
  return {
    block: { index: 0, d: 2, n, keyWeight: 'k', valueWeight: 'v' },
    activation,
    training: true,
    x: tf.zeros([B, T, 2]),
    p: tf.tensor3d(Float32Array.from(p), [B, T, n]),
    a: tf.tensor3d(Float32Array.from(a), [B, T, n]),
    z: tf.zeros([B, T, 2]),
  };
}

/** Runs a metric on a capture, reads every figure back, and checks that nothing leaked. */
async function measure(metric: SparsityMetric, c: MlpCapture): Promise<Record<string, number>> {
  const before = tf.memory().numTensors;
  const figures = tf.tidy(() => metric.compute(c));
  const out: Record<string, number> = {};
  for (const [name, t] of Object.entries(figures)) {
    expect(t.rank, name).toBe(0);
    out[name] = (await t.data())[0]!;
  }
  tf.dispose(Object.values(figures));
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([c.x, c.p, c.a, c.z]);
  return out;
}

/** Float32 round trip, so references see the values the device sees. */
const f32 = (values: readonly number[]): number[] => [...Float32Array.from(values)];

// --- independent float64 references (plain loops; no interval helpers) ---
function refActivationSparsity(a: readonly number[], rest: number, threshold: number): number {
  let count = 0;
  for (const v of a) if (Math.abs(v - rest) <= threshold) count++;
  return count / a.length;
}
function refDead(a: readonly number[], n: number, rest: number, threshold: number): number {
  let dead = 0;
  for (let j = 0; j < n; j++) {
    let alive = false;
    for (let i = j; i < a.length; i += n) if (Math.abs(a[i]! - rest) > threshold) alive = true;
    if (!alive) dead++;
  }
  return dead / n;
}
function refTopk(a: readonly number[], n: number, mass: number): number {
  let kSum = 0;
  const tokens = a.length / n;
  for (let t = 0; t < tokens; t++) {
    const mags = a.slice(t * n, t * n + n).map(Math.abs).sort((x, y) => y - x);
    const total = mags.reduce((s, v) => s + v, 0);
    let k = 0;
    let acc = 0;
    while (total > 0 && acc < mass * total) acc += mags[k++]!;
    kSum += k;
  }
  return kSum / tokens;
}

describe.skipIf(!state.available)('plugins: sparsity metrics (wasm)', () => {
  it('every metric plugin validates and contributes one metric named after the figure prefix', () => {
    const plugins = [activationSparsity(), derivativeSparsity(), deadNeurons(), topkSparsity()];
    expect(plugins.map((p) => validatePlugin(p).contributes?.metrics?.map((m) => m.name))).toEqual([
      ['activation-sparsity'],
      ['derivative-sparsity'],
      ['dead-neurons'],
      ['topk-sparsity'],
    ]);
  });

  describe('activation-sparsity', () => {
    const metric = activationSparsityMetric();

    it('counts |a| <= 1e-6 for ReLU on hand-made values', async () => {
      const a = f32([0, 3e-7, -4e-7, 5e-6, 0.5, 2, 0, 1e-3, 9e-7, -2e-6, 0, 7]);
      const { value } = await measure(metric, capture(reluActivation, [1, 3, 4], a));
      expect(value).toBeCloseTo(refActivationSparsity(a, 0, 1e-6), 6);
      expect(value).toBeCloseTo(6 / 12, 6);
    });

    it('is 1 when all are zero and 0 when none is', async () => {
      expect((await measure(metric, capture(reluActivation, [2, 2, 3], new Array(12).fill(0)))).value).toBe(1);
      expect((await measure(metric, capture(reluActivation, [2, 2, 3], new Array(12).fill(0.25)))).value).toBe(0);
    });

    it('follows the rest region [sy, sy] of shifted activations (zero no longer counts)', async () => {
      const act = shiftedReluActivation({ sx: 1.6, sy: -1.6 });
      const a = f32([-1.6, -1.6, 0, -1.6 + 5e-7, -1.6 + 1e-4, 2.4, 0, -1.6]);
      const { value } = await measure(metric, capture(act, [1, 2, 4], a));
      expect(value).toBeCloseTo(refActivationSparsity(a, Math.fround(-1.6), 1e-6), 6);
      expect(value).toBeCloseTo(4 / 8, 6);
    });

    it('matches the reference on random ReLU outputs and honours the threshold option', async () => {
      const rng = new Rng(11);
      const a = f32([...rng.fill(6 * 5 * 16)].map((v) => (v < 0.3 ? Math.max(v, 0) * 1e-6 : v)));
      for (const threshold of [1e-6, 0.5]) {
        const { value } = await measure(activationSparsityMetric({ threshold }), capture(reluActivation, [6, 5, 16], a));
        expect(value).toBeCloseTo(refActivationSparsity(a, 0, threshold), 6);
      }
    });

    it('is 0 for an activation without a rest region', async () => {
      const none: ActivationFunction = { ...geluActivation(), restRegions: [] };
      expect((await measure(metric, capture(none, [1, 1, 4], [0, 0, 0, 0]))).value).toBe(0);
    });
  });

  describe('derivative-sparsity', () => {
    const metric = derivativeSparsityMetric();
    const p = f32([...new Rng(12).fill(4 * 7 * 24, (r) => 3 * r.normal())]);
    const shape: Shape = [4, 7, 24];
    const fraction = (test: (v: number) => boolean): number => p.filter(test).length / p.length;

    it('is the fraction of p <= 0 for ReLU', async () => {
      const { value } = await measure(metric, capture(reluActivation, shape, p.map((v) => Math.max(v, 0)), p));
      expect(value).toBeCloseTo(fraction((v) => v <= 0), 6);
      expect(value).toBeGreaterThan(0.3);
    });

    it('is the fraction of p <= sx for the shifted ReLU, although no output is 0', async () => {
      const act = shiftedReluActivation({ sx: 1.6, sy: 1.6 });
      const { value } = await measure(metric, capture(act, shape, p.map((v) => act.reference!(v)), p));
      expect(value).toBeCloseTo(fraction((v) => v <= 1.6), 6);
      expect((await measure(activationSparsityMetric(), capture(reluActivation, shape, p.map((v) => act.reference!(v)), p))).value).toBe(0);
    });

    it('is the fraction of p in [sx - 1.5, sx + 1.5] for the S-shaped squared ReLU', async () => {
      const act = sShapedSquaredReluActivation({ sx: -1.6, sy: 1.6 });
      const { value } = await measure(metric, capture(act, shape, p, p));
      expect(value).toBeCloseTo(fraction((v) => v >= -3.1 && v <= -0.1), 6);
    });

    it('is 0 for GELU (no flat region), 1 and 0 at the extremes for ReLU', async () => {
      expect((await measure(metric, capture(geluActivation(), shape, p, p))).value).toBe(0);
      expect((await measure(metric, capture(reluActivation, [1, 2, 2], [0, 0, 0, 0], [-1, 0, -3, -0.5]))).value).toBe(1);
      expect((await measure(metric, capture(reluActivation, [1, 2, 2], [1, 1, 1, 1], [1, 1e-30, 3, 0.5]))).value).toBe(0);
    });
  });

  describe('dead-neurons', () => {
    const metric = deadNeuronsMetric();

    it('counts neurons inactive on every token (hand-made)', async () => {
      // [B=2, T=3, n=5]; neuron 0 always 0, neuron 1 active once, neuron 2 always 1e-7,
      // neuron 3 always active, neuron 4 zero except a tiny -5e-6.
      const rows = [
        [0, 0, 1e-7, 1, 0],
        [0, 0, 1e-7, 2, 0],
        [0, 0.3, 1e-7, 1, -5e-6],
        [0, 0, 1e-7, 1, 0],
        [0, 0, 1e-7, 4, 0],
        [0, 0, 1e-7, 1, 0],
      ];
      const a = f32(rows.flat());
      const { value } = await measure(metric, capture(reluActivation, [2, 3, 5], a));
      expect(value).toBeCloseTo(refDead(a, 5, 0, 1e-6), 6);
      expect(value).toBeCloseTo(2 / 5, 6);
    });

    it('is 1 when all are zero, 0 when none is, and uses the rest region of shifted activations', async () => {
      expect((await measure(metric, capture(reluActivation, [2, 2, 3], new Array(12).fill(0)))).value).toBe(1);
      expect((await measure(metric, capture(reluActivation, [2, 2, 3], new Array(12).fill(3)))).value).toBe(0);
      const act = shiftedReluActivation({ sx: 0, sy: -1.6 });
      const a = f32([-1.6, 0, -1.6, 0, -1.6, 0, -1.6, 0.2]);
      const { value } = await measure(metric, capture(act, [1, 2, 4], a));
      expect(value).toBeCloseTo(refDead(a, 4, Math.fround(-1.6), 1e-6), 6);
      expect(value).toBeCloseTo(2 / 4, 6);
    });

    it('matches the reference on random sparse outputs', async () => {
      const rng = new Rng(13);
      const a = f32([...rng.fill(3 * 4 * 40)].map((v, i) => (i % 40 < 12 || v < 0.8 ? 0 : v)));
      const { value } = await measure(metric, capture(reluActivation, [3, 4, 40], a));
      expect(value).toBeCloseTo(refDead(a, 40, 0, 1e-6), 6);
      expect(value).toBeGreaterThanOrEqual(12 / 40);
    });
  });

  describe('topk-sparsity', () => {
    it('finds the smallest k holding the mass on exact integer examples', async () => {
      // Tokens (n = 4): |a| = 4,2,1,1 (L1 8); 0,0,0,0; 1,1,1,1; -3,0,1,0.
      const a = [4, -2, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, -3, 0, 1, 0];
      const cases: [number, number[]][] = [
        [0.5, [1, 0, 2, 1]],
        [0.75, [2, 0, 3, 1]],
        [0.875, [3, 0, 4, 2]],
        [1, [4, 0, 4, 2]],
      ];
      for (const [mass, ks] of cases) {
        const { value, meanK } = await measure(topkSparsityMetric({ mass }), capture(reluActivation, [2, 2, 4], a));
        const expectedK = ks.reduce((s, k) => s + k, 0) / 4;
        expect(refTopk(a, 4, mass)).toBe(expectedK);
        expect(meanK, `mass ${mass}`).toBeCloseTo(expectedK, 6);
        expect(value, `mass ${mass}`).toBeCloseTo(1 - expectedK / 4, 6);
      }
    });

    it('is 1 when all are zero and 0 when none is (mass = 1)', async () => {
      expect((await measure(topkSparsityMetric(), capture(reluActivation, [1, 3, 5], new Array(15).fill(0)))).value).toBe(1);
      expect((await measure(topkSparsityMetric({ mass: 1 }), capture(reluActivation, [1, 3, 5], new Array(15).fill(0.1)))).value).toBe(0);
    });

    it('with mass = 1 it equals the share of exact zeros, despite float rounding', async () => {
      const rng = new Rng(14);
      const a = f32([...rng.fill(5 * 6 * 33)].map((v) => Math.max(v, 0)));
      const { value } = await measure(topkSparsityMetric({ mass: 1 }), capture(reluActivation, [5, 6, 33], a));
      expect(value).toBeCloseTo(a.filter((v) => v === 0).length / a.length, 6);
    });

    it('matches the float64 reference with the default mass 0.99 on random outputs (n = 1 too)', async () => {
      const rng = new Rng(15);
      const a = f32([...rng.fill(4 * 16 * 48)].map((v) => Math.max(v, 0) * 3));
      const { meanK } = await measure(topkSparsityMetric(), capture(reluActivation, [4, 16, 48], a));
      // Float32 partial sums may move a token's k by one where a sum lands within rounding of the target.
      expect(Math.abs(meanK! - refTopk(a, 48, 0.99))).toBeLessThanOrEqual(1 / 64);
      const single = await measure(topkSparsityMetric(), capture(reluActivation, [1, 3, 1], [0, 2, 0]));
      expect(single.meanK).toBeCloseTo(1 / 3, 6);
    });
  });
});
