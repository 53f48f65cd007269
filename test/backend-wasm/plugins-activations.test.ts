import { wasmBackend } from '@flatsparse/backend-wasm';
import { Rng, type ActivationFunction, type Plugin } from '@flatsparse/plugin-api';
import { validatePlugin } from '@flatsparse/plugin-api/host';
import {
  gelu,
  geluActivation,
  relu,
  reluActivation,
  sShapedSquaredRelu,
  sShapedSquaredReluActivation,
  shiftedRelu,
  shiftedReluActivation,
  silu,
  siluActivation,
  squaredRelu,
  squaredReluActivation,
} from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());
// tfjs-core registers no gradients by itself; the trainer loads them lazily, tests load them here.
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');

interface Case {
  readonly label: string;
  readonly fn: ActivationFunction;
  readonly plugin: Plugin;
  /** Inputs where the derivative jumps (finite differences are skipped near them). */
  readonly kinks: readonly number[];
  /** Flat region(s) written out independently of the declarations: sigma'(x) = 0 exactly there. */
  readonly flat: (x: number) => boolean;
  /** Rest value the outputs take on the flat region (undefined when there is none). */
  readonly rest?: number;
}

const F = Math.fround;
const CASES: readonly Case[] = [
  { label: 'relu', fn: reluActivation, plugin: relu(), kinks: [0], flat: (x) => x <= 0, rest: 0 },
  { label: 'gelu (erf)', fn: geluActivation(), plugin: gelu(), kinks: [], flat: () => false },
  { label: 'gelu (tanh)', fn: geluActivation({ approximate: 'tanh' }), plugin: gelu({ approximate: 'tanh' }), kinks: [], flat: () => false },
  { label: 'silu', fn: siluActivation, plugin: silu(), kinks: [], flat: () => false },
  { label: 'squared-relu', fn: squaredReluActivation, plugin: squaredRelu(), kinks: [0], flat: (x) => x <= 0, rest: 0 },
  ...[
    [1.6, -1.6],
    [-1.6, 1.6],
  ].flatMap(([sx, sy]) => [
    {
      label: `shiftedRelu sx=${sx} sy=${sy}`,
      fn: shiftedReluActivation({ sx, sy }),
      plugin: shiftedRelu({ sx, sy }),
      kinks: [sx!],
      flat: (x: number) => x <= F(sx!),
      rest: F(sy!),
    },
    {
      label: `sShapedSquaredRelu sx=${sx} sy=${sy}`,
      fn: sShapedSquaredReluActivation({ sx, sy }),
      plugin: sShapedSquaredRelu({ sx, sy }),
      kinks: [sx! - 1.5, sx! + 1.5],
      flat: (x: number) => x >= sx! - 1.5 + 1e-5 && x <= sx! + 1.5 - 1e-5,
      rest: F(sy!),
    },
  ]),
];

/** 2048 float32 inputs: the kinks, a few exact landmarks, and the rest roughly N(0, 3^2). */
function inputs(c: Case, seed: number): Float32Array {
  const extra = [...c.kinks, 0, 1, -1, 0.5, -4.25];
  const values = new Float32Array(2048);
  values.set(extra);
  values.set(new Rng(seed).fill(2048 - extra.length, (r) => 3 * r.normal()), extra.length);
  return values;
}

async function evaluate(values: Float32Array, f: (x: tf.Tensor) => tf.Tensor): Promise<Float32Array> {
  const x = tf.tensor3d(values, [values.length / 32, 4, 8]);
  const y = f(x);
  const out = (await y.data()) as Float32Array;
  x.dispose();
  y.dispose();
  return out;
}

describe.skipIf(!state.available)('plugins: activations (wasm)', () => {
  describe.each(CASES)('$label', (c) => {
    it('is a valid plugin contributing exactly this activation', () => {
      const plugin = validatePlugin(c.plugin);
      const [contributed, ...rest] = plugin.contributes?.activations ?? [];
      expect(rest).toHaveLength(0);
      expect(contributed?.name).toBe(c.fn.name);
      expect(contributed?.flatRegions).toEqual(c.fn.flatRegions);
      expect(contributed?.restRegions).toEqual(c.fn.restRegions);
      expect(typeof c.fn.reference).toBe('function');
    });

    it('apply matches the float64 reference on random float32 inputs', async () => {
      const values = inputs(c, 1);
      const y = await evaluate(values, (x) => c.fn.apply(x));
      values.forEach((v, i) => {
        const ref = c.fn.reference!(v);
        expect(Math.abs(y[i]! - ref), `x = ${v}`).toBeLessThanOrEqual(2e-6 * (1 + Math.abs(ref)));
      });
    });

    it('derivative matches central differences of the reference away from kinks', async () => {
      const values = inputs(c, 2);
      const d = await evaluate(values, (x) => c.fn.derivative(x));
      const h = 1e-5;
      let checked = 0;
      values.forEach((v, i) => {
        if (c.kinks.some((k) => Math.abs(v - k) < 1e-3)) return;
        const fd = (c.fn.reference!(v + h) - c.fn.reference!(v - h)) / (2 * h);
        expect(Math.abs(d[i]! - fd), `x = ${v}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(fd)));
        checked++;
      });
      expect(checked).toBeGreaterThan(2000);
    });

    it('tf.grad of apply equals derivative (kinks included)', async () => {
      const values = inputs(c, 3);
      const grad = await evaluate(values, (x) => tf.grad((t: tf.Tensor) => c.fn.apply(t))(x));
      const d = await evaluate(values, (x) => c.fn.derivative(x));
      values.forEach((v, i) => expect(Math.abs(grad[i]! - d[i]!), `x = ${v}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(d[i]!))));
    });

    it('derivative is exactly 0 inside the flat regions, nonzero outside; outputs there are at rest', async () => {
      const rng = new Rng(4);
      const values = rng.fill(4096, (r) => 12 * r.uniform() - 6);
      const inside = [...values].filter((v) => c.flat(v));
      const outside = [...values].filter((v) => !c.flat(v) && !c.kinks.some((k) => Math.abs(v - k) < 1e-3));
      if (c.rest === undefined) expect(inside).toHaveLength(0);
      else expect(inside.length).toBeGreaterThan(100);
      const [dIn, yIn, dOut] = await Promise.all([
        evaluate(padded(inside), (x) => c.fn.derivative(x)),
        evaluate(padded(inside), (x) => c.fn.apply(x)),
        evaluate(padded(outside), (x) => c.fn.derivative(x)),
      ]);
      inside.forEach((v, i) => {
        expect(dIn[i], `x = ${v}`).toBe(0);
        expect(yIn[i], `x = ${v}`).toBe(c.rest);
      });
      outside.forEach((v, i) => expect(dOut[i], `x = ${v}`).not.toBe(0));
      // The declarations agree with the independent description of the flat set.
      for (const v of values) expect(c.fn.flatRegions.some((iv) => within(v, iv)), `x = ${v}`).toBe(c.flat(v) || isNearFlatEdge(c, v));
    });

    it('leaks no tensors', () => {
      const x = tf.tensor1d(inputs(c, 5));
      const before = tf.memory().numTensors;
      tf.dispose([c.fn.apply(x), c.fn.derivative(x), tf.grad((t: tf.Tensor) => c.fn.apply(t))(x)]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  });
});

/** Pads to a multiple of 32 (the evaluate helper's shape) with zeros that are ignored. */
function padded(values: readonly number[]): Float32Array {
  const out = new Float32Array(Math.max(32, Math.ceil(values.length / 32) * 32));
  out.set(values);
  return out;
}

function within(v: number, iv: { lo: number; hi: number; loClosed?: boolean; hiClosed?: boolean }): boolean {
  const aboveLo = iv.loClosed === false ? v > iv.lo : v >= iv.lo;
  const belowHi = iv.hiClosed === false ? v < iv.hi : v <= iv.hi;
  return aboveLo && belowHi;
}

/** The S-shaped cases describe their flat set 1e-5 inside the true edges; those edge strips are in the declaration too. */
function isNearFlatEdge(c: Case, v: number): boolean {
  return c.label.startsWith('sShaped') && c.kinks.some((k) => Math.abs(v - k) < 1e-5) && c.fn.flatRegions.some((iv) => within(v, iv));
}
