import {
  LossEvaluator,
  estimateAverageSharpness,
  createHvpOperator,
  curvatureEstimate,
  estimateTrace,
  registerGradients,
  spectralDensity,
  topEigenvalues,
  estimateWorstCaseSharpness,
  type CurvatureFigures,
  type CurvatureOperator,
} from '@flatsparse/core';
import { isRegExpSource, parseOptions, type EstimateCurve, type FlatnessEstimator, type FlatnessInput, type Plugin } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** Options shared by the Hessian estimators: which parameters, and how Hessian-vector products are computed. */
export interface HessianOptions {
  /** RegExp source selecting parameters by name (default: every trainable one), for example 'mlp\\.key' or '^blocks\\.0\\.'. */
  readonly params?: string;
  /** 'auto' (default: exact double backward when it runs and agrees with finite differences), 'finite-difference' or 'exact'. */
  readonly hvp?: 'auto' | 'finite-difference' | 'exact';
  /** Relative step of the finite differences (default 2e-3). */
  readonly relativeStep?: number;
}

const regexSource = z.string().min(1).refine(isRegExpSource, 'must be a valid regular expression');

const hessianShape = {
  params: regexSource.optional(),
  hvp: z.enum(['auto', 'finite-difference', 'exact']).optional(),
  relativeStep: z.number().positive().lt(1).optional(),
};

/** Options of `hessianTrace`. */
export interface HessianTraceOptions extends HessianOptions {
  /** Hessian-vector products to spend (default 30). */
  readonly probes?: number;
  /** 'hutchinson' (default, Rademacher probes) or 'hutch++'. */
  readonly variant?: 'hutchinson' | 'hutch++';
}

/** Options of `hessianEigenvalues`. */
export interface HessianEigenvaluesOptions extends HessianOptions {
  /** How many of the largest eigenvalues (default 1). */
  readonly k?: number;
  /** 'lanczos' (default) or 'power' (power iteration with deflation). */
  readonly method?: 'lanczos' | 'power';
  /** Lanczos steps (default max(20, 3k)). */
  readonly steps?: number;
  /** Power iteration: products per eigenvalue at most (default 100). */
  readonly maxIterations?: number;
}

/** Options of `hessianSpectrum`. */
export interface HessianSpectrumOptions extends HessianOptions {
  /** Probe vectors (default 4). */
  readonly probes?: number;
  /** Lanczos steps per probe (default 30). */
  readonly steps?: number;
  /** Points of the density curve (default 256). */
  readonly gridSize?: number;
  /** Width of the Gaussian kernel (default: 1% of the node range). */
  readonly sigma?: number;
}

/** Options of `worstCaseSharpness`. */
export interface WorstCaseSharpnessPluginOptions {
  /** Radius of the ball (default 0.05). */
  readonly rho?: number;
  /** Ascent steps (default 1: the SAM estimate). */
  readonly steps?: number;
  /** ASAM's scale-invariant ball ||e / (|w| + eta)|| <= rho (default false). */
  readonly adaptive?: boolean;
  /** eta of the adaptive ball (default 0.01). */
  readonly eta?: number;
  /** RegExp source selecting parameters (default: every trainable one). */
  readonly params?: string;
}

/** Options of `averageSharpness`. */
export interface AverageSharpnessPluginOptions {
  /** Standard deviation of the weight noise (default 0.01). */
  readonly sigma?: number;
  /** Noise draws (default 16). */
  readonly samples?: number;
  /** Noise proportional to |w| (default false). */
  readonly relative?: boolean;
  /** Antithetic pairs +eps / -eps (default true). */
  readonly antithetic?: boolean;
  /** RegExp source selecting parameters (default: every trainable one). */
  readonly params?: string;
}

/** The curvature operator of an estimate: the loss on the fixed batch over the selected parameters. */
async function operatorFor(input: FlatnessInput, o: HessianOptions) {
  await registerGradients();
  const evaluator = new LossEvaluator(input, o.params);
  return createHvpOperator(evaluator, { method: o.hvp, relativeStep: o.relativeStep, seed: input.seed });
}

/**
 * A Hessian estimator: the curvature operator of the input (the options' parameter subset and HVP
 * method), one algorithm on it, and the FlatnessEstimate with cost, randomness, method and curves.
 */
function hessianEstimator<R extends CurvatureFigures>(
  name: string,
  o: HessianOptions,
  algorithm: (op: CurvatureOperator, seed: number) => Promise<R>,
  curves?: (result: R) => Readonly<Record<string, EstimateCurve>>,
): FlatnessEstimator {
  return Object.freeze({
    name,
    async estimate(input: FlatnessInput) {
      const started = performance.now();
      const op = await operatorFor(input, o);
      const result = await algorithm(op, input.seed);
      return curvatureEstimate(op, started, result, curves?.(result));
    },
  });
}

/**
 * Estimator 'hessian-trace': the trace of the Hessian of the loss on the fixed batch by Hutchinson's
 * estimator (or Hutch++), with its standard error (`trace`, `traceStdErr`).
 */
export function hessianTraceEstimator(options: HessianTraceOptions = {}): FlatnessEstimator {
  const o = parseOptions(
    z.strictObject({ ...hessianShape, probes: z.number().int().min(3).optional(), variant: z.enum(['hutchinson', 'hutch++']).optional() }),
    options,
    { plugin: 'hessian-trace' },
  );
  return hessianEstimator('hessian-trace', o, (op, seed) => estimateTrace(op, { seed, probes: o.probes, variant: o.variant }));
}

/**
 * Estimator 'hessian-eigenvalues': the k largest eigenvalues of the Hessian by Lanczos (or power
 * iteration with deflation), each with its residual ||Hv - lambda v|| as error bar (`lambda1`,
 * `lambda1Residual`, ...).
 */
export function hessianEigenvaluesEstimator(options: HessianEigenvaluesOptions = {}): FlatnessEstimator {
  const o = parseOptions(
    z.strictObject({
      ...hessianShape,
      k: z.number().int().positive().max(50).optional(),
      method: z.enum(['lanczos', 'power']).optional(),
      steps: z.number().int().positive().optional(),
      maxIterations: z.number().int().positive().optional(),
    }),
    options,
    { plugin: 'hessian-eigenvalues' },
  );
  return hessianEstimator('hessian-eigenvalues', o, (op, seed) => topEigenvalues(op, { seed, k: o.k, method: o.method, steps: o.steps, maxIterations: o.maxIterations }));
}

/**
 * Estimator 'hessian-spectrum': the spectral density of the Hessian by stochastic Lanczos quadrature,
 * as the curve `spectralDensity` (plotted in reports) and the figures `trace`, `traceStdErr`,
 * `lambdaMax`, `lambdaMin`.
 */
export function hessianSpectrumEstimator(options: HessianSpectrumOptions = {}): FlatnessEstimator {
  const o = parseOptions(
    z.strictObject({
      ...hessianShape,
      probes: z.number().int().positive().optional(),
      steps: z.number().int().min(2).optional(),
      gridSize: z.number().int().min(8).optional(),
      sigma: z.number().positive().optional(),
    }),
    options,
    { plugin: 'hessian-spectrum' },
  );
  return hessianEstimator('hessian-spectrum', o, (op, seed) => spectralDensity(op, { seed, probes: o.probes, steps: o.steps, gridSize: o.gridSize, sigma: o.sigma }), (result) => ({
    spectralDensity: result.density,
  }));
}

/**
 * Estimator 'worst-case-sharpness': max of L(w + e) - L(w) over a rho-ball (plain or adaptive), by
 * SAM-style ascent (`worstCaseSharpness`, `lossAtMax`, `loss`, `ascentSteps`).
 */
export function worstCaseSharpnessEstimator(options: WorstCaseSharpnessPluginOptions = {}): FlatnessEstimator {
  const o = parseOptions(
    z.strictObject({
      rho: z.number().positive().optional(),
      steps: z.number().int().positive().optional(),
      adaptive: z.boolean().optional(),
      eta: z.number().nonnegative().optional(),
      params: regexSource.optional(),
    }),
    options,
    { plugin: 'worst-case-sharpness' },
  );
  return Object.freeze({
    name: 'worst-case-sharpness',
    async estimate(input: FlatnessInput) {
      await registerGradients();
      const { ascentSteps, ...estimate } = await estimateWorstCaseSharpness(input, { rho: o.rho, steps: o.steps, adaptive: o.adaptive, eta: o.eta, filter: o.params });
      return { ...estimate, figures: { ...estimate.figures, ascentSteps } };
    },
  });
}

/** Estimator 'average-sharpness': E[L(w + sigma eps)] - L(w) under Gaussian weight noise, with its standard error and 95% interval. */
export function averageSharpnessEstimator(options: AverageSharpnessPluginOptions = {}): FlatnessEstimator {
  const o = parseOptions(
    z.strictObject({
      sigma: z.number().positive().optional(),
      samples: z.number().int().min(2).optional(),
      relative: z.boolean().optional(),
      antithetic: z.boolean().optional(),
      params: regexSource.optional(),
    }),
    options,
    { plugin: 'average-sharpness' },
  );
  return Object.freeze({
    name: 'average-sharpness',
    async estimate(input: FlatnessInput) {
      await registerGradients();
      return estimateAverageSharpness(input, { sigma: o.sigma, samples: o.samples, relative: o.relative, antithetic: o.antithetic, filter: o.params });
    },
  });
}

/** Plugin 'hessian-trace': contributes the estimator 'hessian-trace'. */
export function hessianTrace(options: HessianTraceOptions = {}): Plugin {
  return builtinPlugin('hessian-trace', { estimators: [hessianTraceEstimator(options)] });
}

/** Plugin 'hessian-eigenvalues': contributes the estimator 'hessian-eigenvalues'. */
export function hessianEigenvalues(options: HessianEigenvaluesOptions = {}): Plugin {
  return builtinPlugin('hessian-eigenvalues', { estimators: [hessianEigenvaluesEstimator(options)] });
}

/** Plugin 'hessian-spectrum': contributes the estimator 'hessian-spectrum'. */
export function hessianSpectrum(options: HessianSpectrumOptions = {}): Plugin {
  return builtinPlugin('hessian-spectrum', { estimators: [hessianSpectrumEstimator(options)] });
}

/** Plugin 'worst-case-sharpness': contributes the estimator 'worst-case-sharpness'. */
export function worstCaseSharpness(options: WorstCaseSharpnessPluginOptions = {}): Plugin {
  return builtinPlugin('worst-case-sharpness', { estimators: [worstCaseSharpnessEstimator(options)] });
}

/** Plugin 'average-sharpness': contributes the estimator 'average-sharpness'. */
export function averageSharpness(options: AverageSharpnessPluginOptions = {}): Plugin {
  return builtinPlugin('average-sharpness', { estimators: [averageSharpnessEstimator(options)] });
}
