import * as tf from '@tensorflow/tfjs-core';

/**
 * Affine map of the last axis: [..., in] x [in, out] (+ [out]) -> [..., out]. Leading axes are
 * flattened into one batch axis for a single 2-D matMul.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inSize = weight.shape[0]!;
  const outSize = weight.shape[1]!;
  const lead = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, inSize]);
  let y: tf.Tensor = tf.matMul(flat, weight);
  if (bias !== undefined) y = tf.add(y, bias);
  return tf.reshape(y, [...lead, outSize]);
}
