import * as tf from '@tensorflow/tfjs-core';

type Add = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

let op: Add | undefined;

/**
 * a + b for tensors of one shape (residual connections, zero-valued probes). Same values as tf.add;
 * its gradient (dy to both) saves nothing, whereas the tape of tf.add keeps a copy of both inputs
 * (it needs their shapes for broadcasting). Falls back to tf.add when the shapes differ.
 */
export function addSame(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const same = a.rank === b.rank && a.shape.every((s, i) => s === b.shape[i]) && a.dtype === b.dtype;
  if (!same) return tf.add(a, b);
  op ??= tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.add(args[0] as tf.Tensor, args[1] as tf.Tensor),
    // Two distinct tensors sharing dy's data: the tape may dispose one without touching the other.
    gradFunc: (dy: tf.Tensor) => [tf.reshape(dy, dy.shape), tf.reshape(dy, dy.shape)],
  })) as Add;
  return op(a, b);
}
