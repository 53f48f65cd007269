import { wasmBackend } from '@flatsparse/backend-wasm';
import { Rng, ShapeError, type ActivationFunction, type MlpCapture } from '@flatsparse/plugin-api';
import { PluginError, validatePlugin } from '@flatsparse/plugin-api/host';
import {
  augmentedFlatness,
  augmentedFlatnessMetric,
  reluActivation,
  sShapedSquaredReluActivation,
  squaredReluActivation,
} from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());
// tfjs-core registers no gradients by itself; the trainer loads them lazily, tests load them here.
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');

const [B, T, d, n] = [3, 5, 6, 8];

interface Arrays {
  x: number[];
  p: number[];
  a: number[];
  dp: number[];
  da: number[];
  dz: number[];
}

/** Float32-rounded random forward/backward values of one block; dp = (sigma'(p) + leak) * da. */
function arrays(seed: number, slope: (p: number) => number, act: (p: number) => number, leak = 0): Arrays {
  const rng = new Rng(seed);
  const f32 = (v: Float32Array | number[]): number[] => [...Float32Array.from(v)];
  const x = f32(rng.fill(B * T * d));
  const p = f32(rng.fill(B * T * n, (r) => 2 * r.normal()));
  const da = f32(rng.fill(B * T * n));
  const dz = f32(rng.fill(B * T * d));
  const a = f32(p.map(act));
  const dp = f32(p.map((v, i) => (slope(v) + leak) * da[i]!));
  return { x, p, a, dp, da, dz };
}

function capture(activation: ActivationFunction, v: Arrays): MlpCapture {
  const t = (values: number[], w: number) => tf.tensor3d(values, [B, T, w]);
  return {
    block: { index: 0, d, n, keyWeight: 'k', valueWeight: 'v' },
    activation,
    training: true,
    x: t(v.x, d),
    p: t(v.p, n),
    a: t(v.a, n),
    z: tf.zeros([B, T, d]),
    dp: t(v.dp, n),
    da: t(v.da, n),
    dz: t(v.dz, d),
  };
}

/** Independent float64 reference of spec section 3, as plain loops. */
function reference(v: Arrays, slope: (p: number) => number, isFlat: (p: number) => boolean) {
  const norm2 = (values: number[], token: number, w: number) => {
    let s = 0;
    for (let k = 0; k < w; k++) s += values[token * w + k]! ** 2;
    return s;
  };
  let sumK = 0;
  let sumV = 0;
  let sumC0 = 0;
  let active = 0;
  let sumG = 0;
  let sumAuthors = 0;
  let positive = 0;
  for (let token = 0; token < B * T; token++) {
    const x2 = norm2(v.x, token, d);
    const g2 = norm2(v.dz, token, d);
    sumK += norm2(v.dp, token, n) * x2;
    sumV += g2 * norm2(v.a, token, n);
    sumG += g2;
    for (let j = 0; j < n; j++) {
      const i = token * n + j;
      // The authors' coefficients_L0: entries with a > 0, g^2 ||x||^2 without sigma'^2.
      if (v.a[i]! > 0) {
        positive++;
        sumAuthors += v.da[i]! ** 2 * x2;
      }
      if (isFlat(v.p[i]!)) continue;
      active++;
      sumC0 += slope(v.p[i]!) ** 2 * v.da[i]! ** 2 * x2;
    }
  }
  const c0 = sumC0 / active;
  return { asK: sumK / B, asV: sumV / B, c0, c0Authors: sumAuthors / positive, c2: sumG / (B * T), density: active / (B * T * n), ratio: sumK / B / c0 };
}

async function figures(c: MlpCapture): Promise<Record<string, number>> {
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => augmentedFlatnessMetric().compute(c));
  const read: Record<string, number> = {};
  for (const [k, t] of Object.entries(out)) {
    expect(t.rank, k).toBe(0);
    read[k] = (await t.data())[0]!;
  }
  tf.dispose(Object.values(out));
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose(Object.values(c).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
  return read;
}

const relClose = (got: number, want: number, tol: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.abs(want));

const ACTIVATIONS = [
  { label: 'relu', fn: reluActivation, slope: (p: number) => (p > 0 ? 1 : 0), flat: (p: number) => p <= 0 },
  // The same ReLU without its unitSlope declaration: augmented flatness evaluates sigma' instead of using 1.
  { label: 'relu, derivative evaluated', fn: { ...reluActivation, unitSlope: undefined } as ActivationFunction, slope: (p: number) => (p > 0 ? 1 : 0), flat: (p: number) => p <= 0 },
  { label: 'squared-relu', fn: squaredReluActivation, slope: (p: number) => 2 * Math.max(p, 0), flat: (p: number) => p <= 0 },
  {
    label: 's-shaped-squared-relu sx=0.4',
    fn: sShapedSquaredReluActivation({ sx: 0.4, sy: -1 }),
    slope: (p: number) => 2 * Math.max(p - 1.9, 0) + 2 * Math.max(-p - 1.1, 0),
    flat: (p: number) => p >= -1.1 && p <= 1.9,
  },
];

describe.skipIf(!state.available)('plugins: augmented flatness (wasm)', () => {
  it('is a valid plugin contributing a metric that needs gradients', () => {
    const metric = validatePlugin(augmentedFlatness()).contributes?.metrics?.[0];
    expect(metric?.name).toBe('augmented-flatness');
    expect(metric?.needsGradients).toBe(true);
  });

  describe.each(ACTIVATIONS)('$label', ({ fn, slope, flat }) => {
    it('asK, asV, c0, c0Authors, c2, density and ratio match the float64 reference', async () => {
      const v = arrays(21, slope, (p) => fn.reference!(p));
      const ref = reference(v, slope, flat);
      const got = await figures(capture(fn, v));
      for (const key of ['asK', 'asV', 'c0', 'c0Authors', 'c2', 'density', 'ratio'] as const) relClose(got[key]!, ref[key], 1e-5);
      expect(ref.density).toBeGreaterThan(0.1);
      expect(ref.density).toBeLessThan(0.9);
    });

    it('satisfies the identity density = B asK / (B T n c0) to float precision when dp = sigma\'(p) da', async () => {
      const v = arrays(22, slope, (p) => fn.reference!(p));
      const got = await figures(capture(fn, v));
      expect(got.identityError).toBeLessThan(1e-4);
      relClose(got.identityDensity!, got.density!, 1e-4);
      relClose(got.identityDensity!, got.asK! / (T * n * got.c0!), 1e-5);
    });

    it('breaks the identity clearly when dp leaks gradient through flat entries', async () => {
      const v = arrays(23, slope, (p) => fn.reference!(p), 0.3);
      const got = await figures(capture(fn, v));
      const ref = reference(v, slope, flat);
      expect(got.identityError).toBeGreaterThan(0.05);
      relClose(got.identityError!, Math.abs(ref.asK / (T * n * ref.c0) - ref.density) / ref.density, 1e-4);
    });
  });

  it('the identity also holds when dp comes from tf.grad through the activation', async () => {
    const v = arrays(24, () => 1, (p) => squaredReluActivation.reference!(p));
    const c = capture(squaredReluActivation, v);
    const upstream = tf.tensor3d(v.da, [B, T, n]);
    const dp = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(squaredReluActivation.apply(p), upstream)))(c.p);
    tf.dispose([c.dp!, upstream]);
    const got = await figures({ ...c, dp });
    expect(got.identityError).toBeLessThan(1e-4);
  });

  it('is finite and 0 where there are no active entries (all p flat)', async () => {
    const v = arrays(25, () => 0, () => 0);
    v.p = v.p.map((p) => -Math.abs(p) - 0.1);
    const got = await figures(capture(reluActivation, v));
    expect(got).toMatchObject({ c0: 0, c0Authors: 0, density: 0, identityDensity: 0, identityError: 0, ratio: 0, asK: 0 });
    expect(got.asV).toBe(0);
    expect(got.c2).toBeGreaterThan(0);
  });

  it('throws E_PLUGIN_HOOK without gradients and E_SHAPE for tensors that are not [B, T, *]', () => {
    const v = arrays(26, () => 1, (p) => p);
    const c = capture(reluActivation, v);
    const metric = augmentedFlatnessMetric();
    expect(() => metric.compute({ ...c, dp: undefined })).toThrow(PluginError);
    const flat = tf.reshape(c.x, [B * T, d]);
    expect(() => metric.compute({ ...c, x: flat })).toThrow(ShapeError);
    tf.dispose([flat, ...Object.values(c).filter((t): t is tf.Tensor => t instanceof tf.Tensor)]);
  });
});
