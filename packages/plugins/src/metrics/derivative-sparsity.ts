import { intervalCounts, parseOptions, type Interval, type MlpCapture, type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** Derivative sparsity takes no options. */
export type DerivativeSparsityOptions = Record<string, never>;

/**
 * Fraction of the entries of the pre-activation `p` inside the activation's flat regions, where
 * sigma'(p) = 0 (spec section 3), as a scalar tensor on the device. 0 when there is no flat region.
 */
export function derivativeSparsityOf(p: tf.Tensor, flatRegions: readonly Interval[]): tf.Scalar {
  return tf.tidy(() => tf.div(intervalCounts(p, flatRegions).inside, p.size) as tf.Scalar);
}

/** The metric 'derivative-sparsity' with the figure { value }, from the forward pass only. */
export function derivativeSparsityMetric(options: DerivativeSparsityOptions = {}): SparsityMetric {
  parseOptions(z.strictObject({}), options, { plugin: 'derivative-sparsity' });
  return Object.freeze({
    name: 'derivative-sparsity',
    // Untidied on purpose: computeFigures' scope disposes the intermediates, and augmented flatness reuses the counts of p.
    compute: (capture: MlpCapture) => ({ value: tf.div(intervalCounts(capture.p, capture.activation.flatRegions).inside, capture.p.size) as tf.Scalar }),
  });
}

/** Plugin 'derivative-sparsity': contributes the metric 'derivative-sparsity'. */
export function derivativeSparsity(options: DerivativeSparsityOptions = {}): Plugin {
  return builtinPlugin('derivative-sparsity', { metrics: [derivativeSparsityMetric(options)] });
}
