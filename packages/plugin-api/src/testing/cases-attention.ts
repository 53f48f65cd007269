import * as tf from '@tensorflow/tfjs-core';
import type { Tolerance } from './compare.js';
import { floats } from './inputs.js';
import { opCase } from './op-case.js';
import { map, zip, type Nd } from './reference-nd.js';
import { matMul, reshape, softmax, transpose } from './reference-ops.js';
import type { ConformanceCase } from './types.js';

const B = 2;
const T = 4;
const D = 8;
const H = 2;
const DH = D / H;
const MASKED = -1e9;

/** Additive causal mask [T, T]: 0 where key <= query, -1e9 above the diagonal. */
function causalMask(): Float32Array {
  return Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? MASKED : 0));
}

/** tfjs multi-head causal self-attention, written the way the GPT model writes it. */
function attention(x: tf.Tensor, wq: tf.Tensor, wk: tf.Tensor, wv: tf.Tensor, wo: tf.Tensor): tf.Tensor {
  const flat = tf.reshape(x, [B * T, D]);
  const heads = (w: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(tf.matMul(flat, w), [B, T, H, DH]), [0, 2, 1, 3]);
  const scores = tf.div(tf.matMul(heads(wq), heads(wk), false, true), Math.sqrt(DH));
  const masked = tf.add(scores, tf.tensor2d(causalMask(), [T, T]));
  const context = tf.matMul(tf.softmax(masked), heads(wv));
  const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [B * T, D]);
  return tf.reshape(tf.matMul(merged, wo), [B, T, D]);
}

/** The same computation in float64. */
function attentionReference(x: Nd, wq: Nd, wk: Nd, wv: Nd, wo: Nd): Nd {
  const flat = reshape(x, [B * T, D]);
  const heads = (w: Nd): Nd => transpose(reshape(matMul(flat, w), [B, T, H, DH]), [0, 2, 1, 3]);
  const scores = map(matMul(heads(wq), heads(wk), false, true), (v) => v / Math.sqrt(DH));
  const masked = zip(scores, { shape: [T, T], data: Float64Array.from(causalMask()) }, (s, m) => s + m);
  const context = matMul(softmax(masked), heads(wv));
  const merged = reshape(transpose(context, [0, 2, 1, 3]), [B * T, D]);
  return reshape(matMul(merged, wo), [B, T, D]);
}

/** Causal multi-head attention (B=2, T=4, d=8, 2 heads): gradients for x and all four projections. */
export function attentionCase(tol: Tolerance, gradTol: Tolerance): ConformanceCase {
  const weight = { scale: 1 / Math.sqrt(D) };
  return opCase({
    name: 'causal multi-head attention',
    group: 'composite',
    inputs: (rng) => [floats(rng, [B, T, D]), floats(rng, [D, D], weight), floats(rng, [D, D], weight), floats(rng, [D, D], weight), floats(rng, [D, D], weight)],
    forward: (x, wq, wk, wv, wo) => attention(x!, wq!, wk!, wv!, wo!),
    reference: (x, wq, wk, wv, wo) => attentionReference(x!, wq!, wk!, wv!, wo!),
    tol,
    gradTol,
  });
}
