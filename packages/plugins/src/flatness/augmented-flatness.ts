import { interval, intervalCounts, maskedRowSumSquares, outsideRowSumSquares, parseOptions, rowSumSquares, ShapeError, type MlpCapture, type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import { PluginError } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** The figures of augmented flatness for one MLP block (scalar tensors on the device). */
export interface AugmentedFlatnessFigures {
  /** AS_K: mean over samples of sum over tokens of ||eta_t||^2 ||x_t||^2 (key layer). */
  readonly asK: tf.Scalar;
  /** AS_V: mean over samples of sum over tokens of ||G_t||^2 ||a_t||^2 (value layer). */
  readonly asV: tf.Scalar;
  /** L0 coefficient: mean over entries with sigma'(p) != 0 of sigma'(p)^2 g^2 ||x_t||^2 (0 if there are none). */
  readonly c0: tf.Scalar;
  /**
   * The authors' L0 coefficient (`coefficients_L0` in cdgyp/sparsity, codes/modules/hooks.py): mean over
   * entries with a > 0 of g^2 ||x_t||^2, without the sigma'(p)^2 weight. Equal to c0 for ReLU; for
   * J-SquaredReLU c0 weights each active entry by (p + 1)^2 (the generalised identity) and this does not,
   * so it is what their logs of a JSReLU run compare with. 0 if no a > 0.
   */
  readonly c0Authors: tf.Scalar;
  /** L2 coefficient: mean over tokens of ||G_t||^2. */
  readonly c2: tf.Scalar;
  /** Derivative density: fraction of entries of p outside the flat regions (sigma'(p) != 0). */
  readonly density: tf.Scalar;
  /** Density given by the identity, (B AS_K) / (B T n c0) (0 if c0 = 0). */
  readonly identityDensity: tf.Scalar;
  /** |identityDensity - density| / density: ~float precision whenever dp = sigma'(p) da (0 if density = 0). */
  readonly identityError: tf.Scalar;
  /** The paper's ratio AS_K / c0 (0 if c0 = 0). */
  readonly ratio: tf.Scalar;
}

/** Augmented flatness takes no options. */
export type AugmentedFlatnessOptions = Record<string, never>;

const PLUGIN = 'augmented-flatness';

/**
 * Augmented flatness and its denominator for one MLP block (spec sections 2-3), all on the device
 * from the captured forward tensors x, p, a and gradients dp = eta, da = g, dz = G. Throws
 * E_PLUGIN_HOOK if the capture has no gradients and E_SHAPE if a tensor is not [B, T, *].
 */
export function augmentedFlatnessOf(capture: MlpCapture): AugmentedFlatnessFigures {
  checkCapture(capture);
  return tf.tidy(() => ({ ...flatnessFigures(capture) })) as unknown as AugmentedFlatnessFigures;
}

function checkCapture(capture: MlpCapture): void {
  const { x, p, a, dp, da, dz } = capture;
  if (!dp || !da || !dz) {
    throw new PluginError(PLUGIN, 'compute', undefined, new Error('the capture has no gradients (dp, da, dz)'), 'compute augmented flatness after a backward pass (the metric declares needsGradients: true).');
  }
  for (const [label, t] of [['x', x], ['p', p], ['a', a], ['dp', dp], ['da', da], ['dz', dz]] as const) {
    if (t.rank !== 3) throw new ShapeError(`capture.${label}`, t.shape, '[B, T, width]', 'pass per-token tensors of rank 3 (batch, tokens, width).');
  }
}

/**
 * The figures from a checked capture; call inside tf.tidy. Every reduction reads the captures once
 * (rowSumSquares, intervalCounts and maskedRowSumSquares / outsideRowSumSquares of the plugin API: one pass each on a
 * backend with the fused kernels), and the counts of p against the flat regions are shared with
 * derivative sparsity. An entry is active where p lies outside the flat regions (sigma'(p) != 0).
 */
function flatnessFigures(capture: MlpCapture): AugmentedFlatnessFigures {
  const { x, p, a, activation } = capture;
  const [dp, da, dz] = [capture.dp!, capture.da!, capture.dz!];
  const [B = 1, T = 1, n = 1] = p.shape;
  const xNorm2 = rowSumSquares(x); // [B, T]
  const gNorm2 = rowSumSquares(dz); // ||G_t||^2
  const asK = tf.div(tf.sum(tf.mul(rowSumSquares(dp), xNorm2)), B) as tf.Scalar;
  const asV = tf.div(tf.sum(tf.mul(gNorm2, rowSumSquares(a))), B) as tf.Scalar;
  // sum over the active entries of (sigma'(p) g)^2 per token, [B, T]; sigma' = 1 there for a unit-slope
  // activation (ReLU), which spares the derivative tensor. Its pass also counts p, which intervalCounts reuses.
  const perToken = activation.unitSlope === true ? outsideRowSumSquares(da, p, activation.flatRegions) : maskedRowSumSquares(activation.derivative(p, capture.context), da, p, activation.flatRegions);
  const activeCount = tf.sub(p.size, intervalCounts(p, activation.flatRegions).inside);
  const c0 = tf.divNoNan(tf.sum(tf.mul(perToken, xNorm2)), activeCount) as tf.Scalar;
  // The authors' coefficient: entries with a > 0 (a outside (-inf, 0]), g^2 unweighted.
  const positive = [interval(-Infinity, 0)];
  const positiveCount = tf.sub(a.size, intervalCounts(a, positive).inside);
  const c0Authors = tf.divNoNan(tf.sum(tf.mul(outsideRowSumSquares(da, a, positive), xNorm2)), positiveCount) as tf.Scalar;
  const c2 = tf.mean(gNorm2) as tf.Scalar;
  const density = tf.div(activeCount, p.size) as tf.Scalar;
  const identityDensity = tf.divNoNan(asK, tf.mul(c0, T * n)) as tf.Scalar;
  const identityError = tf.divNoNan(tf.abs(tf.sub(identityDensity, density)), density) as tf.Scalar;
  const ratio = tf.divNoNan(asK, c0) as tf.Scalar;
  return { asK, asV, c0, c0Authors, c2, density, identityDensity, identityError, ratio };
}

/** The metric 'augmented-flatness' (needs gradients) with the figures of AugmentedFlatnessFigures. */
export function augmentedFlatnessMetric(options: AugmentedFlatnessOptions = {}): SparsityMetric {
  parseOptions(z.strictObject({}), options, { plugin: PLUGIN });
  return Object.freeze({ name: 'augmented-flatness', needsGradients: true, compute: computeShared });
}

/**
 * The metric's compute: untidied on purpose (computeFigures' scope disposes the intermediates), so
 * the counts of p are shared with derivative sparsity.
 */
function computeShared(capture: MlpCapture): Readonly<Record<string, tf.Scalar>> {
  checkCapture(capture);
  return { ...flatnessFigures(capture) };
}

/** Plugin 'augmented-flatness': contributes the metric 'augmented-flatness'. */
export function augmentedFlatness(options: AugmentedFlatnessOptions = {}): Plugin {
  return builtinPlugin(PLUGIN, { metrics: [augmentedFlatnessMetric(options)] });
}
