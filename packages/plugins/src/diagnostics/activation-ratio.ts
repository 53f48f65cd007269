import { parseOptions, type MlpCapture, type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** The activation-ratio diagnostic takes no options. */
export type ActivationRatioOptions = Record<string, never>;

/**
 * The fraction of entries of `a` with |a| > 0, as the authors log it ('activation/ratio' in
 * cdgyp/sparsity codes/modules/hooks.py: `(a.abs() > 0).float().mean()`): a density, with no threshold,
 * so 1 - ratio counts exact zeros only (activation sparsity counts |a| <= 1e-6). Call inside tf.tidy.
 */
export function activationRatioOf(a: tf.Tensor): tf.Scalar {
  // step(|a|) is 1 exactly where |a| > 0 (NaN stays NaN).
  return tf.mean(tf.step(tf.abs(a))) as tf.Scalar;
}

/** The metric 'activation-ratio' ({ value }), from the forward pass. */
export function activationRatioMetric(options: ActivationRatioOptions = {}): SparsityMetric {
  parseOptions(z.strictObject({}), options, { plugin: 'activation-ratio' });
  return Object.freeze({ name: 'activation-ratio', compute: (capture: MlpCapture) => ({ value: activationRatioOf(capture.a) }) });
}

/** Plugin 'activation-ratio': contributes the diagnostic metric 'activation-ratio', the authors' density of non-zero activations. */
export function activationRatio(options: ActivationRatioOptions = {}): Plugin {
  return builtinPlugin('activation-ratio', { metrics: [activationRatioMetric(options)] });
}
