import * as tf from '@tensorflow/tfjs-core';
import type { Interval } from '../interval.js';
import { FusedKernel, hasFusedKernel, runFused } from './fused-kernels.js';
import { outsideAll } from './interval-indicator.js';

// Building blocks of the sparsity metrics that read a layer's captures once: on a backend with the
// fused kernels each is one pass that writes only its small result; elsewhere the same arithmetic in
// plain ops. Results that several metrics of a layer ask for (the counts of a tensor against the same
// intervals, the indicator of the plain path) are computed once per tf.tidy scope and shared.

/** Counts of a tensor's entries against a set of intervals (see `intervalCounts`). */
export interface IntervalCounts {
  /** Entries inside some interval (NaN if any entry is NaN), as a float32 scalar. */
  readonly inside: tf.Scalar;
  /** Per column (last axis): 1 if some row has it outside every interval, else 0 (NaN where the column holds NaN). */
  readonly everOutside: tf.Tensor1D;
}

const shared = new WeakMap<tf.Tensor, Map<string, tf.Tensor | IntervalCounts>>();

function keyOf(kind: string, intervals: readonly Interval[], tolerance: number): string {
  return `${kind}|${intervals.map((iv) => `${iv.lo},${iv.hi},${iv.loClosed !== false},${iv.hiClosed !== false}`).join(';')}|${tolerance}`;
}

/** The cached value for x and key unless its tensors were disposed (their tf.tidy scope ended), else a fresh one. */
function memo<T extends tf.Tensor | IntervalCounts>(x: tf.Tensor, key: string, make: () => T): T {
  let entries = shared.get(x);
  if (entries === undefined) {
    entries = new Map();
    shared.set(x, entries);
  }
  const hit = entries.get(key) as T | undefined;
  const alive = hit !== undefined && (hit instanceof tf.Tensor ? !hit.isDisposed : !hit.inside.isDisposed && !hit.everOutside.isDisposed);
  if (alive) return hit;
  const fresh = make();
  entries.set(key, fresh);
  return fresh;
}

/**
 * The exact float 1/0 indicator of x outside every interval (widened by `tolerance`), shared within a
 * tf.tidy scope. Do not dispose it; call inside tf.tidy.
 */
export function sharedOutsideIndicator(x: tf.Tensor, intervals: readonly Interval[], tolerance = 0): tf.Tensor {
  return memo(x, keyOf('indicator', intervals, tolerance), () => {
    const out = outsideAll(x, intervals, tolerance);
    return out === 'all' ? tf.onesLike(x) : out === 'none' ? tf.zerosLike(x) : out;
  });
}

/**
 * The intervals as the fused kernels take them: (lo, hi, loOpen, hiOpen, empty) per interval, widened
 * and rounded to float32 exactly as the plain-op indicator does; infinite ends have no side.
 */
function encodeIntervals(intervals: readonly Interval[], tolerance: number): number[] {
  return intervals.flatMap((iv) => {
    const lo = Math.fround(iv.lo - tolerance);
    const hi = Math.fround(iv.hi + tolerance);
    const loOpen = iv.loClosed === false && Number.isFinite(lo);
    const hiOpen = iv.hiClosed === false && Number.isFinite(hi);
    const empty = lo > hi || (lo === hi && (iv.loClosed === false || iv.hiClosed === false));
    return [lo, hi, Number(loOpen), Number(hiOpen), Number(empty)];
  });
}

/** Whether some interval covers the whole line (then nothing is outside, as in the plain-op indicator). */
function coversLine(intervals: readonly Interval[], tolerance: number): boolean {
  return intervals.some((iv) => Math.fround(iv.lo - tolerance) === -Infinity && Math.fround(iv.hi + tolerance) === Infinity);
}

/**
 * Counts of x [..., n] against intervals widened by `tolerance`: how many entries lie inside one, and
 * which columns are outside all of them on some row. Shared within a tf.tidy scope (activation
 * sparsity and dead neurons ask for the same counts of `a`): do not dispose the result; call inside tf.tidy.
 */
export function intervalCounts(x: tf.Tensor, intervals: readonly Interval[], tolerance = 0): IntervalCounts {
  return memo(x, keyOf('counts', intervals, tolerance), () => {
    const n = x.shape[x.rank - 1] ?? 1;
    const rows = n === 0 ? 0 : x.size / n;
    if (coversLine(intervals, tolerance)) return { inside: tf.scalar(x.size), everOutside: tf.zeros([n]) as tf.Tensor1D };
    if (x.size > 0 && x.dtype === 'float32' && hasFusedKernel(FusedKernel.IntervalStats)) {
      const [inside, everOutside] = runFused(FusedKernel.IntervalStats, { x }, { intervals: encodeIntervals(intervals, tolerance) }) as [tf.Scalar, tf.Tensor1D];
      return { inside, everOutside };
    }
    const outside = sharedOutsideIndicator(x, intervals, tolerance);
    const inside = tf.sub(x.size, tf.sum(outside)) as tf.Scalar;
    if (rows === 0) return { inside, everOutside: tf.zeros([n]) as tf.Tensor1D };
    // Per column, 1 if outside on some row: a max pool over the rows (on wasm ten times faster than an
    // axis-0 reduction, which transposes first).
    const everOutside = rows === 1 ? tf.reshape(outside, [n]) : tf.reshape(tf.maxPool(tf.reshape(outside, [1, rows, 1, n]) as tf.Tensor4D, [rows, 1], 1, 'valid'), [n]);
    return { inside, everOutside: everOutside as tf.Tensor1D };
  });
}

/** Sum over the last axis of t^2: [..., n] -> [...]. */
export function rowSumSquares(t: tf.Tensor): tf.Tensor {
  if (t.size > 0 && t.rank >= 1 && t.dtype === 'float32' && hasFusedKernel(FusedKernel.RowSumSquares)) return runFused(FusedKernel.RowSumSquares, { x: t })[0]!;
  // t * t: one XNNPACK kernel on wasm, where tf.square is a slower generic loop.
  return tf.sum(tf.mul(t, t), -1);
}

/**
 * Sum over the last axis of (u v)^2 on the entries where x lies outside every interval (widened by
 * `tolerance`): [..., n] -> [...] for u, v and x of one shape. Call inside tf.tidy: the plain path
 * shares the indicator of x, and on a backend with the fused kernel the same pass counts x against the
 * intervals, which a later `intervalCounts(x, intervals, tolerance)` in the scope reuses.
 */
export function maskedRowSumSquares(u: tf.Tensor, v: tf.Tensor, x: tf.Tensor, intervals: readonly Interval[], tolerance = 0): tf.Tensor {
  return maskedSums(u, v, x, intervals, tolerance);
}

/**
 * Sum over the last axis of v^2 on the entries where x lies outside every interval: maskedRowSumSquares
 * with u = 1, without a tensor of ones (for an activation with sigma' = 1 off its flat regions, ReLU).
 * Call inside tf.tidy; shares the counts of x as maskedRowSumSquares does.
 */
export function outsideRowSumSquares(v: tf.Tensor, x: tf.Tensor, intervals: readonly Interval[], tolerance = 0): tf.Tensor {
  return maskedSums(undefined, v, x, intervals, tolerance);
}

function maskedSums(u: tf.Tensor | undefined, v: tf.Tensor, x: tf.Tensor, intervals: readonly Interval[], tolerance: number): tf.Tensor {
  const operands = u === undefined ? [v, x] : [u, v, x];
  const same = operands.every((t) => t.size === x.size && t.shape.length === x.shape.length && t.shape.every((s, i) => s === x.shape[i]));
  const fused = same && x.size > 0 && operands.every((t) => t.dtype === 'float32') && !coversLine(intervals, tolerance) && hasFusedKernel(FusedKernel.MaskedRowSumSquares);
  if (fused) {
    const [sums, inside, everOutside] = runFused(FusedKernel.MaskedRowSumSquares, u === undefined ? { v, x } : { u, v, x }, { intervals: encodeIntervals(intervals, tolerance) });
    // A backend may return the sums only (the counts were added to the kernel's outputs later).
    if (inside !== undefined && everOutside !== undefined) {
      const kept = memo(x, keyOf('counts', intervals, tolerance), () => ({ inside: inside as tf.Scalar, everOutside: everOutside as tf.Tensor1D }));
      if (kept.inside !== inside) tf.dispose([inside, everOutside]);
    }
    return sums!;
  }
  const w = u === undefined ? v : tf.mul(u, v);
  return tf.sum(tf.mul(tf.mul(w, w), sharedOutsideIndicator(x, intervals, tolerance)), -1);
}
