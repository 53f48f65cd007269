import { type EstimateRandomness, ConfigError, Rng } from '@flatsparse/plugin-api';
import { lanczos } from './lanczos.js';
import { tridiagonalEigen } from './linalg.js';
import type { LinearOperator } from './operator.js';
import { axpy, dot, gaussian, norm, orthogonalize, scaled } from './vector-ops.js';

/** Options of `topEigenvalues`. */
export interface TopEigenOptions {
  /** Seed of the starting vector(s). */
  readonly seed: number;
  /** How many eigenvalues (default 1). */
  readonly k?: number;
  /** 'lanczos' (default) or 'power' (power iteration with deflation). */
  readonly method?: 'lanczos' | 'power';
  /**
   * Lanczos: 'largest' (default: largest algebraic, the sharpest directions) or 'magnitude' (largest
   * |lambda|). Power iteration always finds the largest |lambda|.
   */
  readonly which?: 'largest' | 'magnitude';
  /** Lanczos: Krylov dimension (default max(20, 3k), capped at the dimension). */
  readonly steps?: number;
  /** Power iteration: products per eigenvalue at most (default 100). */
  readonly maxIterations?: number;
  /** Power iteration: stop when two successive Rayleigh quotients differ by at most this times |lambda| (default 1e-4). */
  readonly tolerance?: number;
}

/** Top-k eigenpairs with their residuals. */
export interface TopEigenResult {
  /** Eigenvalue estimates, in the order asked for (descending, or by descending magnitude). */
  readonly values: readonly number[];
  /**
   * ||A v - lambda v|| of each unit vector v, from a product with the operator: some eigenvalue of A
   * lies within it of lambda (for symmetric A), so it is each value's error bar.
   */
  readonly residuals: readonly number[];
  /** Unit eigenvector estimates (float64, length dim). */
  readonly vectors: readonly Float64Array[];
  /** Operator products spent. */
  readonly matvecs: number;
  /** Power iteration: whether each eigenvalue met the tolerance within maxIterations. */
  readonly converged?: readonly boolean[];
  /** `{ lambda1, lambda1Residual, lambda2, ... }`. */
  readonly figures: Readonly<Record<string, number>>;
  /** Seed and number of random starting vectors. */
  readonly randomness: EstimateRandomness;
}

/**
 * The k largest eigenvalues of a symmetric operator.
 *
 * Lanczos (default): `steps` Lanczos steps with full float64 reorthogonalisation from a seeded Gaussian
 * vector, then the Ritz pairs of the tridiagonal matrix (implicit QL); each Ritz vector is multiplied
 * by the operator once more for its true residual (k extra products), which also covers the noise of
 * finite-difference products.
 *
 * Power iteration: for i = 1..k, iterate v <- P A v / ||P A v|| where P projects off the eigenvectors
 * already found (deflation), from a seeded Gaussian vector, until the Rayleigh quotient settles; the
 * residual comes from the last product. Converges at rate |lambda_{i+1} / lambda_i|: slow for close
 * eigenvalues, where Lanczos is the better choice.
 */
export async function topEigenvalues(op: LinearOperator, options: TopEigenOptions): Promise<TopEigenResult> {
  const k = options.k ?? 1;
  if (!Number.isInteger(k) || k < 1 || k > op.dim) {
    throw new ConfigError('k', `the number of eigenvalues must be an integer in [1, ${op.dim}].`, { received: k, expected: `an integer in [1, ${op.dim}] (the dimension)`, fix: 'ask for fewer eigenvalues, or widen the parameter filter.' });
  }
  const method = options.method ?? 'lanczos';
  if (method !== 'lanczos' && method !== 'power') {
    throw new ConfigError('method', `unknown eigenvalue method '${String(method)}'.`, { received: method, expected: "'lanczos' or 'power'", fix: "use 'lanczos' (default) or 'power'." });
  }
  const rng = new Rng(options.seed);
  const result = method === 'lanczos' ? await lanczosTop(op, rng, k, options) : await powerTop(op, rng, k, options);
  const figures: Record<string, number> = {};
  result.values.forEach((value, i) => {
    figures[`lambda${i + 1}`] = value;
    figures[`lambda${i + 1}Residual`] = result.residuals[i]!;
  });
  return { ...result, figures, randomness: { seed: options.seed, probes: method === 'lanczos' ? 1 : k } };
}

type Pairs = Omit<TopEigenResult, 'figures' | 'randomness'>;

async function lanczosTop(op: LinearOperator, rng: Rng, k: number, options: TopEigenOptions): Promise<Pairs> {
  const steps = options.steps ?? Math.max(20, 3 * k);
  const run = await lanczos(op, gaussian(rng, op.dim), steps);
  const ritz = tridiagonalEigen(run.alpha, run.beta);
  const byMagnitude = options.which === 'magnitude';
  const order = [...ritz.values.keys()].sort((a, b) => (byMagnitude ? Math.abs(ritz.values[b]!) - Math.abs(ritz.values[a]!) : ritz.values[b]! - ritz.values[a]!));
  if (order.length < k) {
    throw new ConfigError('k', `the Krylov space became invariant after ${order.length} steps, fewer than the ${k} eigenvalues asked for.`, { received: k, expected: `at most ${order.length}`, fix: 'ask for fewer eigenvalues (the operator has low rank), or use another seed.' });
  }
  const values: number[] = [];
  const residuals: number[] = [];
  const vectors: Float64Array[] = [];
  for (const j of order.slice(0, k)) {
    const s = ritz.vectors[j]!;
    const v = new Float64Array(op.dim);
    run.basis.forEach((q, i) => axpy(s[i]!, q, v));
    const unit = scaled(v, 1 / norm(v));
    const av = await op.apply(unit);
    const lambda = dot(unit, av);
    values.push(lambda);
    residuals.push(norm(axpy(-lambda, unit, av)));
    vectors.push(unit);
  }
  return { values, residuals, vectors, matvecs: run.matvecs + k };
}

async function powerTop(op: LinearOperator, rng: Rng, k: number, options: TopEigenOptions): Promise<Pairs> {
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-4;
  const values: number[] = [];
  const residuals: number[] = [];
  const vectors: Float64Array[] = [];
  const converged: boolean[] = [];
  let matvecs = 0;
  for (let i = 0; i < k; i++) {
    let v = orthogonalize(gaussian(rng, op.dim), vectors);
    v = scaled(v, 1 / norm(v));
    let lambda = Number.NaN;
    let residual = Number.NaN;
    let settled = false;
    for (let iteration = 0; iteration < maxIterations; iteration++) {
      const av = await op.apply(v);
      matvecs++;
      const next = dot(v, av);
      residual = norm(axpy(-next, v, Float64Array.from(av)));
      settled = Math.abs(next - lambda) <= tolerance * Math.abs(next);
      lambda = next;
      if (settled) break;
      const w = orthogonalize(av, vectors);
      const length = norm(w);
      if (!(length > 0)) break;
      v = scaled(w, 1 / length);
    }
    values.push(lambda);
    residuals.push(residual);
    vectors.push(v);
    converged.push(settled);
  }
  return { values, residuals, vectors, matvecs, converged };
}
