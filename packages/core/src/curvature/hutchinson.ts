import { type EstimateRandomness, ConfigError, Rng } from '@flatsparse/plugin-api';
import type { LinearOperator } from './operator.js';
import { dot, meanAndStdErr, orthogonalize, orthonormalBasis, rademacher } from './vector-ops.js';

/** Options of `estimateTrace`. */
export interface TraceOptions {
  /** Seed of the Rademacher probes. */
  readonly seed: number;
  /** Operator products to spend (default 30); Hutch++ needs at least 3. */
  readonly probes?: number;
  /** 'hutchinson' (default) or 'hutch++' (Meyer, Musco, Musco and Woodruff 2021). */
  readonly variant?: 'hutchinson' | 'hutch++';
}

/** A trace estimate with its standard error. */
export interface TraceResult {
  /** The estimated trace. */
  readonly trace: number;
  /** Its standard error (see `estimateTrace`); NaN when fewer than two random terms were averaged. */
  readonly stdErr: number;
  /** The averaged random terms z^T A z (Hutch++: those of the residual part). */
  readonly samples: readonly number[];
  /** Hutch++ only: tr(Q^T A Q), the exactly computed part, and the rank of Q. */
  readonly sketch?: { readonly trace: number; readonly rank: number };
  /** Operator products spent. */
  readonly matvecs: number;
  /** `{ trace, traceStdErr }` (the standard error only when it is finite). */
  readonly figures: Readonly<Record<string, number>>;
  /** Seed and number of random probe vectors. */
  readonly randomness: EstimateRandomness;
}

/**
 * Estimates tr(A) of a symmetric operator from Rademacher probes z (seeded): E[z^T A z] = tr(A).
 *
 * Hutchinson: the mean of m terms z^T A z; standard error = sample standard deviation / sqrt(m).
 *
 * Hutch++ (same budget m): k = floor(m / 3) probes S sketch the range, Q = orth(A S); tr(Q^T A Q) is
 * computed exactly (k products), and the rest tr((I - QQ^T) A (I - QQ^T)) by Hutchinson with the
 * remaining m - 2k probes projected off Q. Its standard error is that of the residual Hutchinson part,
 * conditional on the sketch (the sketched part has no variance once S is drawn): the standard
 * deviation of the residual terms / sqrt(m - 2k). It is small when A's spectrum decays fast, which is
 * when Hutch++ beats Hutchinson.
 */
export async function estimateTrace(op: LinearOperator, options: TraceOptions): Promise<TraceResult> {
  const m = options.probes ?? 30;
  const variant = options.variant ?? 'hutchinson';
  const minimum = variant === 'hutch++' ? 3 : 1;
  if (!Number.isInteger(m) || m < minimum) {
    throw new ConfigError('probes', `the ${variant} trace estimator needs an integer number of probes >= ${minimum}.`, { received: m, expected: `an integer >= ${minimum} (30 or more for a useful standard error)`, fix: 'raise probes.' });
  }
  if (variant !== 'hutchinson' && variant !== 'hutch++') {
    throw new ConfigError('variant', `unknown trace estimator '${String(variant)}'.`, { received: variant, expected: "'hutchinson' or 'hutch++'", fix: "use 'hutchinson' or 'hutch++'." });
  }
  const rng = new Rng(options.seed);
  const randomness = { seed: options.seed, probes: m };
  if (variant === 'hutchinson') {
    const samples: number[] = [];
    for (let i = 0; i < m; i++) {
      const z = rademacher(rng, op.dim);
      samples.push(dot(z, await op.apply(z)));
    }
    const { mean, stdErr } = meanAndStdErr(samples);
    return { trace: mean, stdErr, samples, matvecs: m, figures: figures(mean, stdErr), randomness };
  }
  const k = Math.floor(m / 3);
  const sketched: Float64Array[] = [];
  for (let i = 0; i < k; i++) sketched.push(await op.apply(rademacher(rng, op.dim)));
  const q = orthonormalBasis(sketched);
  let sketchTrace = 0;
  for (const column of q) sketchTrace += dot(column, await op.apply(column));
  const samples: number[] = [];
  for (let i = 0; i < m - 2 * k; i++) {
    const y = orthogonalize(rademacher(rng, op.dim), q);
    samples.push(dot(y, await op.apply(y)));
  }
  const residual = meanAndStdErr(samples);
  const trace = sketchTrace + residual.mean;
  return {
    trace,
    stdErr: residual.stdErr,
    samples,
    sketch: { trace: sketchTrace, rank: q.length },
    matvecs: k + q.length + samples.length,
    figures: figures(trace, residual.stdErr),
    randomness,
  };
}

function figures(trace: number, stdErr: number): Record<string, number> {
  return Number.isFinite(stdErr) ? { trace, traceStdErr: stdErr } : { trace };
}
