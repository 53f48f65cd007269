import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel, hasFusedKernel, runFused } from '@flatsparse/plugin-api';
import { columnSums } from './linear.js';

type Norm = (x: tf.Tensor, scale: tf.Tensor, shift?: tf.Tensor) => tf.Tensor;

/**
 * LayerNorm as one custom-gradient op: the forward ops are the plain formula; the backward is the
 * closed form dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy scale, which saves only xhat
 * and rstd instead of a copy of every intermediate the generic tape would keep.
 */
function makeNorm(eps: number, withShift: boolean): Norm {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const scale = args[1] as tf.Tensor;
    const shift = withShift ? (args[2] as tf.Tensor) : undefined;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centred), -1, true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const normalised = tf.mul(centred, rstd);
    const scaled = tf.mul(normalised, scale);
    save([normalised, rstd, scale]);
    return {
      value: shift === undefined ? scaled : tf.add(scaled, shift),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, r, s] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const d = xhat.shape[xhat.rank - 1]!;
        const g = tf.mul(dy, s);
        const inner = tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true)));
        const dx = tf.mul(inner, r);
        const dScale = columnSums(tf.reshape(tf.mul(dy, xhat), [-1, d]));
        return withShift ? [dx, dScale, columnSums(tf.reshape(dy, [-1, d]))] : [dx, dScale];
      },
    };
  });
  return (x, scale, shift) => (withShift ? op(x, scale, shift!) : op(x, scale));
}

/** The same op on the backend's fused kernels (FusedKernel.LayerNorm and LayerNormGrad): one kernel each way. */
function makeFusedNorm(eps: number, withShift: boolean): Norm {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, scale] = args as [tf.Tensor, tf.Tensor];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const inputs: Record<string, tf.Tensor> = withShift ? { x, scale, shift: args[2] as tf.Tensor } : { x, scale };
    const [y, xhat, rstd] = runFused(FusedKernel.LayerNorm, inputs, { epsilon: eps }) as [tf.Tensor, tf.Tensor, tf.Tensor];
    save([xhat, rstd, scale]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, r, s] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return runFused(FusedKernel.LayerNormGrad, { dy, xhat: xh, rstd: r, scale: s }, { withShift });
      },
    };
  });
  return (x, scale, shift) => (withShift ? op(x, scale, shift!) : op(x, scale));
}

/** The same formula with tfjs autodiff (for scale or shift tensors that are not [d]). */
function plainLayerNorm(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor | undefined, eps: number): tf.Tensor {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const normalised = tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)));
  const scaled = tf.mul(normalised, scale);
  return shift === undefined ? scaled : tf.add(scaled, shift);
}

const cache = new Map<string, Norm>();

/**
 * LayerNorm over the last axis: scale * (x - mean) / sqrt(var + eps) + shift, with the biased
 * (population) variance, as in PyTorch and the paper (spec section 2).
 */
export function layerNorm(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor | undefined, eps: number): tf.Tensor {
  if (scale.rank !== 1 || (shift !== undefined && shift.rank !== 1)) return plainLayerNorm(x, scale, shift, eps);
  const fused = hasFusedKernel(FusedKernel.LayerNorm);
  const key = `${eps}/${shift !== undefined}/${fused}`;
  let norm = cache.get(key);
  if (norm === undefined) {
    norm = fused ? makeFusedNorm(eps, shift !== undefined) : makeNorm(eps, shift !== undefined);
    cache.set(key, norm);
  }
  return norm(x, scale, shift);
}
