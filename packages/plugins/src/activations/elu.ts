import { interval, parseOptions, type ActivationFunction, type Plugin } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

const PLUGIN = 'elu';
const schema = z.strictObject({ alpha: z.number().positive().finite().default(1) });

/** Options of ELU: `alpha` (> 0, default 1), the negative saturation value -alpha. */
export type EluOptions = z.input<typeof schema>;

/**
 * ELU (Clevert et al. 2016): x for x > 0, alpha (e^x - 1) below; derivative 1 for x > 0, alpha e^x
 * below (at 0 the left-hand value alpha, as backpropagation through tf.where gives). The derivative
 * is never exactly 0 (alpha > 0), so ELU has no flat region; its output is at rest only at 0. The
 * negative branch evaluates e^min(x, 0), so that large inputs give no infinite (and no NaN gradient)
 * in the branch tf.where discards.
 */
export function eluActivation(options: EluOptions = {}): ActivationFunction {
  const { alpha } = parseOptions(schema, options, { plugin: PLUGIN });
  return Object.freeze({
    name: PLUGIN,
    apply: (x: tf.Tensor) => tf.tidy(() => tf.where(tf.greater(x, 0), x, tf.mul(alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1)))),
    derivative: (x: tf.Tensor) => tf.tidy(() => tf.where(tf.greater(x, 0), tf.onesLike(x), tf.mul(alpha, tf.exp(tf.minimum(x, 0))))),
    flatRegions: Object.freeze([]),
    restRegions: Object.freeze([interval(0, 0)]),
    reference: (x: number) => (x > 0 ? x : alpha * Math.expm1(x)),
  });
}

/** Plugin 'elu': contributes the activation 'elu'. */
export function elu(options: EluOptions = {}): Plugin {
  return builtinPlugin(PLUGIN, { activations: [eluActivation(options)] });
}
