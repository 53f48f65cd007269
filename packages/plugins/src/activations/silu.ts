import { interval, parseOptions, type ActivationFunction, type Plugin } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/**
 * SiLU (swish), x * sigmoid(x): derivative s (1 + x (1 - s)) with s = sigmoid(x). Its derivative is
 * never exactly 0, so it has no flat region; its output is at rest only at 0.
 */
export const siluActivation: ActivationFunction = Object.freeze({
  name: 'silu',
  apply: (x: tf.Tensor) => tf.tidy(() => tf.mul(x, tf.sigmoid(x))),
  derivative: (x: tf.Tensor) =>
    tf.tidy(() => {
      const s = tf.sigmoid(x);
      return tf.mul(s, tf.add(1, tf.mul(x, tf.sub(1, s))));
    }),
  flatRegions: Object.freeze([]),
  restRegions: Object.freeze([interval(0, 0)]),
  reference: (x: number) => x / (1 + Math.exp(-x)),
});

/** SiLU takes no options. */
export type SiluOptions = Record<string, never>;

/** Plugin 'silu': contributes the activation 'silu'. */
export function silu(options: SiluOptions = {}): Plugin {
  parseOptions(z.strictObject({}), options, { plugin: 'silu' });
  return builtinPlugin('silu', { activations: [siluActivation] });
}
