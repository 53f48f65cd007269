import { ConfigError } from '@flatsparse/plugin-api';

/** Eigenvalues (ascending) and unit eigenvectors (`vectors[j]` belongs to `values[j]`) of a symmetric matrix. */
export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  readonly values: Float64Array;
  /** Orthonormal eigenvectors, aligned with `values`. */
  readonly vectors: Float64Array[];
}

const EPS = 2 ** -52;
const MAX_QL_ITERATIONS = 60;
const MAX_JACOBI_SWEEPS = 100;

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `alpha` (length m) and
 * off-diagonal `beta` (length m - 1), by the implicit QL method with Wilkinson-type shifts
 * (Numerical Recipes' tqli). `firstComponents[j]` is the first entry of eigenvector j: for a Lanczos
 * matrix, its square is the Gauss quadrature weight of node `values[j]`.
 */
export function tridiagonalEigen(alpha: ArrayLike<number>, beta: ArrayLike<number>): SymmetricEigen & { readonly firstComponents: Float64Array } {
  const n = alpha.length;
  if (beta.length !== Math.max(0, n - 1)) {
    throw new ConfigError('beta', `a tridiagonal matrix with ${n} diagonal entries needs ${Math.max(0, n - 1)} off-diagonal ones.`, { received: beta.length, expected: `${Math.max(0, n - 1)}`, fix: 'pass alpha of length m and beta of length m - 1.' });
  }
  const d = Float64Array.from(alpha);
  const e = new Float64Array(n);
  e.set(Array.from(beta));
  // z[k][i]: entry k of eigenvector i (the columns accumulate the rotations).
  const z = Array.from({ length: n }, (_, k) => {
    const row = new Float64Array(n);
    row[k] = 1;
    return row;
  });
  for (let l = 0; l < n; l++) {
    for (let iteration = 0; ; iteration++) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= EPS * dd) break;
      }
      if (m === l) break;
      if (iteration === MAX_QL_ITERATIONS) throw new Error(`tridiagonalEigen: no convergence after ${MAX_QL_ITERATIONS} QL iterations (non-finite input?)`);
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let deflated = false;
      for (let i = m - 1; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1]! -= p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        for (const row of z) {
          const t = row[i + 1]!;
          row[i + 1] = s * row[i]! + c * t;
          row[i] = c * row[i]! - s * t;
        }
      }
      if (deflated) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  const order = [...d.keys()].sort((a, b) => d[a]! - d[b]!);
  return {
    values: Float64Array.from(order, (j) => d[j]!),
    vectors: order.map((j) => Float64Array.from(z, (row) => row[j]!)),
    firstComponents: Float64Array.from(order, (j) => z[0]![j]!),
  };
}

/**
 * Eigen-decomposition of a dense symmetric matrix (rows of length n) by the cyclic Jacobi method:
 * slow (O(n^3) per sweep) but accurate to working precision, so used as the float64 reference of the
 * curvature tests and for small dense problems. Only the upper triangle is read.
 */
export function symmetricEigen(matrix: readonly ArrayLike<number>[]): SymmetricEigen {
  const n = matrix.length;
  const a = matrix.map((row, i) => Float64Array.from({ length: n }, (_, j) => (j >= i ? row[j]! : matrix[j]![i]!)));
  const v = Array.from({ length: n }, (_, k) => {
    const row = new Float64Array(n);
    row[k] = 1;
    return row;
  });
  const scale = Math.max(1e-300, ...a.map((row) => Math.max(...row.map(Math.abs))));
  for (let sweep = 0; ; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (Math.sqrt(off) <= EPS * scale * n) break;
    if (sweep === MAX_JACOBI_SWEEPS) throw new Error(`symmetricEigen: no convergence after ${MAX_JACOBI_SWEEPS} Jacobi sweeps (non-finite input?)`);
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (apq === 0) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (const row of v) {
          const vp = row[p]!;
          const vq = row[q]!;
          row[p] = c * vp - s * vq;
          row[q] = s * vp + c * vq;
        }
      }
    }
  }
  const order = [...Array(n).keys()].sort((i, j) => a[i]![i]! - a[j]![j]!);
  return { values: Float64Array.from(order, (i) => a[i]![i]!), vectors: order.map((j) => Float64Array.from(v, (row) => row[j]!)) };
}
