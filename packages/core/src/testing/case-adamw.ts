import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@flatsparse/plugin-api';
import { compareArrays, type CaseResult, type ConformanceCase } from '@flatsparse/plugin-api/testing';
import { AdamW } from '../train/adamw.js';

const fmt = (x: number): string => (Number.isFinite(x) ? x.toExponential(2) : String(x));

const LR = 0.01;
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;
const WD = 0.1;
const SCALE = 0.7;
const STEPS = 3;
const TOL = { atol: 1e-6, rtol: 1e-5 };

interface Param {
  readonly name: string;
  readonly shape: number[];
  readonly values: Float32Array;
  readonly grads: Float32Array[];
}

/** AdamW in float64 over the steps, with the gradient scaled and rank <= 1 exempt from decay, as AdamW's defaults. */
function reference(params: readonly Param[]): Map<string, { p: number[]; m: number[]; v: number[] }> {
  const out = new Map<string, { p: number[]; m: number[]; v: number[] }>();
  for (const { name, shape, values, grads } of params) {
    const wd = shape.length >= 2 ? WD : 0;
    const p = Array.from(values);
    const m = p.map(() => 0);
    const v = p.map(() => 0);
    grads.forEach((g, t) => {
      const bc1 = 1 - BETA1 ** (t + 1);
      const bc2 = 1 - BETA2 ** (t + 1);
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! * SCALE;
        m[i] = BETA1 * m[i]! + (1 - BETA1) * gi;
        v[i] = BETA2 * v[i]! + (1 - BETA2) * gi * gi;
        p[i] = p[i]! - LR * (m[i]! / bc1 / (Math.sqrt(v[i]! / bc2) + EPS) + wd * p[i]!);
      }
    });
    out.set(name, { p, m, v });
  }
  return out;
}

/**
 * AdamW as the trainer calls it (same-shaped parameters grouped, a clipping factor, the non-finite
 * gate): three steps against float64, then a gated-off step that must change no parameter or moment.
 */
export function adamwCase(): ConformanceCase {
  return {
    name: 'model AdamW (grouped, gradient scale, gate)',
    group: 'model',
    run: async (rng: Rng): Promise<CaseResult> => {
      const draw = (n: number): Float32Array => rng.fill(n, (r) => r.normal());
      const params: Param[] = [
        { name: 'a', shape: [3, 4], values: draw(12), grads: [] },
        { name: 'b', shape: [3, 4], values: draw(12), grads: [] },
        { name: 'c', shape: [5], values: draw(5), grads: [] },
      ];
      for (const p of params) for (let t = 0; t < STEPS; t++) p.grads.push(draw(p.values.length));
      const vars = new Map(params.map((p) => [p.name, tf.tidy(() => tf.variable(tf.tensor(p.values, p.shape), true, undefined, 'float32'))]));
      const optimizer = new AdamW({ beta1: BETA1, beta2: BETA2, epsilon: EPS, weightDecay: WD, noDecay: null });
      try {
        for (let t = 0; t <= STEPS; t++) {
          tf.tidy(() => {
            const grads = new Map(params.map((p) => [p.name, tf.tensor(p.grads[Math.min(t, STEPS - 1)]!, p.shape)]));
            const gate = tf.scalar(t < STEPS, 'bool');
            optimizer.update(vars, grads, LR, { gate, gradScale: tf.scalar(SCALE) });
          });
        }
        const expected = reference(params);
        const state = await optimizer.exportState();
        const parts: { label: string; passed: boolean; maxAbsError: number; tolerance: number }[] = [];
        for (const p of params) {
          const want = expected.get(p.name)!;
          const got = { p: await vars.get(p.name)!.data(), m: state.tensors.get(`m/${p.name}`)!.data, v: state.tensors.get(`v/${p.name}`)!.data };
          for (const key of ['p', 'm', 'v'] as const) {
            const c = compareArrays(Array.from(got[key]), want[key], TOL);
            parts.push({ label: `${c.passed ? '' : 'FAIL '}${key}/${p.name} ${fmt(c.maxAbsError)} <= ${fmt(c.tolerance)}`, passed: c.passed, maxAbsError: c.maxAbsError, tolerance: c.tolerance });
          }
        }
        const worst = parts.reduce((a, b) => (b.maxAbsError / b.tolerance > a.maxAbsError / a.tolerance ? b : a));
        return { passed: parts.every((x) => x.passed), maxAbsError: worst.maxAbsError, tolerance: worst.tolerance, detail: `${STEPS} steps, then one gated off: ${parts.map((x) => x.label).join('; ')}` };
      } finally {
        optimizer.dispose();
        for (const v of vars.values()) v.dispose();
      }
    },
  };
}
