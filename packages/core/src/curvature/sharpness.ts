import { z } from 'zod';
import { type FlatnessEstimate, type FlatnessInput, Rng, parseOptions } from '@flatsparse/plugin-api';
import { LossEvaluator } from './loss-evaluator.js';
import { readParams, setParams, snapshotParams, type ParamFilter } from './param-vector.js';
import { axpy, gaussian, meanAndStdErr, norm } from './vector-ops.js';

/** Options of `estimateWorstCaseSharpness`. */
export interface WorstCaseSharpnessOptions {
  /** Radius of the ball (default 0.05). */
  readonly rho?: number;
  /** Projected normalised-gradient ascent steps (default 1: the SAM estimate). */
  readonly steps?: number;
  /** Measure the ball in ASAM's scale: ||e / T_w|| <= rho with T_w = |w| + eta (default false). */
  readonly adaptive?: boolean;
  /** eta of T_w (default 0.01; ignored without `adaptive`). */
  readonly eta?: number;
  /** Parameters the perturbation covers (overrides the input's filter; default: every trainable one). */
  readonly filter?: ParamFilter;
}

/** Options of `estimateAverageSharpness`. */
export interface AverageSharpnessOptions {
  /** Standard deviation of the weight noise (default 0.01). */
  readonly sigma?: number;
  /** Noise draws (default 16, at least 2 for a standard error). */
  readonly samples?: number;
  /** Noise proportional to the weights: w + sigma |w| eps (default false: w + sigma eps). */
  readonly relative?: boolean;
  /** Evaluate each draw at +eps and -eps and average the two (default true; see `estimateAverageSharpness`). */
  readonly antithetic?: boolean;
  /** Parameters the noise covers (overrides the input's filter; default: every trainable one). */
  readonly filter?: ParamFilter;
}

/** Worst-case sharpness: figures `worstCaseSharpness`, `lossAtMax` and `loss`; `randomness` only after a random start. */
export interface WorstCaseSharpnessEstimate extends FlatnessEstimate {
  readonly figures: {
    /** max over the visited points w + e of L(w + e) - L(w). */
    readonly worstCaseSharpness: number;
    /** The largest loss found in the ball. */
    readonly lossAtMax: number;
    /** L(w). */
    readonly loss: number;
  };
  /** Ascent steps taken (fewer than asked when the gradient vanished or was not finite). */
  readonly ascentSteps: number;
}

/** Average-case sharpness: figures `averageSharpness`, `averageSharpnessStdErr`, `averageSharpnessLo`/`Hi` (95%) and `loss`. */
export interface AverageSharpnessEstimate extends FlatnessEstimate {
  readonly figures: {
    /** Mean over the draws of L(w + noise) - L(w). */
    readonly averageSharpness: number;
    /** Standard error of that mean (sample standard deviation / sqrt(samples)). */
    readonly averageSharpnessStdErr: number;
    /** Lower end of the 95% confidence interval. */
    readonly averageSharpnessLo: number;
    /** Upper end of the 95% confidence interval. */
    readonly averageSharpnessHi: number;
    /** L(w). */
    readonly loss: number;
  };
  /** How the interval is built: mean +- t(0.975, samples - 1) x stdErr, Student's t with samples - 1 degrees of freedom. */
  readonly interval: 'student-t';
  /** The randomness of the draws. */
  readonly randomness: { readonly seed: number; readonly probes: number };
}

const filterSchema = z.custom<ParamFilter>((v) => typeof v === 'string' || v instanceof RegExp || typeof v === 'function', {
  message: 'must be a RegExp source string, a RegExp or a predicate on parameter names',
});
const worstSchema = z.strictObject({
  rho: z.number().positive().finite().default(0.05),
  steps: z.number().int().positive().default(1),
  adaptive: z.boolean().default(false),
  eta: z.number().nonnegative().finite().default(0.01),
  filter: filterSchema.optional(),
});
const averageSchema = z.strictObject({
  sigma: z.number().positive().finite().default(0.01),
  samples: z.number().int().min(2).default(16),
  relative: z.boolean().default(false),
  antithetic: z.boolean().default(true),
  filter: filterSchema.optional(),
});

/**
 * Worst-case sharpness within a rho-ball (Keskar et al. 2017; the SAM objective of Foret et al. 2021):
 * max over ||e|| <= rho (or ||e / T_w|| <= rho with `adaptive`, T_w = |w| + eta as in ASAM) of
 * L(w + e) - L(w), estimated by `steps` projected normalised-gradient ascent steps from e = 0. In the
 * coordinates u = e / T (T = 1 without `adaptive`) each step is u <- P(u + rho T g / ||T g||), g the
 * gradient at w + e and P the projection onto ||u|| <= rho; one step is e = rho g / ||g|| (SAM) or
 * rho T^2 g / ||T g|| (ASAM). The result is the largest loss among the visited points, a lower bound
 * of the true maximum (exact for a quadratic once the ascent has converged). Where the gradient at w
 * is zero (a critical point), the first step follows a seeded Gaussian direction instead (reported in
 * `randomness`); a later zero or non-finite gradient ends the ascent (a non-finite one at w gives NaN
 * figures). Cost: at most 1 + steps forward and `steps` backward passes. The parameters are restored
 * bit-exactly.
 */
export async function estimateWorstCaseSharpness(input: FlatnessInput, options: WorstCaseSharpnessOptions = {}): Promise<WorstCaseSharpnessEstimate> {
  const o = parseOptions(worstSchema, options, { path: '', fix: 'see WorstCaseSharpnessOptions.' });
  const startedAt = performance.now();
  const evaluator = new LossEvaluator(input, o.filter);
  const { subset } = evaluator;
  const t = o.adaptive ? (await readParams(subset)).map((w) => Math.abs(w) + o.eta) : undefined;
  const base = snapshotParams(subset);
  try {
    let { loss: current, grad } = await evaluator.gradient();
    const loss = current;
    const u = new Float64Array(subset.dim);
    let lossAtMax = Number.NaN;
    let ascentSteps = 0;
    let randomStart = false;
    for (let k = 0; k < o.steps; k++) {
      let direction = t ? grad.map((g, i) => g * t[i]!) : grad;
      let length = norm(direction);
      if (!Number.isFinite(length) || (length === 0 && k > 0)) break;
      if (length === 0) {
        direction = gaussian(new Rng(input.seed), subset.dim);
        length = norm(direction);
        randomStart = true;
      }
      axpy(o.rho / length, direction, u);
      const size = norm(u);
      if (size > o.rho) u.forEach((x, i) => (u[i] = (x * o.rho) / size));
      setParams(subset, base, t ? u.map((x, i) => x * t[i]!) : u, 1);
      ascentSteps++;
      if (k < o.steps - 1) ({ loss: current, grad } = await evaluator.gradient());
      else current = await evaluator.value();
      if (Number.isNaN(lossAtMax) || current > lossAtMax) lossAtMax = current;
    }
    return {
      figures: { worstCaseSharpness: lossAtMax - loss, lossAtMax, loss },
      ascentSteps,
      cost: evaluator.cost(startedAt),
      ...(randomStart ? { randomness: { seed: input.seed, probes: 1 } } : {}),
    };
  } finally {
    base.restore();
    base.dispose();
  }
}

/**
 * Average-case sharpness: E[L(w + sigma eps)] - L(w) with eps ~ N(0, I) over the selected
 * parameters (or w + sigma |w| eps with `relative`), estimated from `samples` seeded draws (the
 * input's seed). With `antithetic` (default) each draw contributes (L(w + sigma eps) + L(w - sigma eps)) / 2 - L(w):
 * the same expectation, since -eps has the law of eps, without the first-order term g . eps that
 * dominates the variance away from a minimum (for a quadratic the contribution is exactly
 * sigma^2 eps^T A eps / 2). Reports the mean, its standard error and a 95% Student-t confidence
 * interval over the per-draw contributions; near a minimum these are skewed (chi-square-like), so
 * with few draws the interval covers less than 95% (about 91% at 20 draws on a quadratic, 95% at
 * 100 or more). Cost: 1 + samples (x2 antithetic) forward passes. The parameters are restored
 * bit-exactly.
 */
export async function estimateAverageSharpness(input: FlatnessInput, options: AverageSharpnessOptions = {}): Promise<AverageSharpnessEstimate> {
  const o = parseOptions(averageSchema, options, { path: '', fix: 'see AverageSharpnessOptions.' });
  const startedAt = performance.now();
  const evaluator = new LossEvaluator(input, o.filter);
  const { subset } = evaluator;
  const magnitude = o.relative ? (await readParams(subset)).map(Math.abs) : undefined;
  const rng = new Rng(input.seed);
  const base = snapshotParams(subset);
  try {
    const loss = await evaluator.value();
    const increases: number[] = [];
    for (let s = 0; s < o.samples; s++) {
      const eps = gaussian(rng, subset.dim);
      if (magnitude) eps.forEach((x, i) => (eps[i] = x * magnitude[i]!));
      setParams(subset, base, eps, o.sigma);
      let perturbed = await evaluator.value();
      if (o.antithetic) {
        setParams(subset, base, eps, -o.sigma);
        perturbed = (perturbed + (await evaluator.value())) / 2;
      }
      increases.push(perturbed - loss);
    }
    const { mean, stdErr } = meanAndStdErr(increases);
    const half = studentTQuantile975(o.samples - 1) * stdErr;
    return {
      figures: { averageSharpness: mean, averageSharpnessStdErr: stdErr, averageSharpnessLo: mean - half, averageSharpnessHi: mean + half, loss },
      interval: 'student-t',
      cost: evaluator.cost(startedAt),
      randomness: { seed: input.seed, probes: o.samples },
    };
  } finally {
    base.restore();
    base.dispose();
  }
}

/** t(0.975, nu) for nu = 1..30 (scipy.stats.t.ppf, 6 decimals). */
const T975 = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.13145,
  2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272,
];

/**
 * The 0.975 quantile of Student's t with `nu` (an integer >= 1) degrees of freedom (the half-width factor of a
 * two-sided 95% interval): a table up to 30, then the Cornish-Fisher expansion in 1/nu around the
 * normal quantile (relative error below 2e-8 for nu > 30).
 */
export function studentTQuantile975(nu: number): number {
  if (nu <= T975.length) return T975[nu - 1]!;
  const q = 1.959963984540054;
  return (
    q +
    (q ** 3 + q) / (4 * nu) +
    (5 * q ** 5 + 16 * q ** 3 + 3 * q) / (96 * nu ** 2) +
    (3 * q ** 7 + 19 * q ** 5 + 17 * q ** 3 - 15 * q) / (384 * nu ** 3) +
    (79 * q ** 9 + 776 * q ** 7 + 1482 * q ** 5 - 1920 * q ** 3 - 945 * q) / (92160 * nu ** 4)
  );
}
