import type { Interval } from '../interval.js';
import * as tf from '@tensorflow/tfjs-core';

// Fast, exact interval tests in float arithmetic. On wasm every comparison, logical op and bool cast
// is a generic scalar loop (several ms per 800k entries) while subtraction and step run in XNNPACK,
// so "x > c" is computed as step(x - c) (1 where x - c > 0, else 0). For float32 x and c with IEEE
// subtraction with gradual underflow (as WebAssembly has) x - c > 0 holds exactly when x > c,
// infinite x included, so the results equal those of maskInIntervals. A device that flushes
// subnormals to zero can differ only for entries within ~1e-38 of an interval end. One difference
// everywhere: a NaN entry gives NaN (so a NaN figure) where maskInIntervals counts it as outside.

/** step(x - c), skipping the subtraction for c = 0. */
function above(x: tf.Tensor, c: number): tf.Tensor {
  return tf.step(c === 0 ? x : tf.sub(x, c));
}

/** step(c - x): 1 where x < c. */
function below(x: tf.Tensor, c: number): tf.Tensor {
  return tf.step(tf.sub(c, x));
}

/**
 * 1 where x lies outside the interval widened by `tolerance`, else 0 (float32). Closed ends use
 * "outside = x < lo or x > hi"; open ends "outside = x <= lo or x >= hi". The two sides of a
 * non-empty interval never hold together, so their sum is 0 or 1. Returns undefined when the
 * interval is the whole line (nothing is outside).
 */
function outsideOne(x: tf.Tensor, iv: Interval, tolerance: number): tf.Tensor | undefined {
  const lo = Math.fround(iv.lo - tolerance);
  const hi = Math.fround(iv.hi + tolerance);
  const loOpen = iv.loClosed === false;
  const hiOpen = iv.hiClosed === false;
  if (lo > hi || (lo === hi && (loOpen || hiOpen))) return tf.onesLike(x); // empty: everything is outside
  const hasLo = Number.isFinite(lo);
  const hasHi = Number.isFinite(hi);
  if (hasLo && hasHi && lo === -hi && loOpen === hiOpen) {
    // Symmetric around 0: outside = |x| > hi (closed) or |x| >= hi (open).
    return loOpen ? tf.sub(1, below(tf.abs(x), hi)) : above(tf.abs(x), hi);
  }
  const low = hasLo ? (loOpen ? tf.sub(1, above(x, lo)) : below(x, lo)) : undefined;
  const high = hasHi ? (hiOpen ? tf.sub(1, below(x, hi)) : above(x, hi)) : undefined;
  if (low !== undefined && high !== undefined) return tf.add(low, high);
  return low ?? high;
}

/**
 * Float32 indicator (1/0) of the entries of x outside every interval (each widened by `tolerance`);
 * 'all' when there is no interval (everything is outside), 'none' when one covers the whole line.
 */
export function outsideAll(x: tf.Tensor, intervals: readonly Interval[], tolerance: number): tf.Tensor | 'all' | 'none' {
  let out: tf.Tensor | undefined;
  for (const iv of intervals) {
    const one = outsideOne(x, iv, tolerance);
    if (one === undefined) return 'none';
    out = out === undefined ? one : tf.mul(out, one);
  }
  return out ?? 'all';
}

/** Float32 1/0 tensor: 1 where x lies in none of the intervals widened by `tolerance`. Call inside tf.tidy. */
export function outsideIndicator(x: tf.Tensor, intervals: readonly Interval[], tolerance = 0): tf.Tensor {
  const out = outsideAll(x, intervals, tolerance);
  if (out === 'all') return tf.onesLike(x);
  if (out === 'none') return tf.zerosLike(x);
  return out;
}

/** Number of entries of x in any of the intervals widened by `tolerance`, as an exact float32 count. Call inside tf.tidy. */
export function countInside(x: tf.Tensor, intervals: readonly Interval[], tolerance = 0): tf.Scalar {
  const out = outsideAll(x, intervals, tolerance);
  if (out === 'all') return tf.scalar(0);
  if (out === 'none') return tf.scalar(x.size);
  return tf.sub(x.size, tf.sum(out)) as tf.Scalar;
}
