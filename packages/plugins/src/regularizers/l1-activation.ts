import { parseOptions, type LossTermInput, type Plugin, type Regularizer } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';
import { weightSchedule, type WeightScheduleSpec } from './weight-schedule.js';

/** Options of the L1 activation penalty. */
export interface L1ActivationOptions {
  /** Weight of the loss term (its final value for 'linear'; the multiplier of stage values for 'prosparse'). */
  readonly weight: number;
  /** How the weight evolves over steps (default { kind: 'constant' }). */
  readonly schedule?: WeightScheduleSpec;
}

const stage = z.strictObject({ steps: z.number().positive(), value: z.number() });
const schema = z.strictObject({
  weight: z.number().nonnegative(),
  schedule: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('constant') }),
      z.strictObject({ kind: z.literal('linear'), steps: z.number().positive() }),
      z.strictObject({ kind: z.literal('prosparse'), stages: z.array(stage).min(1) }),
    ])
    .default({ kind: 'constant' }),
});

/**
 * Mean |a| over every entry of every MLP activation, averaged over blocks (0 without blocks): the
 * unweighted L1 penalty, computed inside the gradient tape so that it trains the model.
 */
export function l1ActivationLoss(input: LossTermInput): tf.Scalar {
  return tf.tidy(() => {
    if (input.captures.length === 0) return tf.scalar(0);
    const perBlock = input.captures.map((c) => tf.mean(tf.abs(c.a)));
    return tf.div(tf.addN(perBlock), perBlock.length) as tf.Scalar;
  });
}

/** The regularizer 'l1-activation': loss term l1ActivationLoss weighted by the chosen schedule. */
export function l1ActivationRegularizer(options: L1ActivationOptions): Regularizer {
  const { weight, schedule } = parseOptions(schema, options, { plugin: 'l1-activation' });
  return Object.freeze({ name: 'l1-activation', lossTerm: l1ActivationLoss, weight: weightSchedule(weight, schedule) });
}

/** Plugin 'l1-activation': contributes the regularizer 'l1-activation'. */
export function l1Activation(options: L1ActivationOptions): Plugin {
  return builtinPlugin('l1-activation', { regularizers: [l1ActivationRegularizer(options)] });
}
