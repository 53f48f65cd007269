import * as tf from '@tensorflow/tfjs-core';
import { batchedAttentionCore, type AttentionCore, type CoreShape } from './attention-core.js';
import { depthwiseAttentionCore } from './attention-depthwise.js';
import { fusedAttention } from './attention-fused.js';
import { FusedKernel, hasFusedKernel } from '@flatsparse/plugin-api';
import { linear } from './linear.js';

/** Parameters of one multi-head self-attention layer (fused QKV projection, then output projection). */
export interface AttentionParams {
  /** [d, 3d]: columns 0..d-1 give queries, d..2d-1 keys, 2d..3d-1 values; head h uses a slice of dh = d / heads. */
  readonly qkvWeight: tf.Tensor;
  readonly qkvBias: tf.Tensor;
  /** [d, d]. */
  readonly outWeight: tf.Tensor;
  readonly outBias: tf.Tensor;
}

/**
 * The attention core for the active backend: on wasm (whose batched matMul is a scalar loop) the
 * per-head products run as depthwise convolutions; elsewhere as batched matMuls.
 */
function attentionCore(shape: CoreShape): AttentionCore {
  return tf.getBackend() === 'wasm' ? depthwiseAttentionCore(shape) : batchedAttentionCore(shape);
}

/**
 * Multi-head scaled dot-product self-attention of x [B, T, d] -> [B, T, d]. With `causal`, position
 * t attends only to positions <= t.
 */
export function selfAttention(x: tf.Tensor, params: AttentionParams, heads: number, causal: boolean): tf.Tensor {
  const [batch, tokens, d] = x.shape as [number, number, number];
  const flat = tf.reshape(x, [batch * tokens, d]);
  if (hasFusedKernel(FusedKernel.Attention)) {
    // One [d, 3d] projection and one kernel for every head: no slices of the weights or the activations.
    const mixed = fusedAttention({ batch, tokens, heads, d, causal })(linear(flat, params.qkvWeight, params.qkvBias));
    return linear(tf.reshape(mixed, [batch, tokens, d]), params.outWeight, params.outBias);
  }
  // Three [d, d] products instead of one [d, 3d]: as fast on wasm, and no split of the activations.
  const project = (i: number): tf.Tensor => linear(flat, tf.slice(params.qkvWeight, [0, i * d], [d, d]), tf.slice(params.qkvBias, [i * d], [d]));
  const mixed = attentionCore({ batch, tokens, heads, d, causal })(project(0), project(1), project(2));
  return linear(tf.reshape(mixed, [batch, tokens, d]), params.outWeight, params.outBias);
}
