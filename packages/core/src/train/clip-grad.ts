import * as tf from '@tensorflow/tfjs-core';

/** Global L2 norm sqrt(sum_i ||g_i||^2) of a list of tensors, as a scalar on the device (0 for none). */
export function globalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.scalar(0);
    const squares = tensors.map((t) => tf.sum(tf.square(t)));
    return tf.sqrt(squares.length === 1 ? squares[0]! : tf.addN(squares)) as tf.Scalar;
  });
}

/** Gradients scaled by a common factor, the global norm before scaling and the factor (all on the device). */
export interface ClippedGrads {
  readonly grads: Map<string, tf.Tensor>;
  readonly norm: tf.Scalar;
  readonly scale: tf.Scalar;
}

/**
 * Clips gradients by their global norm: every gradient is multiplied by min(1, maxNorm / norm), decided
 * on the device (no read-back). Without `maxNorm` the gradients pass unchanged (scale 1). A zero norm
 * gives maxNorm / 0 = Infinity, hence scale 1; a non-finite norm gives a non-finite scale, which the
 * trainer's non-finite gate catches. Call inside tf.tidy.
 */
export function clipByGlobalNorm(grads: ReadonlyMap<string, tf.Tensor>, maxNorm?: number): ClippedGrads {
  const norm = globalNorm([...grads.values()]);
  if (maxNorm === undefined) return { grads: new Map(grads), norm, scale: tf.scalar(1) };
  const scale = tf.minimum(1, tf.div(maxNorm, norm)) as tf.Scalar;
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) clipped.set(name, tf.mul(g, scale));
  return { grads: clipped, norm, scale };
}
