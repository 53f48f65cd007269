import { maskInIntervals, type Interval, type MlpCapture, type Plugin, type SparsityMetric } from '@flatsparse/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { parseOptions } from '../options.js';
import { builtinPlugin } from '../plugin-meta.js';

/** Options of the dead-neuron fraction. */
export interface DeadNeuronsOptions {
  /** Distance to a rest region within which an output counts as inactive (default 1e-6, as activation sparsity). */
  readonly threshold?: number;
}

const schema = z.strictObject({ threshold: z.number().nonnegative().default(1e-6) });
const EXPECTED = '{ threshold?: number >= 0 }';

/**
 * Fraction of the n neurons (last axis of `a`) that are inactive (within `threshold` of a rest
 * region) on every token of the batch, as a scalar tensor on the device.
 */
export function deadNeuronsOf(a: tf.Tensor, restRegions: readonly Interval[], threshold = 1e-6): tf.Scalar {
  return tf.tidy(() => {
    const n = a.shape[a.rank - 1] ?? 1;
    const inactive = tf.reshape(maskInIntervals(a, restRegions, threshold), [-1, n]);
    return tf.mean(tf.cast(tf.all(inactive, 0), 'float32')) as tf.Scalar;
  });
}

/** The metric 'deadNeurons' with the figure { value }, from the forward pass only. */
export function deadNeuronsMetric(options: DeadNeuronsOptions = {}): SparsityMetric {
  const { threshold } = parseOptions('dead-neurons', schema, options, EXPECTED);
  return Object.freeze({
    name: 'deadNeurons',
    compute: (capture: MlpCapture) => ({ value: deadNeuronsOf(capture.a, capture.activation.restRegions, threshold) }),
  });
}

/** Plugin 'dead-neurons': contributes the metric 'deadNeurons'. */
export function deadNeurons(options: DeadNeuronsOptions = {}): Plugin {
  return builtinPlugin('dead-neurons', { metrics: [deadNeuronsMetric(options)] });
}
