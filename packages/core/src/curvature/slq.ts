import { type EstimateCurve, type EstimateRandomness, ConfigError, Rng } from '@flatsparse/plugin-api';
import { lanczos } from './lanczos.js';
import { tridiagonalEigen } from './linalg.js';
import type { LinearOperator } from './operator.js';
import { meanAndStdErr, rademacher } from './vector-ops.js';

/** Options of `spectralDensity`. */
export interface SlqOptions {
  /** Seed of the Rademacher probes. */
  readonly seed: number;
  /** Number of probe vectors (default 4). */
  readonly probes?: number;
  /** Lanczos steps per probe (default 30, capped at the dimension): the number of quadrature nodes. */
  readonly steps?: number;
  /** Grid points of the density curve (default 256). */
  readonly gridSize?: number;
  /** Standard deviation of the Gaussian kernel (default: 1% of the node range; see `spectralDensity`). */
  readonly sigma?: number;
}

/** A spectral density estimate by stochastic Lanczos quadrature. */
export interface SlqResult {
  /** Quadrature nodes per probe (Ritz values, ascending). */
  readonly nodes: readonly Float64Array[];
  /** Quadrature weights per probe (squared first components of the Ritz vectors; each sums to 1). */
  readonly weights: readonly Float64Array[];
  /** The Gaussian-smoothed density on an even grid covering the nodes plus 5 sigma either side. */
  readonly density: EstimateCurve;
  /** Kernel width used. */
  readonly sigma: number;
  /** Operator products spent. */
  readonly matvecs: number;
  /**
   * `trace` (dim * sum of weight * node, averaged over probes; equals Hutchinson on the same probes),
   * `traceStdErr` (over probes, when there are at least two), `lambdaMax` and `lambdaMin` (the extreme
   * nodes: Ritz values, inside the spectrum, converging to its ends first).
   */
  readonly figures: Readonly<Record<string, number>>;
  /** Seed and number of probes. */
  readonly randomness: EstimateRandomness;
}

/**
 * The spectral density of a symmetric operator by stochastic Lanczos quadrature (Ghorbani, Krishnan
 * and Xiao 2019, after Lin, Saad and Yang 2016): for each seeded Rademacher probe z, m Lanczos steps
 * from z / ||z|| give a tridiagonal T whose eigenvalues theta_k and squared first eigenvector entries
 * tau_k are an m-node Gauss quadrature of the spectral measure seen from z; averaging over probes,
 * phi(t) = mean_probes sum_k tau_k g_sigma(t - theta_k), with g_sigma the normal density. The density
 * integrates to 1 (it is the density of eigenvalues divided by dim). sigma defaults to 1% of
 * (lambdaMax - lambdaMin) (or 1e-3 * max(|lambda|, 1) when the nodes coincide); pass `sigma` to compare
 * curves on the same scale across checkpoints.
 */
export async function spectralDensity(op: LinearOperator, options: SlqOptions): Promise<SlqResult> {
  const probes = options.probes ?? 4;
  const gridSize = options.gridSize ?? 256;
  if (!Number.isInteger(probes) || probes < 1) {
    throw new ConfigError('probes', 'spectral density needs an integer number of probes >= 1.', { received: probes, expected: 'an integer >= 1', fix: 'pass probes such as 4.' });
  }
  if (!Number.isInteger(gridSize) || gridSize < 2) {
    throw new ConfigError('gridSize', 'the density grid needs at least 2 points.', { received: gridSize, expected: 'an integer >= 2', fix: 'pass gridSize such as 256.' });
  }
  if (options.sigma !== undefined && !(options.sigma > 0)) {
    throw new ConfigError('sigma', 'the kernel width must be positive.', { received: options.sigma, expected: 'a positive number', fix: 'omit sigma to use 1% of the spectral range.' });
  }
  const rng = new Rng(options.seed);
  const nodes: Float64Array[] = [];
  const weights: Float64Array[] = [];
  const traces: number[] = [];
  let matvecs = 0;
  for (let p = 0; p < probes; p++) {
    const run = await lanczos(op, rademacher(rng, op.dim), options.steps ?? 30);
    matvecs += run.matvecs;
    const eig = tridiagonalEigen(run.alpha, run.beta);
    const tau = eig.firstComponents.map((c) => c * c);
    nodes.push(eig.values);
    weights.push(tau);
    traces.push(op.dim * eig.values.reduce((s, theta, k) => s + tau[k]! * theta, 0));
  }
  const all = nodes.flatMap((n) => [...n]);
  const lambdaMin = Math.min(...all);
  const lambdaMax = Math.max(...all);
  const range = lambdaMax - lambdaMin;
  const sigma = options.sigma ?? (range > 0 ? 0.01 * range : 1e-3 * Math.max(Math.abs(lambdaMax), 1));
  const lo = lambdaMin - 5 * sigma;
  const dx = (lambdaMax + 5 * sigma - lo) / (gridSize - 1);
  const x = Array.from({ length: gridSize }, (_, i) => lo + i * dx);
  const norming = 1 / (probes * sigma * Math.sqrt(2 * Math.PI));
  const y = x.map((t) => {
    let s = 0;
    nodes.forEach((theta, p) => theta.forEach((node, k) => (s += weights[p]![k]! * Math.exp(-0.5 * ((t - node) / sigma) ** 2))));
    return s * norming;
  });
  const { mean, stdErr } = meanAndStdErr(traces);
  const figures: Record<string, number> = { trace: mean, lambdaMax, lambdaMin };
  if (Number.isFinite(stdErr)) figures.traceStdErr = stdErr;
  return { nodes, weights, density: { x, y }, sigma, matvecs, figures, randomness: { seed: options.seed, probes } };
}
