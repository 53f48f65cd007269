import { ConfigError } from '@flatsparse/plugin-api';
import type { LinearOperator } from './operator.js';
import { axpy, dot, norm, orthogonalize, scaled } from './vector-ops.js';

/** The tridiagonal matrix T = Q^T A Q of a Lanczos run and its orthonormal basis Q. */
export interface LanczosRun {
  /** Diagonal of T (length m, the number of steps done). */
  readonly alpha: Float64Array;
  /** Off-diagonal of T (length m - 1). */
  readonly beta: Float64Array;
  /** The Lanczos vectors q_1..q_m (orthonormal; q_1 is the normalised start vector). */
  readonly basis: Float64Array[];
  /** Operator products spent (m). */
  readonly matvecs: number;
}

/**
 * m steps of the Lanczos process on the symmetric operator `op` from `start`, with full
 * reorthogonalisation of every new vector against all previous ones in float64 (Gram-Schmidt twice),
 * which keeps the basis orthonormal (no ghost eigenvalues) at O(m * dim) memory. Stops early when the
 * Krylov space becomes invariant (beta below 1e-10 times the largest |alpha| or beta seen).
 */
export async function lanczos(op: LinearOperator, start: Float64Array, steps: number): Promise<LanczosRun> {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new ConfigError('steps', 'the number of Lanczos steps must be a positive integer.', { received: steps, expected: 'an integer >= 1', fix: 'pass steps such as 20 (it is capped at the dimension).' });
  }
  const m = Math.min(steps, op.dim);
  const length = norm(start);
  if (!(length > 0)) throw new ConfigError('start', 'the Lanczos start vector is zero or not finite.', { received: length, expected: 'a non-zero finite vector', fix: 'draw the start vector from a seeded Rng.' });
  const basis = [scaled(start, 1 / length)];
  const alpha: number[] = [];
  const beta: number[] = [];
  let scale = 0;
  for (let j = 0; j < m; j++) {
    const q = basis[j]!;
    const w = await op.apply(q);
    const a = dot(q, w);
    alpha.push(a);
    scale = Math.max(scale, Math.abs(a));
    if (j === m - 1) break;
    axpy(-a, q, w);
    if (j > 0) axpy(-beta[j - 1]!, basis[j - 1]!, w);
    orthogonalize(w, basis);
    const b = norm(w);
    scale = Math.max(scale, b);
    if (!(b > 1e-10 * scale)) break;
    beta.push(b);
    basis.push(scaled(w, 1 / b));
  }
  return { alpha: Float64Array.from(alpha), beta: Float64Array.from(beta), basis, matvecs: alpha.length };
}
