import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel, hasFusedKernel, runFused } from '@flatsparse/plugin-api';

/** Global L2 norm sqrt(sum_i ||g_i||^2) of a list of tensors, as a scalar on the device (0 for none). */
export function globalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.scalar(0);
    if (hasFusedKernel(FusedKernel.GlobalNorm)) return fusedGlobalNorm(tensors);
    const squares = tensors.map((t) => tf.sum(tf.square(t)));
    return tf.sqrt(squares.length === 1 ? squares[0]! : tf.addN(squares)) as tf.Scalar;
  });
}

/** The norm on the backend's fused kernel (one pass over every tensor), differentiable: d norm / d t = t / norm. */
function fusedGlobalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, -1) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const norm = runFused(FusedKernel.GlobalNorm, Object.fromEntries(inputs.map((t, i) => [String(i), t])))[0]!;
    save([norm, ...inputs]);
    return { value: norm, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => saved.slice(1).map((t) => tf.mul(t, tf.div(dy, saved[0]!))) };
  });
  return op(...tensors) as tf.Scalar;
}

/** Gradients scaled by a common factor, the global norm before scaling and the factor (all on the device). */
export interface ClippedGrads {
  readonly grads: Map<string, tf.Tensor>;
  readonly norm: tf.Scalar;
  readonly scale: tf.Scalar;
}

/**
 * The factor min(1, maxNorm / norm) that clipping by the global norm multiplies every gradient with,
 * and the norm, without multiplying (AdamW.apply takes the factor and scales inside its update).
 * Without `maxNorm` there is no factor. Call inside tf.tidy.
 */
export function clipScale(grads: ReadonlyMap<string, tf.Tensor>, maxNorm?: number): { readonly norm: tf.Scalar; readonly scale?: tf.Scalar } {
  const norm = globalNorm([...grads.values()]);
  return maxNorm === undefined ? { norm } : { norm, scale: tf.minimum(1, tf.div(maxNorm, norm)) as tf.Scalar };
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
