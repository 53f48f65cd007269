import type { Interval, MlpCapture, Plugin, SparsityMetric } from '@flatsparse/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { parseOptions } from '../options.js';
import { builtinPlugin } from '../plugin-meta.js';
import { outsideIndicator, sharedOutsideIndicator } from './interval-indicator.js';

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
  return tf.tidy(() => deadFraction(a, outsideIndicator(a, restRegions, threshold)));
}

/** Fraction of neurons (last axis) whose indicator of activity (1/0) is 0 on every token. */
function deadFraction(a: tf.Tensor, active: tf.Tensor): tf.Scalar {
  const n = a.shape[a.rank - 1] ?? 1;
  if (n === 0) return tf.scalar(Number.NaN); // no neuron: the mean over none
  const rows = a.size / n;
  if (rows === 0) return tf.scalar(1); // no token: every neuron is inactive on all of them
  // Per neuron, 1 if it is active on some token: a max pool over the whole token axis (on wasm ten
  // times faster than an axis-0 reduction, which transposes first).
  const anyActive = rows === 1 ? active : tf.maxPool(tf.reshape(active, [1, rows, 1, n]) as tf.Tensor4D, [rows, 1], 1, 'valid');
  return tf.div(tf.sub(n, tf.sum(anyActive)), n) as tf.Scalar;
}

/** The metric 'deadNeurons' with the figure { value }, from the forward pass only. */
export function deadNeuronsMetric(options: DeadNeuronsOptions = {}): SparsityMetric {
  const { threshold } = parseOptions('dead-neurons', schema, options, EXPECTED);
  return Object.freeze({
    name: 'deadNeurons',
    // Untidied on purpose: computeFigures' scope disposes the intermediates; the indicator is shared with activation sparsity.
    compute: (capture: MlpCapture) => ({ value: deadFraction(capture.a, sharedOutsideIndicator(capture.a, capture.activation.restRegions, threshold)) }),
  });
}

/** Plugin 'dead-neurons': contributes the metric 'deadNeurons'. */
export function deadNeurons(options: DeadNeuronsOptions = {}): Plugin {
  return builtinPlugin('dead-neurons', { metrics: [deadNeuronsMetric(options)] });
}
