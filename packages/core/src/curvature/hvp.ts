import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Rng } from '@flatsparse/plugin-api';
import { withTapeRelease } from '../tape-release.js';
import type { LossEvaluator } from './loss-evaluator.js';
import type { LinearOperator } from './operator.js';
import { withSecondOrderGradients } from './second-order.js';
import { flattenTensors, readParams, setParams, snapshotParams, splitVector } from './param-vector.js';
import { dot, norm, rademacher, scaled } from './vector-ops.js';

/** How Hessian-vector products are computed. */
export type HvpMethod = 'finite-difference' | 'exact';

/** The Hessian of a loss over a parameter subset, as a linear operator on float64 host vectors. */
export interface CurvatureOperator extends LinearOperator {
  /** How products are computed. */
  readonly method: HvpMethod;
  /** Why this method was chosen (for reports), for example "exact double backward threw: ...". */
  readonly reason: string;
  /** With method 'auto': how far the exact product was from finite differences on a random vector. */
  readonly verification?: { readonly relativeDifference: number; readonly tolerance: number };
  /** The evaluator whose pass counts include every product of this operator. */
  readonly evaluator: LossEvaluator;
}

/** Options of `createHvpOperator`. */
export interface HvpOptions {
  /**
   * 'finite-difference', 'exact' (double backward; throws ConfigError where it fails), or 'auto'
   * (default): exact if it runs and agrees with finite differences on a seeded random vector.
   */
  readonly method?: 'auto' | HvpMethod;
  /** Relative step tau of the finite differences (default 2e-3; see `createHvpOperator`). */
  readonly relativeStep?: number;
  /** 'auto': largest accepted ||Hv_exact - Hv_fd|| / ||Hv_fd|| (default 1e-2). */
  readonly tolerance?: number;
  /** 'auto': seed of the verification vector (default: the input's seed). */
  readonly seed?: number;
}

/** Default relative step of the central differences (see `createHvpOperator`). */
export const DEFAULT_RELATIVE_STEP = 2e-3;
/** Default tolerance of the exact-versus-finite-difference check of method 'auto'. */
export const DEFAULT_HVP_TOLERANCE = 1e-2;

/**
 * The Hessian of `evaluator`'s loss over its parameter subset as a CurvatureOperator. Every product
 * leaves the parameters bit-exactly as they were and frees every tensor it made.
 *
 * Finite differences: Hv = ||v|| (g(w + h u) - g(w - h u)) / (2h) with u = v / ||v|| and g the float32
 * gradient on the device. Central differences have truncation error O(h^2) (from third derivatives,
 * which act coordinate by coordinate) and rounding error O(eps32 * ||w|| / h). The step bounds the
 * largest coordinate move: h * ||u||_inf = tau * (1 + ||w||) / sqrt(dim) (||w|| over the subset, read
 * once), so a spread direction (a Rademacher u, ||u||_inf = 1 / sqrt(dim)) moves by h = tau (1 + ||w||)
 * in norm, and a direction concentrated on a few weights (a sharp eigenvector) by less. With
 * tau = 2e-3, products on the tiny float32 MLPs of the tests are within ~1e-4 of the float64 Hessian
 * along random and eigenvector directions alike (a step proportional to ||w|| alone was 15x worse
 * along the top eigenvector). Each product costs 2 forward + 2 backward passes.
 *
 * Exact: the gradient of <g(w), u> by nested tfjs tapes (double backward), 1 forward + 2 backward
 * passes, run inside `withSecondOrderGradients` (second-order.ts): tfjs-core 4.22's own second-order
 * autodiff is incomplete (tfjs issue 3252; ops whose gradient reuses their output, custom-gradient ops,
 * comparisons without a gradient, DepthwiseConv2dNativeBackpropInput missing on wasm), and that mode
 * replaces those gradients for the duration of the product, so it runs through the models in
 * `src/models`. Ops it does not cover (for example pooling, whose gradient kernels have no gradient)
 * still throw. So 'auto' first compares it with finite differences on a seeded Rademacher vector
 * (costing one product of each kind) and keeps it if it runs and agrees within `tolerance`. When they
 * disagree, a finite difference at a quarter of the step decides whether the finite differences are
 * to blame (a loss that is not smooth at the step's scale: pre-activations crossing ReLU kinks make
 * them disagree with themselves); if so, the exact product is kept when it is symmetric on a second
 * random vector (one more product of each kind), otherwise finite differences are used. The reason is
 * reported either way.
 */
export async function createHvpOperator(evaluator: LossEvaluator, options: HvpOptions = {}): Promise<CurvatureOperator> {
  const requested = options.method ?? 'auto';
  const tau = options.relativeStep ?? DEFAULT_RELATIVE_STEP;
  const tolerance = options.tolerance ?? DEFAULT_HVP_TOLERANCE;
  if (!(tau > 0 && tau < 1)) {
    throw new ConfigError('relativeStep', 'the finite-difference step must be in (0, 1).', { received: tau, expected: 'a number such as 2e-3', fix: 'omit relativeStep to use the default.' });
  }
  if (requested !== 'auto' && requested !== 'finite-difference' && requested !== 'exact') {
    throw new ConfigError('method', `unknown Hessian-vector product method '${String(requested)}'.`, { received: requested, expected: "'auto', 'finite-difference' or 'exact'", fix: "use 'auto' unless you need one method." });
  }
  const { subset } = evaluator;
  const maxMove = (tau * (1 + norm(await readParams(subset)))) / Math.sqrt(subset.dim);
  const fd = (v: Float64Array) => finiteDifferenceProduct(evaluator, v, maxMove);
  const exact = (v: Float64Array) => exactProduct(evaluator, v);
  const make = (method: HvpMethod, apply: (v: Float64Array) => Promise<Float64Array>, reason: string, verification?: CurvatureOperator['verification']): CurvatureOperator => ({
    dim: subset.dim,
    method,
    reason,
    evaluator,
    ...(verification ? { verification } : {}),
    apply,
  });
  if (requested === 'finite-difference') return make('finite-difference', fd, `requested; central differences of float32 gradients, largest coordinate move ${maxMove.toPrecision(3)}`);
  if (requested === 'exact') {
    return make('exact', async (v) => {
      try {
        return await exact(v);
      } catch (err) {
        throw exactUnsupported(err);
      }
    }, 'requested; double backward');
  }
  const probe = rademacher(new Rng(options.seed ?? evaluator.input.seed), subset.dim);
  const reference = await fd(probe);
  let candidate: Float64Array;
  try {
    candidate = await exact(probe);
  } catch (err) {
    return make('finite-difference', fd, `exact double backward threw: ${err instanceof Error ? err.message : String(err)}`);
  }
  const relativeDifference = relativeDistance(candidate, reference);
  const verification = { relativeDifference, tolerance };
  if (relativeDifference <= tolerance) {
    return make('exact', exact, `exact double backward agrees with finite differences (relative difference ${relativeDifference.toExponential(1)} <= ${tolerance})`, verification);
  }
  // They disagree: either the exact product is wrong, or the finite differences are (a loss that is
  // not smooth at the scale of the step, such as a ReLU-family network whose pre-activations cross a
  // kink between w - hu and w + hu). Finite differences at a quarter of the step tell which: smooth,
  // they agree to O(h^2); across kinks they do not. Then the exact product is kept if it is symmetric
  // (u^T H v = v^T H u on a second random vector), as a Hessian must be.
  const finer = await finiteDifferenceProduct(evaluator, probe, maxMove / 4);
  const fdSpread = relativeDistance(finer, reference);
  if (fdSpread <= tolerance) {
    return make('finite-difference', fd, `exact and finite-difference products differ by ${relativeDifference.toExponential(1)} (tolerance ${tolerance}), and finite differences are consistent across step sizes (${fdSpread.toExponential(1)})`, verification);
  }
  const other = rademacher(new Rng((options.seed ?? evaluator.input.seed) + 1), subset.dim);
  const candidateOther = await exact(other);
  const uHv = dot(other, candidate);
  const vHu = dot(probe, candidateOther);
  const asymmetry = Math.abs(uHv - vHu) / Math.max(norm(other) * norm(candidate), norm(probe) * norm(candidateOther), Number.MIN_VALUE);
  const why = `finite differences disagree across step sizes by ${fdSpread.toExponential(1)} (the loss is not smooth at the step's scale: activation kinks?) and differ from exact double backward by ${relativeDifference.toExponential(1)}`;
  if (asymmetry <= tolerance) {
    return make('exact', exact, `${why}; exact double backward is symmetric (asymmetry ${asymmetry.toExponential(1)}): using it (the Hessian almost everywhere)`, verification);
  }
  return make('finite-difference', fd, `${why}; exact double backward is not symmetric either (asymmetry ${asymmetry.toExponential(1)}): finite differences, with their noise`, verification);
}

/** ||a - b|| / ||b|| (0 when both are 0, infinite when only b is). */
function relativeDistance(a: Float64Array, b: Float64Array): number {
  const scale = norm(b);
  const diff = norm(a.map((x, i) => x - b[i]!));
  return scale > 0 ? diff / scale : diff === 0 ? 0 : Number.POSITIVE_INFINITY;
}

/**
 * Central-difference product along u = v / ||v||, moving no coordinate by more than `maxMove`
 * (step h = maxMove / ||u||_inf); parameters are restored bit-exactly even when the loss throws.
 */
async function finiteDifferenceProduct(evaluator: LossEvaluator, v: Float64Array, maxMove: number): Promise<Float64Array> {
  const length = norm(v);
  if (length === 0) return new Float64Array(v.length);
  const { subset } = evaluator;
  const unit = scaled(v, 1 / length);
  const step = maxMove / unit.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const base = snapshotParams(subset);
  const direction = splitVector(subset, unit);
  let difference: tf.Tensor[] = [];
  try {
    setParams(subset, base, direction, step);
    const plus = evaluator.gradientTensors();
    setParams(subset, base, direction, -step);
    const minus = evaluator.gradientTensors();
    difference = tf.tidy(() => plus.grads.map((g, i) => tf.sub(g, minus.grads[i]!)));
    for (const t of [plus.loss, minus.loss, ...plus.grads, ...minus.grads]) t.dispose();
  } finally {
    base.restore();
    base.dispose();
    direction.forEach((t) => t.dispose());
  }
  try {
    return scaled(await flattenTensors(difference), length / (2 * step));
  } finally {
    difference.forEach((t) => t.dispose());
  }
}

/** Double-backward product: the gradient of <g(w), u>, times ||v||. */
async function exactProduct(evaluator: LossEvaluator, v: Float64Array): Promise<Float64Array> {
  const length = norm(v);
  if (length === 0) return new Float64Array(v.length);
  const { subset, input } = evaluator;
  const variables = [...subset.variables];
  const direction = splitVector(subset, scaled(v, 1 / length));
  let product: tf.Tensor[];
  try {
    product = withTapeRelease(() => withSecondOrderGradients(() => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const inner = tf.variableGrads(input.loss, variables).grads;
        return tf.addN(variables.map((w, i) => tf.sum(tf.mul(inner[w.name] ?? tf.zerosLike(w), direction[i]!)))) as tf.Scalar;
      }, variables);
      return variables.map((w) => grads[w.name] ?? tf.zerosLike(w));
    })));
  } finally {
    evaluator.record(1, 2);
    direction.forEach((t) => t.dispose());
  }
  try {
    return scaled(await flattenTensors(product), length);
  } finally {
    product.forEach((t) => t.dispose());
  }
}

function exactUnsupported(err: unknown): ConfigError {
  return new ConfigError('method', `exact Hessian-vector products (double backward) failed on backend '${tf.getBackend()}': ${err instanceof Error ? err.message : String(err)}`, {
    expected: 'a loss whose ops all have second-order gradients in tfjs on this backend (tfjs issue 3252)',
    fix: "use method 'auto' (falls back to finite differences, verified) or 'finite-difference'.",
    cause: err,
  });
}
