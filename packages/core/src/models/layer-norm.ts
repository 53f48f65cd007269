import * as tf from '@tensorflow/tfjs-core';

/**
 * LayerNorm over the last axis: scale * (x - mean) / sqrt(var + eps) + shift, with the biased
 * (population) variance, as in PyTorch and the paper (spec section 2).
 */
export function layerNorm(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor | undefined, eps: number): tf.Tensor {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centred), -1, true);
  const normalised = tf.mul(centred, tf.rsqrt(tf.add(variance, eps)));
  const scaled = tf.mul(normalised, scale);
  return shift === undefined ? scaled : tf.add(scaled, shift);
}
