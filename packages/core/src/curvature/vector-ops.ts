import type { Rng } from '@flatsparse/plugin-api';

/** Dot product of two float64 vectors of equal length. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Euclidean norm. */
export function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

/** y += alpha * x, in place; returns y. */
export function axpy(alpha: number, x: Float64Array, y: Float64Array): Float64Array {
  for (let i = 0; i < y.length; i++) y[i]! += alpha * x[i]!;
  return y;
}

/** a * alpha as a new vector. */
export function scaled(a: Float64Array, alpha: number): Float64Array {
  return a.map((x) => x * alpha);
}

/** n independent Rademacher signs (+1 or -1 with probability 1/2 each), one random bit each. */
export function rademacher(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  let bits = 0;
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0) bits = rng.nextUint32();
    out[i] = bits & 1 ? 1 : -1;
    bits >>>= 1;
  }
  return out;
}

/** n independent standard normal values. */
export function gaussian(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/**
 * Removes from `v` (in place) its components along the orthonormal `basis`, twice (classical
 * Gram-Schmidt with one reorthogonalisation: orthogonal to working precision); returns v.
 */
export function orthogonalize(v: Float64Array, basis: readonly Float64Array[]): Float64Array {
  for (let pass = 0; pass < 2; pass++) {
    for (const q of basis) axpy(-dot(q, v), q, v);
  }
  return v;
}

/**
 * An orthonormal basis of the span of `columns` (Gram-Schmidt with reorthogonalisation); columns whose
 * remaining norm falls below `relTol` times their original norm are dropped as linearly dependent.
 */
export function orthonormalBasis(columns: readonly Float64Array[], relTol = 1e-10): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const column of columns) {
    const original = norm(column);
    if (original === 0) continue;
    const v = orthogonalize(Float64Array.from(column), basis);
    const remaining = norm(v);
    if (remaining > relTol * original) basis.push(scaled(v, 1 / remaining));
  }
  return basis;
}

/** Sample mean and standard error of the mean (sample standard deviation / sqrt(m); NaN for m < 2). */
export function meanAndStdErr(samples: readonly number[]): { mean: number; stdErr: number } {
  const m = samples.length;
  const mean = samples.reduce((a, b) => a + b, 0) / m;
  if (m < 2) return { mean, stdErr: Number.NaN };
  const variance = samples.reduce((a, x) => a + (x - mean) ** 2, 0) / (m - 1);
  return { mean, stdErr: Math.sqrt(variance / m) };
}
