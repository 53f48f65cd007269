/**
 * flatsparse-plugin-fatrelu: FATReLU, the forced-activation-threshold ReLU (Kurtz et al., 2020),
 * as a third-party flatsparse plugin. It depends on @flatsparse/plugin-api only, and follows its
 * plugin module contract: the default export is the plugin factory, `optionsSchema` validates its options.
 */
import { interval, parseOptions, type ActivationFunction, type Plugin } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

/** The plugin's name: its npm package name. */
export const PLUGIN_NAME = 'flatsparse-plugin-fatrelu';
/** The plugin's own version (equal to package.json's; a test checks it). */
export const PLUGIN_VERSION = '0.1.0';
/** Range of @flatsparse/plugin-api versions this plugin supports; the host checks it before a run. */
export const API_VERSION = '^0.7.0';
/** Name of the contributed activation (`activation: fatrelu` in a config). */
export const ACTIVATION_NAME = 'fatrelu';

/**
 * Options of FATReLU: `threshold` (number >= 0, default 0.1), below which every input is set to 0.
 * Published so that a pipeline validates a config's `options` before training starts (zod
 * objects implement Standard Schema v1); the factory validates them again when called from code.
 */
export const optionsSchema = z.strictObject({ threshold: z.number().nonnegative().default(0.1) });

/** Options as written in a config or passed from code. */
export type FatReluOptions = z.input<typeof optionsSchema>;


/**
 * FATReLU: f(x) = x for x >= threshold, 0 below. Unlike a shifted ReLU the output jumps from 0 to
 * `threshold` at x = threshold, so small activations are forced to exactly 0 (more activation
 * sparsity) while active ones keep their value.
 *
 * Derivative: f'(x) = 1[x >= threshold]. At the jump the function is not differentiable (for
 * threshold > 0 its distributional derivative has a Dirac term threshold * delta(x - threshold));
 * like backpropagation through tf.where, `derivative` takes the right-hand value 1 there, and the
 * flat region (-inf, threshold) is open at the threshold accordingly. With threshold 0 this is ReLU
 * except at 0, where its derivative is 1 instead of 0. Outputs at rest are exactly 0.
 */
export function fatreluActivation(options?: unknown): ActivationFunction {
  const { threshold } = parseOptions(optionsSchema, options, { plugin: PLUGIN_NAME, fix: 'see README.md.' });
  return Object.freeze({
    name: ACTIVATION_NAME,
    apply: (x: tf.Tensor) => tf.tidy(() => tf.where(tf.greaterEqual(x, threshold), x, tf.zerosLike(x))),
    derivative: (x: tf.Tensor) => tf.tidy(() => tf.cast(tf.greaterEqual(x, threshold), 'float32')),
    flatRegions: Object.freeze([interval(-Infinity, threshold, false, false)]),
    restRegions: Object.freeze([interval(0, 0)]),
    reference: (x: number) => (x >= threshold ? x : 0),
  });
}

/**
 * The plugin factory (default export), called by a pipeline with the config's `options` after they
 * passed `optionsSchema`. The plugin contributes the activation 'fatrelu'.
 */
export default function fatrelu(options?: unknown): Plugin {
  return { name: PLUGIN_NAME, version: PLUGIN_VERSION, apiVersion: API_VERSION, contributes: { activations: [fatreluActivation(options)] } };
}
