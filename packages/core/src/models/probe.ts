import * as tf from '@tensorflow/tfjs-core';
import { addSame } from './add-same.js';

const zeroProbes = new WeakSet<tf.Tensor>();

/** Marks a tensor as an all-zero probe (made by zeroProbe), so `probe` may skip adding it. */
export function zeroProbe(shape: readonly number[], zeros: tf.Tensor): tf.Tensor {
  const t = tf.reshape(zeros, [...shape]);
  zeroProbes.add(t);
  return t;
}

let passThrough: ((x: tf.Tensor, probe: tf.Tensor) => tf.Tensor) | undefined;

/**
 * x + probe with the gradient dy to both. For a probe made by zeroProbe (the trainer's) the sum is x
 * itself, so no addition runs: the value shares x's data and only the gradient reaches the probe.
 * Any other probe is added (addSame).
 */
export function probe(x: tf.Tensor, p: tf.Tensor): tf.Tensor {
  if (!zeroProbes.has(p) || x.dtype !== p.dtype || x.rank !== p.rank || !x.shape.every((s, i) => s === p.shape[i])) return addSame(x, p);
  passThrough ??= tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.reshape(args[0] as tf.Tensor, (args[0] as tf.Tensor).shape),
    // Two distinct tensors sharing dy's data: the tape may dispose one without touching the other.
    gradFunc: (dy: tf.Tensor) => [tf.reshape(dy, dy.shape), tf.reshape(dy, dy.shape)],
  })) as (x: tf.Tensor, probe: tf.Tensor) => tf.Tensor;
  return passThrough(x, p);
}
