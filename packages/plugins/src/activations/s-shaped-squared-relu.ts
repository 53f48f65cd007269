import { interval, parseOptions, type ActivationFunction, type Plugin } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** Options of the S-shaped squared ReLU (both default to 0). The paper's stability study uses +-1.6. */
export interface SShapedSquaredReluOptions {
  /** Shift of the flat middle interval along the input axis. */
  readonly sx?: number;
  /** Value of the output on the flat middle interval (its rest value). */
  readonly sy?: number;
}

/** Half-width of the flat middle interval, fixed by the paper. */
export const S_SHAPED_HALF_WIDTH = 1.5;

const schema = z.strictObject({ sx: z.number().default(0), sy: z.number().default(0) });
const H = S_SHAPED_HALF_WIDTH;

/**
 * The shifted S-shaped squared ReLU of the paper's stability study (spec section 5):
 * f(x) = SQ(u - 1.5) - SQ(-u - 1.5) + sy with u = x - sx and SQ(v) = relu(v)^2;
 * f'(x) = 2 relu(u - 1.5) + 2 relu(-u - 1.5). Flat on [sx - 1.5, sx + 1.5], at rest at sy.
 */
export function sShapedSquaredReluActivation(options: SShapedSquaredReluOptions = {}): ActivationFunction {
  const { sx, sy } = parseOptions(schema, options, { plugin: 's-shaped-squared-relu' });
  const sq = (v: number): number => Math.max(v, 0) ** 2;
  return Object.freeze({
    name: 's-shaped-squared-relu',
    apply: (x: tf.Tensor) =>
      tf.tidy(() => {
        const u = tf.sub(x, sx);
        return tf.add(tf.sub(tf.square(tf.relu(tf.sub(u, H))), tf.square(tf.relu(tf.sub(tf.neg(u), H)))), sy);
      }),
    derivative: (x: tf.Tensor) =>
      tf.tidy(() => {
        const u = tf.sub(x, sx);
        return tf.mul(tf.add(tf.relu(tf.sub(u, H)), tf.relu(tf.sub(tf.neg(u), H))), 2);
      }),
    flatRegions: Object.freeze([interval(sx - H, sx + H)]),
    restRegions: Object.freeze([interval(sy, sy)]),
    reference: (x: number) => sq(x - sx - H) - sq(-(x - sx) - H) + sy,
  });
}

/** Plugin 's-shaped-squared-relu': contributes the activation 's-shaped-squared-relu'. */
export function sShapedSquaredRelu(options: SShapedSquaredReluOptions = {}): Plugin {
  return builtinPlugin('s-shaped-squared-relu', { activations: [sShapedSquaredReluActivation(options)] });
}
