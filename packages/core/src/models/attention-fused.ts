import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel, runFused } from '@flatsparse/plugin-api';
import type { CoreShape } from './attention-core.js';

const cache = new Map<string, (qkv: tf.Tensor) => tf.Tensor>();

/**
 * The attention core on the backend's fused kernels: qkv [B*T, 3d] (queries, keys, values side by
 * side, as the fused projection makes them) -> [B*T, d], one kernel forward (saving the attention
 * weights) and one backward (giving the gradient of qkv). Same mathematics as batchedAttentionCore.
 */
export function fusedAttention(shape: CoreShape): (qkv: tf.Tensor) => tf.Tensor {
  const key = `${shape.batch}/${shape.tokens}/${shape.heads}/${shape.d}/${shape.causal}`;
  let op = cache.get(key);
  if (op !== undefined) return op;
  const attrs = { batch: shape.batch, tokens: shape.tokens, heads: shape.heads, causal: shape.causal };
  op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const qkv = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const [out, probs] = runFused(FusedKernel.Attention, { qkv }, attrs) as [tf.Tensor, tf.Tensor];
    save([qkv, probs]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [q, p] = saved as [tf.Tensor, tf.Tensor];
        return runFused(FusedKernel.AttentionGrad, { dy, qkv: q, probs: p }, attrs);
      },
    };
  }) as (qkv: tf.Tensor) => tf.Tensor;
  cache.set(key, op);
  return op;
}
