import { intervalCounts, parseOptions, type Interval, type MlpCapture, type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** Options of the dead-neuron fraction. */
export interface DeadNeuronsOptions {
  /** Distance to a rest region within which an output counts as inactive (default 1e-6, as activation sparsity). */
  readonly threshold?: number;
}

const schema = z.strictObject({ threshold: z.number().nonnegative().default(1e-6) });

/**
 * Fraction of the n neurons (last axis of `a`) that are inactive (within `threshold` of a rest
 * region) on every token of the batch, as a scalar tensor on the device.
 */
export function deadNeuronsOf(a: tf.Tensor, restRegions: readonly Interval[], threshold = 1e-6): tf.Scalar {
  return tf.tidy(() => deadFraction(a, restRegions, threshold));
}

/** Fraction of neurons (last axis) that are never outside the rest regions, from the shared counts of a. */
function deadFraction(a: tf.Tensor, restRegions: readonly Interval[], threshold: number): tf.Scalar {
  const n = a.shape[a.rank - 1] ?? 1;
  if (n === 0) return tf.scalar(Number.NaN); // no neuron: the mean over none
  if (a.size / n === 0) return tf.scalar(1); // no token: every neuron is inactive on all of them
  const counts = intervalCounts(a, restRegions, threshold);
  // + 0 * inside: NaN when a holds a NaN on every backend (a max pool may skip NaN; inside never does).
  return tf.div(tf.add(tf.sub(n, tf.sum(counts.everOutside)), tf.mul(counts.inside, 0)), n) as tf.Scalar;
}

/** The metric 'dead-neurons' with the figure { value }, from the forward pass only. */
export function deadNeuronsMetric(options: DeadNeuronsOptions = {}): SparsityMetric {
  const { threshold } = parseOptions(schema, options, { plugin: 'dead-neurons' });
  return Object.freeze({
    name: 'dead-neurons',
    // Untidied on purpose: computeFigures' scope disposes the intermediates; the counts of a are shared with activation sparsity.
    compute: (capture: MlpCapture) => ({ value: deadFraction(capture.a, capture.activation.restRegions, threshold) }),
  });
}

/** Plugin 'dead-neurons': contributes the metric 'dead-neurons'. */
export function deadNeurons(options: DeadNeuronsOptions = {}): Plugin {
  return builtinPlugin('dead-neurons', { metrics: [deadNeuronsMetric(options)] });
}
