import * as tf from '@tensorflow/tfjs-core';

/**
 * A closed/open real interval, used by activations to declare where their derivative is zero (flat
 * regions, in pre-activation space) and which outputs count as inactive (rest regions, in output
 * space). Infinite ends are written as -Infinity / Infinity and are always open.
 */
export interface Interval {
  /** Lower end (may be -Infinity). */
  readonly lo: number;
  /** Upper end (may be Infinity). */
  readonly hi: number;
  /** Whether `lo` belongs to the interval (default true for finite ends). */
  readonly loClosed?: boolean;
  /** Whether `hi` belongs to the interval (default true for finite ends). */
  readonly hiClosed?: boolean;
}

/** Builds an interval; `interval(-Infinity, 0)` is (-inf, 0]. */
export function interval(lo: number, hi: number, loClosed = true, hiClosed = true): Interval {
  return { lo, hi, loClosed, hiClosed };
}

/** Whether a plain number lies in the interval (reference used by tests and by JS-side code). */
export function inInterval(value: number, iv: Interval, tolerance = 0): boolean {
  const lo = iv.lo - tolerance;
  const hi = iv.hi + tolerance;
  const aboveLo = iv.loClosed === false ? value > lo : value >= lo;
  const belowHi = iv.hiClosed === false ? value < hi : value <= hi;
  return aboveLo && belowHi;
}

/**
 * Boolean tensor: true where `x` lies in any of the intervals, widened by `tolerance` on both ends.
 * Pure tfjs ops, so it runs on the device of whatever backend is active.
 */
export function maskInIntervals(x: tf.Tensor, intervals: readonly Interval[], tolerance = 0): tf.Tensor {
  return tf.tidy(() => {
    let mask: tf.Tensor = tf.cast(tf.zerosLike(x), 'bool');
    for (const iv of intervals) {
      const lo = iv.lo - tolerance;
      const hi = iv.hi + tolerance;
      let inside: tf.Tensor = tf.cast(tf.onesLike(x), 'bool');
      if (Number.isFinite(lo)) inside = tf.logicalAnd(inside, iv.loClosed === false ? tf.greater(x, lo) : tf.greaterEqual(x, lo));
      if (Number.isFinite(hi)) inside = tf.logicalAnd(inside, iv.hiClosed === false ? tf.less(x, hi) : tf.lessEqual(x, hi));
      mask = tf.logicalOr(mask, inside);
    }
    return mask;
  });
}
