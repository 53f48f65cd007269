import * as tf from '@tensorflow/tfjs-core';
import type { ActivationContext, ActivationFunction } from '../activation-function.js';
import { inInterval, type Interval } from '../interval.js';
import type { Rng } from '../random.js';
import { countTensors } from '../tensor-leaks.js';
import { compareArrays, fmt } from './compare.js';

/** apply vs reference: float32 against float64, norm-wise (atol + rtol * max|reference|). */
const REFERENCE_TOL = { atol: 1e-5, rtol: 1e-5 };
/** derivative vs Richardson-extrapolated central differences of apply in float32 (h = 0.02): rounding dominates. */
const DERIVATIVE_TOL = { atol: 2e-3, rtol: 2e-3 };
/** |derivative| allowed at points inside a declared flat region. */
const FLAT_TOL = 1e-6;
const H = 0.02;
const CONTEXTS: readonly ActivationContext[] = [{ step: 0, training: true }, { step: 100_000, training: false }];

async function evaluate(fn: (x: tf.Tensor) => tf.Tensor, points: readonly number[]): Promise<number[]> {
  const out = tf.tidy(() => {
    const x = tf.tensor1d([...points]);
    const y = fn(x);
    if (y.shape.join(',') !== x.shape.join(',')) throw new Error(`returned shape [${y.shape.join(', ')}] for input shape [${x.shape.join(', ')}]`);
    return tf.cast(y, 'float32');
  });
  try {
    return Array.from(await out.data());
  } finally {
    out.dispose();
  }
}

/** Points inside each flat region (closed finite ends included), 8 per region. */
export function sampleFlatPoints(regions: readonly Interval[], rng: Rng): number[] {
  return regions.flatMap((iv) => {
    const lo = Number.isFinite(iv.lo) ? iv.lo : Number.isFinite(iv.hi) ? iv.hi - 6 : -6;
    const hi = Number.isFinite(iv.hi) ? iv.hi : lo + 6;
    const inner = Array.from({ length: 8 }, () => Math.fround(lo + 1e-3 + (hi - lo - 2e-3) * rng.uniform())).filter((v) => v > iv.lo && v < iv.hi);
    const ends = [Number.isFinite(iv.lo) && iv.loClosed !== false ? [iv.lo] : [], Number.isFinite(iv.hi) && iv.hiClosed !== false ? [iv.hi] : []].flat();
    return [...inner, ...ends];
  });
}

/**
 * Checks an activation: apply matches its float64 `reference` (if any), `derivative` matches central
 * differences of `apply` (Richardson-extrapolated from h and h/2; points where the two disagree sit on
 * a kink and are skipped, at most a quarter of them), the derivative is 0 inside every flat region
 * and, for an activation that declares `unitSlope`, exactly 1 outside them, output shapes match input
 * shapes, and no tensor is left behind.
 */
export async function checkActivation(act: ActivationFunction, rng: Rng): Promise<{ passed: boolean; detail: string }> {
  const before = countTensors();
  const problems: string[] = [];
  const notes: string[] = [];
  const kinks = act.flatRegions.flatMap((iv) => [iv.lo, iv.hi]).filter(Number.isFinite);
  const points = Array.from({ length: 48 }, () => Math.fround(3 * rng.normal())).filter((x) => kinks.every((k) => Math.abs(x - k) > 4 * H));
  const flatPoints = sampleFlatPoints(act.flatRegions, rng);
  for (const ctx of CONTEXTS) {
    const at = `(step ${ctx.step}, training ${ctx.training})`;
    const apply = (x: tf.Tensor): tf.Tensor => act.apply(x, ctx);
    if (act.reference) {
      const got = await evaluate(apply, points);
      const c = compareArrays(got, points.map((x) => act.reference!(x, ctx)), REFERENCE_TOL);
      (c.passed ? notes : problems).push(`apply vs reference ${at}: ${fmt(c.maxAbsError)} <= ${fmt(c.tolerance)}${c.passed ? '' : ` at x = ${points[c.worstIndex]}`}`);
    }
    const shifted = (d: number): number[] => points.map((x) => x + d);
    const [p1, m1, p2, m2] = await Promise.all([H, -H, H / 2, -H / 2].map((d) => evaluate(apply, shifted(d))));
    const d1 = points.map((_, i) => (p1![i]! - m1![i]!) / (2 * H));
    const d2 = points.map((_, i) => (p2![i]! - m2![i]!) / H);
    const scale = Math.max(...d2.map(Math.abs), 0);
    const smooth = points.map((_, i) => Math.abs(d1[i]! - d2[i]!) <= DERIVATIVE_TOL.atol + DERIVATIVE_TOL.rtol * scale);
    const kept = points.filter((_, i) => smooth[i]);
    const numeric = d1.map((v, i) => (4 * d2[i]! - v) / 3).filter((_, i) => smooth[i]);
    if (kept.length < 0.75 * points.length) problems.push(`apply ${at} is not differentiable at ${points.length - kept.length} of ${points.length} sampled points`);
    const derivative = await evaluate((x) => act.derivative(x, ctx), kept);
    const c = compareArrays(derivative, numeric, DERIVATIVE_TOL);
    (c.passed ? notes : problems).push(
      `derivative vs central differences of apply ${at}: ${fmt(c.maxAbsError)} <= ${fmt(c.tolerance)}${c.passed ? '' : ` at x = ${kept[c.worstIndex]} (derivative ${derivative[c.worstIndex]}, differences ${numeric[c.worstIndex]})`}`,
    );
    if (flatPoints.length) {
      const flat = await evaluate((x) => act.derivative(x, ctx), flatPoints);
      const worst = flat.reduce((w, v, i) => (Math.abs(v) > Math.abs(flat[w]!) ? i : w), 0);
      const ok = Math.abs(flat[worst]!) <= FLAT_TOL;
      (ok ? notes : problems).push(`derivative inside flat regions ${at}: max |sigma'| ${fmt(Math.abs(flat[worst]!))}${ok ? '' : ` at x = ${flatPoints[worst]}`}`);
    }
    if (act.unitSlope) {
      const off = points.filter((x) => !act.flatRegions.some((iv) => inInterval(x, iv)));
      const slopes = await evaluate((x) => act.derivative(x, ctx), off);
      const bad = slopes.findIndex((v) => v !== 1);
      if (off.length === 0) problems.push(`unitSlope ${at}: no sampled point lies outside the flat regions`);
      else (bad < 0 ? notes : problems).push(`unitSlope ${at}: sigma' = 1 at ${off.length} points outside the flat regions${bad < 0 ? '' : `, but ${slopes[bad]} at x = ${off[bad]} (declare unitSlope only if sigma' is exactly 1 off the flat regions)`}`);
    }
  }
  const leaked = countTensors() - before;
  if (leaked > 0) problems.push(`apply/derivative leaked ${leaked} tensor(s)`);
  return { passed: problems.length === 0, detail: (problems.length ? problems : notes).join('; ') };
}
