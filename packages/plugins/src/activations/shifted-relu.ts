import { interval, parseOptions, type ActivationFunction, type Plugin } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** Options of the shifted ReLU (both default to 0, which gives plain ReLU). */
export interface ShiftedReluOptions {
  /** Shift of the kink along the input axis. */
  readonly sx?: number;
  /** Value of the output on the flat region (its rest value). */
  readonly sy?: number;
}

const schema = z.strictObject({ sx: z.number().default(0), sy: z.number().default(0) });

/**
 * Shifted ReLU, relu(x - sx) + sy: flat on (-inf, sx], at rest at sy. With sy != 0 exact-zero
 * activation sparsity vanishes while derivative sparsity keeps its meaning (spec section 3).
 */
export function shiftedReluActivation(options: ShiftedReluOptions = {}): ActivationFunction {
  const { sx, sy } = parseOptions(schema, options, { plugin: 'shifted-relu' });
  return Object.freeze({
    name: 'shifted-relu',
    apply: (x: tf.Tensor) => tf.tidy(() => tf.add(tf.relu(tf.sub(x, sx)), sy)),
    derivative: (x: tf.Tensor) => tf.tidy(() => tf.cast(tf.greater(tf.sub(x, sx), 0), 'float32')),
    flatRegions: Object.freeze([interval(-Infinity, sx, false, true)]),
    unitSlope: true,
    restRegions: Object.freeze([interval(sy, sy)]),
    reference: (x: number) => Math.max(x - sx, 0) + sy,
  });
}

/** Plugin 'shifted-relu': contributes the activation 'shifted-relu'. */
export function shiftedRelu(options: ShiftedReluOptions = {}): Plugin {
  return builtinPlugin('shifted-relu', { activations: [shiftedReluActivation(options)] });
}
