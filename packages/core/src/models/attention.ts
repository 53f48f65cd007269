import * as tf from '@tensorflow/tfjs-core';
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

/** Additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above it. */
function causalMask(tokens: number): tf.Tensor {
  const values = new Float32Array(tokens * tokens);
  for (let i = 0; i < tokens; i++) for (let j = i + 1; j < tokens; j++) values[i * tokens + j] = -1e9;
  return tf.tensor2d(values, [tokens, tokens]);
}

/**
 * Multi-head scaled dot-product self-attention of x [B, T, d] -> [B, T, d]. With `causal`, position
 * t attends only to positions <= t.
 */
export function selfAttention(x: tf.Tensor, params: AttentionParams, heads: number, causal: boolean): tf.Tensor {
  const [batch, tokens, d] = x.shape as [number, number, number];
  const dh = d / heads;
  const qkv = linear(tf.reshape(x, [batch * tokens, d]), params.qkvWeight, params.qkvBias);
  const toHeads = (part: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(part, [batch, tokens, heads, dh]), [0, 2, 1, 3]);
  const [q, k, v] = tf.split(qkv, 3, 1).map(toHeads) as [tf.Tensor, tf.Tensor, tf.Tensor];
  let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
  if (causal) scores = tf.add(scores, causalMask(tokens));
  const weights = tf.softmax(scores, -1);
  const mixed = tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]);
  return linear(tf.reshape(mixed, [batch, tokens, d]), params.outWeight, params.outBias);
}
