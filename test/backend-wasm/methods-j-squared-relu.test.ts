import { wasmBackend } from '@flatsparse/backend-wasm';
import { registerGradients } from '@flatsparse/core';
import { inInterval, type ActivationFunction } from '@flatsparse/plugin-api';
import { PluginInvalidError } from '@flatsparse/plugin-api/host';
import { jSquaredReLU, jSquaredReLUActivation, reluActivation } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());

// Closed forms written here, independently of the code under test (float64).
const relu = (x: number): number => (x > 0 ? x : 0);
const js = (x: number): number => (x >= 0 ? x + (x * x) / 2 : 0);
const jsSlope = (x: number): number => (x >= 0 ? x + 1 : 0);
const bounded = (x: number): number => (x > 4 ? 5 * (x - 4) + 12 : js(x));
const boundedSlope = (x: number): number => (x > 4 ? 5 : jsSlope(x));
const reluSlope = (x: number): number => (x > 0 ? 1 : 0);

const F = Math.fround;
const POINTS = [-5, -2.5, -1, -0.3, -1e-3, -1e-7, 0, 1e-7, 1e-3, 0.3, 1, 2.5, 3.9, 4, 4.1, 5, 7.25, 10].map(F);

async function values(fn: (x: tf.Tensor) => tf.Tensor, xs: readonly number[]): Promise<number[]> {
  const y = tf.tidy(() => fn(tf.tensor1d([...xs])));
  const out = Array.from(await y.data());
  y.dispose();
  return out;
}

/** Gradient of sum(f(x)) by backpropagation (so through the custom gradient). */
function grads(act: ActivationFunction, xs: readonly number[], step?: number): Promise<number[]> {
  const ctx = step === undefined ? undefined : { step, training: true };
  return values((x) => tf.grad((v: tf.Tensor) => tf.sum(act.apply(v, ctx)))(x), xs);
}

function expectClose(got: readonly number[], want: readonly number[], rtol: number, label: string): void {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `${label} at x = ${POINTS[i] ?? i}: got ${g}, want ${want[i]}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(want[i]!))));
}

describe.skipIf(!state.available)('J-SquaredReLU (M3) on wasm', () => {
  let before = 0;
  beforeAll(async () => registerGradients());
  beforeEach(() => void (before = tf.memory().numTensors));
  afterEach(() => expect(tf.memory().numTensors).toBe(before));

  it('forward matches relu(x) + relu(x)^2 / 2 in float64, and reference() is that closed form', async () => {
    const act = jSquaredReLUActivation();
    expect(act.name).toBe('j-squared-relu');
    expectClose(await values((x) => act.apply(x), POINTS), POINTS.map(js), 1e-6, 'apply');
    for (const x of POINTS) expect(act.reference!(x)).toBe(js(x));
  });

  it("gradient is the custom (x + 1) 1[x >= 0]: f'(0) = 1 exactly, 0 left of 0, and derivative() agrees", async () => {
    const act = jSquaredReLUActivation();
    const g = await grads(act, POINTS);
    expectClose(g, POINTS.map(jsSlope), 1e-6, 'grad');
    expect(g[POINTS.indexOf(0)]).toBe(1);
    expect(g[POINTS.indexOf(F(-1e-7))]).toBe(0);
    expect(g[POINTS.indexOf(F(1e-7))]).toBeCloseTo(1, 6);
    expect(await values((x) => act.derivative(x), POINTS)).toEqual(g);
  });

  it('gradient matches central differences of the float32 forward away from the kink', async () => {
    const act = jSquaredReLUActivation();
    const h = 1e-2;
    const xs = POINTS.filter((x) => Math.abs(x) > 2 * h);
    const up = await values((x) => act.apply(x), xs.map((x) => x + h));
    const down = await values((x) => act.apply(x), xs.map((x) => x - h));
    const fd = xs.map((_, i) => (up[i]! - down[i]!) / (2 * h));
    const g = await grads(act, xs);
    g.forEach((v, i) => expect(Math.abs(v - fd[i]!), `x = ${xs[i]}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(fd[i]!))));
    // Central differences of the float64 closed form agree too (the quadratic makes them exact up to rounding).
    xs.forEach((x, i) => expect(Math.abs((js(x + h) - js(x - h)) / (2 * h) - g[i]!)).toBeLessThan(1e-5 * Math.max(1, g[i]!)));
  });

  it('bounded: identical up to 4, then 5 (x - 4) + 12: continuous at 4 with slope 5 above', async () => {
    const act = jSquaredReLUActivation({ bounded: true });
    expectClose(await values((x) => act.apply(x), POINTS), POINTS.map(bounded), 1e-6, 'apply');
    expectClose(await grads(act, POINTS), POINTS.map(boundedSlope), 1e-6, 'grad');
    for (const x of POINTS) expect(act.reference!(x)).toBe(bounded(x));
    const [left, at, right] = await values((x) => act.apply(x), [F(4 - 1e-3), 4, F(4 + 1e-3)]);
    expect(at).toBe(12);
    expect(Math.abs(right! - left!)).toBeLessThan(5 * 2.1e-3); // continuous: the jump is only the slope times the gap
    const [g5, g10, g100] = await grads(act, [5, 10, 100]);
    expect([g5, g10, g100]).toEqual([5, 5, 5]);
    const plainAt10 = await values((x) => jSquaredReLUActivation().apply(x), [10]);
    expect(plainAt10[0]).toBe(60); // the unbounded form really differs there
  });

  it.each([
    [0, 0],
    [5, 0.5],
    [10, 1],
    [20, 1],
  ])('mix at step %d (k = %d): (1 - k) relu + k JSReLU, gradient (1 - k) 1[x > 0] + k (x + 1) 1[x >= 0]', async (step, k) => {
    const act = jSquaredReLUActivation({ mix: { steps: 10 } });
    const ctx = { step, training: true };
    const y = await values((x) => act.apply(x, ctx), POINTS);
    expectClose(y, POINTS.map((x) => (1 - k) * relu(x) + k * js(x)), 1e-6, 'apply');
    const g = await grads(act, POINTS, step);
    expectClose(g, POINTS.map((x) => (1 - k) * reluSlope(x) + k * jsSlope(x)), 1e-6, 'grad');
    expect(g[POINTS.indexOf(0)]).toBe(k);
    expect(await values((x) => act.derivative(x, ctx), POINTS)).toEqual(g);
    for (const x of POINTS) expect(act.reference!(x, ctx)).toBeCloseTo((1 - k) * relu(x) + k * js(x), 12);
    if (k === 0) expect(y).toEqual(await values((x) => reluActivation.apply(x), POINTS)); // exactly ReLU
    if (k === 1) expect(y).toEqual(await values((x) => jSquaredReLUActivation().apply(x), POINTS)); // exactly JSReLU
  });

  it('mix without a context uses the step of the latest apply (as metrics call derivative)', async () => {
    const act = jSquaredReLUActivation({ mix: { steps: 10 } });
    const first = await values((x) => act.derivative(x), [1]);
    expect(first[0]).toBe(1); // step 0 before any apply: ReLU's slope
    tf.tidy(() => void act.apply(tf.zeros([1]), { step: 5, training: true }));
    expect(await values((x) => act.derivative(x), POINTS)).toEqual(await values((x) => act.derivative(x, { step: 5, training: true }), POINTS));
    expect(act.reference!(2)).toBeCloseTo(0.5 * 2 + 0.5 * 4, 12);
    expect(jSquaredReLUActivation({ mix: true }).reference!(2, { step: 1500, training: true })).toBeCloseTo(0.5 * 2 + 0.5 * 4, 12); // T_mix = 3000
  });

  it('the declared flat region (-inf, 0) open at 0 is exactly where the derivative is 0', async () => {
    const dense = [...POINTS, ...Array.from({ length: 41 }, (_, i) => F(-5 + i / 4))];
    const variants: [string, ActivationFunction, { step: number; training: boolean } | undefined][] = [
      ['plain', jSquaredReLUActivation(), undefined],
      ['bounded', jSquaredReLUActivation({ bounded: true }), undefined],
      ['mix k = 0.5', jSquaredReLUActivation({ mix: { steps: 10 } }), { step: 5, training: true }],
      ['mix k = 1', jSquaredReLUActivation({ mix: { steps: 10 } }), { step: 12, training: false }],
    ];
    for (const [label, act, ctx] of variants) {
      expect(act.flatRegions).toHaveLength(1);
      expect(act.flatRegions[0]).toMatchObject({ lo: -Infinity, hi: 0, hiClosed: false });
      expect(act.restRegions).toEqual([{ lo: 0, hi: 0, loClosed: true, hiClosed: true }]);
      const d = await values((x) => act.derivative(x, ctx), dense);
      dense.forEach((x, i) => expect(d[i] === 0, `${label} at x = ${x}`).toBe(act.flatRegions.some((iv) => inInterval(x, iv))));
    }
  });

  it('the plugin contributes jSquaredReLU and validates its options', () => {
    expect(jSquaredReLU().contributes?.activations?.map((a) => a.name)).toEqual(['j-squared-relu']);
    for (const bad of [{ bounded: 'yes' }, { mix: { steps: 0 } }, { mix: 3000 }, { ramp: 1 }]) {
      expect(() => jSquaredReLU(bad as never), JSON.stringify(bad)).toThrow(PluginInvalidError);
    }
  });
});
