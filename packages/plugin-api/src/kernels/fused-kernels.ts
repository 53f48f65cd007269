import * as tf from '@tensorflow/tfjs-core';
import { plainOpsOnly } from './plain-ops-mode.js';

/**
 * Fused kernels: whole model pieces (a LayerNorm, an attention core, a dense layer's backward, the
 * loss, the optimiser update) as one tfjs kernel each. A backend may register any of them under
 * these names (the native CPU backend registers all); the models and the trainer run the kernel
 * where the active backend has it and the same mathematics as plain tfjs ops elsewhere, so a
 * backend without them (wasm, WebGPU, CUDA) works unchanged. Every kernel takes and returns
 * float32 tensors unless said otherwise; shapes below use N rows, d features.
 *
 * The engine's conformance cases (`engineConformance()` in '@flatsparse/core/testing') check a backend's fused
 * kernels against float64 references.
 */
export const FusedKernel = {
  /**
   * inputs { x [N, d], scale [d], shift? [d] }, attrs { epsilon } -> [y [N, d], xhat [N, d], rstd [N]]:
   * xhat = (x - mean) rstd with rstd = 1 / sqrt(population variance + epsilon); y = xhat scale (+ shift).
   */
  LayerNorm: 'FlatsparseLayerNorm',
  /** inputs { dy, xhat, rstd, scale }, attrs { withShift } -> [dx, dscale, dshift (withShift only)]. */
  LayerNormGrad: 'FlatsparseLayerNormGrad',
  /**
   * inputs { qkv [B*T, 3d] } (columns: queries 0..d-1, keys d..2d-1, values 2d..3d-1), attrs
   * { batch, tokens, heads, causal } -> [out [B*T, d], probs [B, H, T, T]]: per head h (columns
   * h*dh .. h*dh+dh-1 of each part, dh = d / heads), softmax(q_h k_h^T / sqrt(dh) (+ causal mask)) v_h.
   */
  Attention: 'FlatsparseAttention',
  /** inputs { dy [B*T, d], qkv, probs }, attrs as Attention -> [dqkv [B*T, 3d]]. */
  AttentionGrad: 'FlatsparseAttentionGrad',
  /**
   * inputs { x [N, in], w [in, out] (transposedW: [out, in]), dy [N, out] }, attrs { transposedW, withBias }
   * -> [dx [N, in], dw (w's shape), db [out] (withBias only)]: the gradients of y = x w (+ b) or x w^T.
   */
  DenseGrad: 'FlatsparseDenseGrad',
  /**
   * inputs { logits [N, C], targets int32 [N] }, attrs { labelSmoothing } -> [loss (scalar), probs [N, C]]:
   * the mean over rows of -sum_j t_j log softmax(logits)_j, t = (1 - s) onehot(target) + s / C.
   */
  SoftmaxCrossEntropy: 'FlatsparseSoftmaxCrossEntropy',
  /** inputs { dy (scalar), probs, targets }, attrs { labelSmoothing } -> dlogits [N, C]. */
  SoftmaxCrossEntropyGrad: 'FlatsparseSoftmaxCrossEntropyGrad',
  /** inputs { '0': t0, '1': t1, ... } (any shapes) -> the scalar sqrt(sum_i ||t_i||^2). */
  GlobalNorm: 'FlatsparseGlobalNorm',
  /**
   * AdamW on one group of same-shaped parameters with stacked moments.
   * inputs { m, v [k, ...shape], param0 .. param{k-1}, grad0 .. grad{k-1} [...shape], gradScale? (scalar),
   * gate? (bool scalar) }, attrs { count: k, rate, beta1, beta2, epsilon, bc1, bc2, weightDecay }
   * -> [m1, v1, param'0 .. param'{k-1}]: with g = grad gradScale, m1 = beta1 m + (1 - beta1) g,
   * v1 = beta2 v + (1 - beta2) g^2, param' = param - rate ((m1 / bc1) / (sqrt(v1 / bc2) + epsilon)
   * + weightDecay param); where gate is false every output equals its input.
   */
  AdamW: 'FlatsparseAdamW',
  /**
   * inputs { x [..., n] }, attrs { intervals: (lo, hi, loOpen, hiOpen, empty) per interval, widened and
   * rounded to float32 } -> [inside (scalar: entries inside some interval; NaN if x holds NaN),
   * everOutside [n] (1 where some row is outside every interval, 0 else, NaN for a column with NaN)].
   */
  IntervalStats: 'FlatsparseIntervalStats',
  /** inputs { x [..., n] } -> [...]: the sum over the last axis of x^2. */
  RowSumSquares: 'FlatsparseRowSumSquares',
  /**
   * inputs { u?, v, x [..., n] } (one shape; u absent = 1), attrs { intervals } as IntervalStats ->
   * [sums [...], inside?, everOutside?]: sums is the sum over the last axis of (u v)^2 where x is
   * outside every interval (NaN in rows where x holds NaN); inside and everOutside, optional (a kernel
   * may return sums alone), are IntervalStats of x from the same pass, which the metrics then reuse.
   */
  MaskedRowSumSquares: 'FlatsparseMaskedRowSumSquares',
} as const;

/** The name of one fused kernel. */
export type FusedKernelName = (typeof FusedKernel)[keyof typeof FusedKernel];

/**
 * Whether the active backend registered this fused kernel and it may be used now: never while an
 * exact Hessian-vector product runs (double backward differentiates the plain ops instead).
 */
export function hasFusedKernel(name: FusedKernelName): boolean {
  return !plainOpsOnly() && tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Runs a fused kernel (check hasFusedKernel first); the outputs are tensors. */
export function runFused(name: FusedKernelName, inputs: Record<string, tf.Tensor>, attrs: Record<string, number | boolean | number[]> = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}
