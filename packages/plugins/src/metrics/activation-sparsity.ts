import { intervalCounts, parseOptions, type Interval, type MlpCapture, type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** Options of activation sparsity. */
export interface ActivationSparsityOptions {
  /** Distance to a rest region within which an output counts as inactive (default 1e-6, spec section 3). */
  readonly threshold?: number;
}

const schema = z.strictObject({ threshold: z.number().nonnegative().default(1e-6) });

/**
 * Fraction of the entries of `a` lying within `threshold` of any rest region (for ReLU: |a| <= 1e-6),
 * as a scalar tensor on the device. 0 when the activation declares no rest region.
 */
export function activationSparsityOf(a: tf.Tensor, restRegions: readonly Interval[], threshold = 1e-6): tf.Scalar {
  return tf.tidy(() => tf.div(intervalCounts(a, restRegions, threshold).inside, a.size) as tf.Scalar);
}

/** The metric 'activation-sparsity' with the figure { value }, from the forward pass only. */
export function activationSparsityMetric(options: ActivationSparsityOptions = {}): SparsityMetric {
  const { threshold } = parseOptions(schema, options, { plugin: 'activation-sparsity' });
  return Object.freeze({
    name: 'activation-sparsity',
    // Untidied on purpose: computeFigures' scope disposes the intermediates, and dead neurons reuses the counts of a.
    compute: (capture: MlpCapture) => ({ value: tf.div(intervalCounts(capture.a, capture.activation.restRegions, threshold).inside, capture.a.size) as tf.Scalar }),
  });
}

/** Plugin 'activation-sparsity': contributes the metric 'activation-sparsity'. */
export function activationSparsity(options: ActivationSparsityOptions = {}): Plugin {
  return builtinPlugin('activation-sparsity', { metrics: [activationSparsityMetric(options)] });
}
