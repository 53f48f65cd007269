import { interval, parseOptions, type ActivationFunction, type Plugin } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** ReLU, max(x, 0): flat on (-inf, 0] (the gradient at the kink is 0, as in tf.relu), at rest at 0. */
export const reluActivation: ActivationFunction = Object.freeze({
  name: 'relu',
  apply: (x: tf.Tensor) => tf.relu(x),
  // step(x, 0) is 1 for x > 0 and 0 for x <= 0 (alpha 0): the same values as x > 0, a third of the cost on wasm.
  derivative: (x: tf.Tensor) => tf.step(x, 0),
  flatRegions: Object.freeze([interval(-Infinity, 0, false, true)]),
  unitSlope: true,
  restRegions: Object.freeze([interval(0, 0)]),
  reference: (x: number) => Math.max(x, 0),
});

/** ReLU takes no options. */
export type ReluOptions = Record<string, never>;

/** Plugin 'relu': contributes the activation 'relu'. */
export function relu(options: ReluOptions = {}): Plugin {
  parseOptions(z.strictObject({}), options, { plugin: 'relu' });
  return builtinPlugin('relu', { activations: [reluActivation] });
}
