import * as tf from '@tensorflow/tfjs-core';

/** softmax(q k^T / sqrt(dh) (+ mask)) v of every head, from q, k, v [B*T, d] to [B*T, d]. */
export type AttentionCore = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor;

/** The sizes an attention core is built for. */
export interface CoreShape {
  readonly batch: number;
  readonly tokens: number;
  readonly heads: number;
  readonly d: number;
  readonly causal: boolean;
}

/** Additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above it. */
export function causalMask(tokens: number): tf.Tensor {
  const values = new Float32Array(tokens * tokens);
  for (let i = 0; i < tokens; i++) for (let j = i + 1; j < tokens; j++) values[i * tokens + j] = -1e9;
  return tf.tensor2d(values, [tokens, tokens]);
}

/**
 * The core with batched matMuls [B, H, T, dh], as one custom-gradient op: the backward saves q, k, v
 * and the attention weights only (the generic tape would copy every intermediate) and writes the
 * softmax gradient in closed form. Used on backends with a fast batched matMul (GPU).
 */
export function batchedAttentionCore({ batch, tokens, heads, d, causal }: CoreShape): AttentionCore {
  const dh = d / heads;
  const scale = 1 / Math.sqrt(dh);
  const toHeads = (part: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(part, [batch, tokens, heads, dh]), [0, 2, 1, 3]);
  const fromHeads = (part: tf.Tensor): tf.Tensor => tf.reshape(tf.transpose(part, [0, 2, 1, 3]), [batch * tokens, d]);
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[3] as tf.GradSaveFunc;
    const [q, k, v] = (args.slice(0, 3) as tf.Tensor[]).map(toHeads) as [tf.Tensor, tf.Tensor, tf.Tensor];
    let scores = tf.mul(tf.matMul(q, k, false, true), scale);
    if (causal) scores = tf.add(scores, causalMask(tokens));
    const weights = tf.softmax(scores, -1);
    save([q, k, v, weights]);
    return {
      value: fromHeads(tf.matMul(weights, v)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qs, ks, vs, w] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const dOut = toHeads(dy);
        const dWeights = tf.matMul(dOut, vs, false, true);
        const dScores = tf.mul(tf.mul(w, tf.sub(dWeights, tf.sum(tf.mul(dWeights, w), -1, true))), scale);
        const dq = tf.matMul(dScores, ks);
        const dk = tf.matMul(dScores, qs, true, false);
        const dv = tf.matMul(w, dOut, true, false);
        return [fromHeads(dq), fromHeads(dk), fromHeads(dv)];
      },
    };
  }) as AttentionCore;
}
