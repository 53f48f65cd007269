import * as tf from '@tensorflow/tfjs-core';
import { linear } from './linear.js';

/**
 * Splits images [B, H, W, C] into non-overlapping P x P patches, flattened in (row, column, channel)
 * order: [B, (H/P) * (W/P), P * P * C], patches listed row by row. Equivalent to a stride-P convolution
 * whose kernel [P, P, C, d] is reshaped to [P * P * C, d].
 */
export function patchify(images: tf.Tensor, patch: number): tf.Tensor {
  const [batch, height, width, channels] = images.shape as [number, number, number, number];
  const rows = height / patch;
  const cols = width / patch;
  // [B * rows, P, cols, P * C] -> [B * rows, cols, P, P * C]: rank 4 keeps every backend's transpose happy.
  const split = tf.reshape(images, [batch * rows, patch, cols, patch * channels]);
  const patches = tf.transpose(split, [0, 2, 1, 3]);
  return tf.reshape(patches, [batch, rows * cols, patch * patch * channels]);
}

/**
 * ViT embedding: patches linearly embedded to d, a learned class token prepended, learned positions
 * added. Returns [B, 1 + N, d].
 */
export function embedPatches(
  images: tf.Tensor,
  patch: number,
  weights: { readonly weight: tf.Tensor; readonly bias: tf.Tensor; readonly cls: tf.Tensor; readonly pos: tf.Tensor },
): tf.Tensor {
  const batch = images.shape[0]!;
  const d = weights.weight.shape[1]!;
  const tokens = linear(patchify(images, patch), weights.weight, weights.bias);
  // 0 + cls broadcast over the batch, not tf.tile (nor broadcastTo, which runs Tile): the gradient of
  // Tile adds B slices one by one (slow on wasm); that of a broadcasting add is one sum.
  const cls = tf.add(tf.zeros([batch, 1, d]), tf.reshape(weights.cls, [1, 1, d]));
  return tf.add(tf.concat([cls, tokens], 1), weights.pos);
}

/**
 * GPT embedding: token ids [B, T] looked up in the table [vocab, d] (as a one-hot matMul, whose
 * gradient every backend supports), plus the first T rows of the position table [maxTokens, d].
 * Ids outside [0, vocab) embed to zero.
 */
export function embedTokens(ids: tf.Tensor, table: tf.Tensor, positions: tf.Tensor): tf.Tensor {
  const [batch, tokens] = ids.shape as [number, number];
  const [vocab, d] = table.shape as [number, number];
  // int32 one-hot then cast: tfjs-backend-wasm 4.22 writes integer bit patterns for oneHot(..., 'float32').
  const oneHot = tf.cast(tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, vocab), 'float32');
  const embedded = tf.reshape(linear(oneHot, table), [batch, tokens, d]);
  const pos = tokens === positions.shape[0] ? positions : tf.slice(positions, [0, 0], [tokens, d]);
  return tf.add(embedded, pos);
}
