import { interval, parseOptions, type ActivationContext, type ActivationFunction, type Plugin } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';
import { jSquaredReLUDerivative, jSquaredReLUForward, jSquaredReLUMixWeight, jSquaredReLUReference } from './j-squared-relu-math.js';

/** Default ramp length T_mix of the ReLU -> JSReLU mix (the paper's 3000 steps). */
export const DEFAULT_MIX_STEPS = 3000;

/** Options of J-SquaredReLU (M3). */
export interface JSquaredReLUOptions {
  /** The released code's bounded variant: identical for x <= 4, 5 (x - 4) + 12 above (default false). */
  readonly bounded?: boolean;
  /**
   * Fine-tuning from a ReLU model: sigma_k = (1 - k) relu + k JSReLU, k = min(step / steps, 1), with
   * `step` from the ActivationContext. `true` means { steps: 3000 } (default: no mix).
   */
  readonly mix?: boolean | { readonly steps?: number };
}

const PLUGIN = 'j-squared-relu';
const schema = z.strictObject({
  bounded: z.boolean().default(false),
  mix: z.union([z.boolean(), z.strictObject({ steps: z.number().positive().finite().default(DEFAULT_MIX_STEPS) })]).default(false),
});

/**
 * J-SquaredReLU (M3) as a plain activation named 'j-squared-relu': f(x) = relu(x) + relu(x)^2 / 2 with
 * the custom gradient (x + 1) * 1[x >= 0]; flat on (-inf, 0) (open: f'(0) = 1), at rest at 0. With
 * `mix`, the ramp from ReLU reads the step of the ActivationContext; `derivative` and `reference`
 * called without a context use the step of the latest `apply` (metrics compute on the captures of the
 * latest forward pass), 0 before any.
 */
export function jSquaredReLUActivation(options: JSquaredReLUOptions = {}): ActivationFunction {
  const { bounded, mix } = parseOptions(schema, options, { plugin: PLUGIN });
  const base = { name: 'j-squared-relu', flatRegions: Object.freeze([interval(-Infinity, 0, false, false)]), restRegions: Object.freeze([interval(0, 0)]) };
  if (mix === false) {
    return Object.freeze({
      ...base,
      apply: (x: tf.Tensor) => jSquaredReLUForward(x, bounded),
      derivative: (x: tf.Tensor) => jSquaredReLUDerivative(x, bounded),
      reference: (x: number) => jSquaredReLUReference(x, bounded),
    });
  }
  const steps = mix === true ? DEFAULT_MIX_STEPS : mix.steps;
  let lastStep = 0;
  const weight = (context: ActivationContext | undefined): number => jSquaredReLUMixWeight(context?.step ?? lastStep, steps);
  return Object.freeze({
    ...base,
    apply: (x: tf.Tensor, context?: ActivationContext) => {
      if (context !== undefined) lastStep = context.step;
      const k = weight(context);
      if (k === 0) return tf.relu(x);
      if (k === 1) return jSquaredReLUForward(x, bounded);
      return tf.tidy(() => tf.add(tf.mul(tf.relu(x), 1 - k), tf.mul(jSquaredReLUForward(x, bounded), k)));
    },
    derivative: (x: tf.Tensor, context?: ActivationContext) => {
      const k = weight(context);
      return tf.tidy(() => {
        const reluSlope = tf.cast(tf.greater(x, 0), 'float32');
        if (k === 0) return reluSlope;
        if (k === 1) return jSquaredReLUDerivative(x, bounded);
        return tf.add(tf.mul(reluSlope, 1 - k), tf.mul(jSquaredReLUDerivative(x, bounded), k));
      });
    },
    reference: (x: number, context?: ActivationContext) => {
      const k = weight(context);
      return (1 - k) * Math.max(x, 0) + k * jSquaredReLUReference(x, bounded);
    },
  });
}

/** Plugin 'j-squared-relu' (M3): contributes the activation 'j-squared-relu' (select it with `activation: 'j-squared-relu'`). */
export function jSquaredReLU(options: JSquaredReLUOptions = {}): Plugin {
  return builtinPlugin(PLUGIN, { activations: [jSquaredReLUActivation(options)] });
}
