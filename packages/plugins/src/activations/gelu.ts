import { interval, parseOptions, type ActivationFunction, type Plugin } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';
import { normalCdf } from './erf.js';

/** Options of GELU. */
export interface GeluOptions {
  /** 'none' (default): the exact x Phi(x) with erf; 'tanh': the tanh approximation of BERT/GPT-2. */
  readonly approximate?: 'none' | 'tanh';
}

const schema = z.strictObject({ approximate: z.enum(['none', 'tanh']).default('none') });
const TANH_SCALE = Math.sqrt(2 / Math.PI);
const TANH_CUBIC = 0.044715;

/**
 * GELU as a plain activation. Exact form x Phi(x) = x (1 + erf(x / sqrt 2)) / 2 with derivative
 * Phi(x) + x phi(x) (tf.erf has a registered gradient, so no custom gradient is needed). The 'tanh'
 * form is x (1 + tanh(u)) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3). No flat region; at rest at 0.
 */
export function geluActivation(options: GeluOptions = {}): ActivationFunction {
  const { approximate } = parseOptions(schema, options, { plugin: 'gelu' });
  const base = { name: 'gelu', flatRegions: Object.freeze([]), restRegions: Object.freeze([interval(0, 0)]) };
  if (approximate === 'tanh') {
    // 0.5 (1 + tanh(u)) = sigmoid(2u) and 1 - tanh(u)^2 = 4 s (1 - s): the sigmoid form keeps the
    // derivative from cancelling to 0 in float32 far in the negative tail.
    const twoU = (x: tf.Tensor): tf.Tensor => tf.mul(tf.add(x, tf.mul(tf.mul(x, tf.square(x)), TANH_CUBIC)), 2 * TANH_SCALE);
    return Object.freeze({
      ...base,
      apply: (x: tf.Tensor) => tf.tidy(() => tf.mul(x, tf.sigmoid(twoU(x)))),
      derivative: (x: tf.Tensor) =>
        tf.tidy(() => {
          const s = tf.sigmoid(twoU(x));
          const dTwoU = tf.mul(tf.add(1, tf.mul(tf.square(x), 3 * TANH_CUBIC)), 2 * TANH_SCALE);
          return tf.mul(s, tf.add(1, tf.mul(tf.mul(x, tf.sub(1, s)), dTwoU)));
        }),
      reference: (x: number) => 0.5 * x * (1 + Math.tanh(TANH_SCALE * (x + TANH_CUBIC * x * x * x))),
    });
  }
  const cdf = (x: tf.Tensor): tf.Tensor => tf.mul(tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))), 0.5);
  return Object.freeze({
    ...base,
    apply: (x: tf.Tensor) => tf.tidy(() => tf.mul(x, cdf(x))),
    derivative: (x: tf.Tensor) => tf.tidy(() => tf.add(cdf(x), tf.mul(x, tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI))))),
    reference: (x: number) => x * normalCdf(x),
  });
}

/** Plugin 'gelu': contributes the activation 'gelu' (exact by default, `approximate: 'tanh'` for the tanh form). */
export function gelu(options: GeluOptions = {}): Plugin {
  return builtinPlugin('gelu', { activations: [geluActivation(options)] });
}
