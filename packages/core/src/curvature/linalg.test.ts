import { describe, expect, it } from 'vitest';
import { Rng } from '@flatsparse/plugin-api';
import { symmetricEigen, tridiagonalEigen } from './linalg.js';

const maxAbs = (values: ArrayLike<number>) => Math.max(...Array.from(values, Math.abs));

/** The 1-D Laplacian tridiag(-1, 2, -1) of size n: eigenvalues 2 - 2 cos(k pi / (n + 1)), eigenvectors sin(j k pi / (n + 1)). */
function laplacian(n: number) {
  const values = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
  const firstComponents = values.map((_, k) => Math.sin(((k + 1) * Math.PI) / (n + 1)) * Math.sqrt(2 / (n + 1)));
  return { alpha: new Array<number>(n).fill(2), beta: new Array<number>(n - 1).fill(-1), values, firstComponents };
}

function randomSymmetric(n: number, seed: number): number[][] {
  const rng = new Rng(seed);
  const a = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i]![j] = a[j]![i] = rng.normal();
  return a;
}

/** max |A v - lambda v| over all pairs, and max |V^T V - I|. */
function residuals(a: readonly number[][], values: Float64Array, vectors: Float64Array[]): { pair: number; orth: number } {
  let pair = 0;
  let orth = 0;
  vectors.forEach((v, j) => {
    a.forEach((row, i) => {
      pair = Math.max(pair, Math.abs(row.reduce((s, x, k) => s + x * v[k]!, 0) - values[j]! * v[i]!));
    });
    vectors.forEach((u, k) => {
      orth = Math.max(orth, Math.abs(u.reduce((s, x, i) => s + x * v[i]!, 0) - (j === k ? 1 : 0)));
    });
  });
  return { pair, orth };
}

describe('tridiagonalEigen', () => {
  it('matches the closed-form spectrum and first eigenvector components of the 1-D Laplacian', () => {
    const { alpha, beta, values, firstComponents } = laplacian(40);
    const eig = tridiagonalEigen(alpha, beta);
    expect(maxAbs(eig.values.map((v, k) => v - values[k]!))).toBeLessThan(1e-13);
    // Eigenvectors are defined up to sign: compare squares (the quadrature weights).
    expect(maxAbs(eig.firstComponents.map((c, k) => c ** 2 - firstComponents[k]! ** 2))).toBeLessThan(1e-14);
  });

  it('returns orthonormal eigenpairs of a random tridiagonal matrix, matching Jacobi', () => {
    const rng = new Rng(3);
    const n = 25;
    const alpha = Array.from({ length: n }, () => rng.normal());
    const beta = Array.from({ length: n - 1 }, () => rng.normal());
    const dense = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? alpha[i]! : Math.abs(i - j) === 1 ? beta[Math.min(i, j)]! : 0)));
    const eig = tridiagonalEigen(alpha, beta);
    const { pair, orth } = residuals(dense, eig.values, eig.vectors);
    expect(pair).toBeLessThan(1e-12);
    expect(orth).toBeLessThan(1e-12);
    expect(maxAbs(eig.firstComponents.map((c, j) => c - eig.vectors[j]![0]!))).toBe(0);
    const reference = symmetricEigen(dense).values;
    expect(maxAbs(eig.values.map((v, k) => v - reference[k]!))).toBeLessThan(1e-12);
  });

  it('handles a split matrix (zero off-diagonal) and a 1 x 1 matrix', () => {
    const eig = tridiagonalEigen([3, 1, 5, 2], [0, 0.5, 0]);
    const middle = [3 - Math.sqrt(4 + 0.25), 3 + Math.sqrt(4 + 0.25)];
    expect([...eig.values].map((v) => +v.toFixed(12))).toEqual([middle[0]!, 2, 3, middle[1]!].map((v) => +v.toFixed(12)));
    expect([...tridiagonalEigen([7], []).values]).toEqual([7]);
    expect(() => tridiagonalEigen([1, 2], [])).toThrow(/off-diagonal/);
  });
});

describe('symmetricEigen (Jacobi)', () => {
  it('diagonalises a random symmetric matrix to working precision', () => {
    const a = randomSymmetric(20, 5);
    const eig = symmetricEigen(a);
    const { pair, orth } = residuals(a, eig.values, eig.vectors);
    expect(pair).toBeLessThan(1e-12);
    expect(orth).toBeLessThan(1e-12);
    // The trace is the sum of the eigenvalues; values ascend.
    expect(Math.abs(eig.values.reduce((s, v) => s + v, 0) - a.reduce((s, row, i) => s + row[i]!, 0))).toBeLessThan(1e-12);
    expect([...eig.values].every((v, i, all) => i === 0 || all[i - 1]! <= v)).toBe(true);
  });

  it('recovers prescribed eigenvalues, repeated ones included', () => {
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    // R diag(2, 2, -1) R^T for a rotation R in the (0, 2) plane.
    const a = [
      [2 * c * c - s * s, 0, 3 * c * s],
      [0, 2, 0],
      [3 * c * s, 0, 2 * s * s - c * c],
    ];
    expect([...symmetricEigen(a).values].map((v) => +v.toFixed(12))).toEqual([-1, 2, 2]);
  });
});
