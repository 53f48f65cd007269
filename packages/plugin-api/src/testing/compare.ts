/** Tolerance of a comparison: |actual - expected| <= atol + rtol * max|expected| (norm-wise). */
export interface Tolerance {
  /** Absolute part. */
  readonly atol: number;
  /** Relative part, scaled by the largest magnitude in the expected values. */
  readonly rtol: number;
}

/** Result of `compareArrays`. */
export interface Comparison {
  /** Whether every element was within the tolerance (and lengths matched, and NaNs lined up). */
  readonly passed: boolean;
  /** max |actual - expected| (Infinity on a length mismatch or a NaN/Infinity where none was expected). */
  readonly maxAbsError: number;
  /** max |actual - expected| / max(|expected|, tiny), elementwise (informational). */
  readonly maxRelError: number;
  /** atol + rtol * max|expected|: the bound maxAbsError is held to. */
  readonly tolerance: number;
  /** Index of the element with the largest absolute error (-1 if none). */
  readonly worstIndex: number;
}

/**
 * Compares two arrays with a norm-wise tolerance: the bound is atol + rtol * max|expected|, so a
 * float32 computation whose terms are as large as the largest output passes, while a wrong kernel
 * (errors of order 1e-3 relative or more with the usual tolerances) fails. NaN matches NaN and an
 * infinity matches the same infinity; anything else non-finite counts as an infinite error.
 */
export function compareArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): Comparison {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (Number.isFinite(e)) scale = Math.max(scale, Math.abs(e));
  }
  const tolerance = tol.atol + tol.rtol * scale;
  if (actual.length !== expected.length) return { passed: false, maxAbsError: Infinity, maxRelError: Infinity, tolerance, worstIndex: -1 };
  let maxAbsError = 0;
  let maxRelError = 0;
  let worstIndex = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    let err: number;
    if (Number.isNaN(e) || Number.isNaN(a)) err = Number.isNaN(e) && Number.isNaN(a) ? 0 : Infinity;
    else if (!Number.isFinite(e) || !Number.isFinite(a)) err = a === e ? 0 : Infinity;
    else err = Math.abs(a - e);
    if (err > maxAbsError || worstIndex < 0) {
      maxAbsError = err;
      worstIndex = i;
    }
    const rel = err === 0 ? 0 : err / Math.max(Math.abs(e), 1e-30);
    if (rel > maxRelError) maxRelError = rel;
  }
  return { passed: maxAbsError <= tolerance, maxAbsError, maxRelError, tolerance, worstIndex };
}

/** Formats a number compactly for reports. */
export function fmt(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2) : String(x);
}
