import { interval, parseOptions, type ActivationFunction, type Plugin } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** Squared ReLU, relu(x)^2 (Primer): derivative 2 relu(x), flat on (-inf, 0], at rest at 0. */
export const squaredReluActivation: ActivationFunction = Object.freeze({
  name: 'squared-relu',
  apply: (x: tf.Tensor) => tf.tidy(() => tf.square(tf.relu(x))),
  derivative: (x: tf.Tensor) => tf.tidy(() => tf.mul(tf.relu(x), 2)),
  flatRegions: Object.freeze([interval(-Infinity, 0, false, true)]),
  restRegions: Object.freeze([interval(0, 0)]),
  reference: (x: number) => Math.max(x, 0) ** 2,
});

/** Squared ReLU takes no options. */
export type SquaredReluOptions = Record<string, never>;

/** Plugin 'squared-relu': contributes the activation 'squared-relu'. */
export function squaredRelu(options: SquaredReluOptions = {}): Plugin {
  parseOptions(z.strictObject({}), options, { plugin: 'squared-relu' });
  return builtinPlugin('squared-relu', { activations: [squaredReluActivation] });
}
