import { parseOptions, type MlpCapture, type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** Options of top-k sparsity. */
export interface TopkSparsityOptions {
  /** Share of each token's L1 mass the top-k entries must hold, in (0, 1] (default 0.99). */
  readonly mass?: number;
}

const schema = z.strictObject({ mass: z.number().gt(0).lte(1).default(0.99) });

/**
 * Top-k sparsity of `a` ([..., n]): per token, k is the smallest count whose largest |a| entries hold
 * `mass` of the token's L1 mass (k = 0 for an all-zero token). Returns { value: 1 - mean(k) / n,
 * meanK: mean(k) } as scalar tensors on the device. With mass = 1, k is the number of nonzero entries.
 */
export function topkSparsityOf(a: tf.Tensor, mass = 0.99): { value: tf.Scalar; meanK: tf.Scalar } {
  return tf.tidy(() => {
    const n = a.shape[a.rank - 1] ?? 1;
    const sorted = tf.topk(tf.abs(tf.reshape(a, [-1, n])), n, true).values;
    const tokens = sorted.shape[0] ?? 0;
    // Partial sums from one cumsum, so the total and the exclusive sums share their rounding: entries
    // past the last nonzero one then never count, even with mass = 1.
    const inclusive = tf.cumsum(sorted, 1);
    const total = tf.slice(inclusive, [0, n - 1], [tokens, 1]);
    const head = tf.zeros([tokens, 1]);
    const exclusive = n === 1 ? head : tf.concat([head, tf.slice(inclusive, [0, 0], [tokens, n - 1])], 1);
    const k = tf.sum(tf.cast(tf.less(exclusive, tf.mul(total, mass)), 'float32'), 1);
    const meanK = tf.mean(k) as tf.Scalar;
    return { value: tf.sub(1, tf.div(meanK, n)) as tf.Scalar, meanK };
  });
}

/** The metric 'topk-sparsity' with the figures { value, meanK }, from the forward pass only. */
export function topkSparsityMetric(options: TopkSparsityOptions = {}): SparsityMetric {
  const { mass } = parseOptions(schema, options, { plugin: 'topk-sparsity' });
  return Object.freeze({ name: 'topk-sparsity', compute: (capture: MlpCapture) => topkSparsityOf(capture.a, mass) });
}

/** Plugin 'topk-sparsity': contributes the metric 'topk-sparsity'. */
export function topkSparsity(options: TopkSparsityOptions = {}): Plugin {
  return builtinPlugin('topk-sparsity', { metrics: [topkSparsityMetric(options)] });
}
