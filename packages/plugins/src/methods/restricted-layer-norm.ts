import { parseOptions, type ModelView, type Plugin, type Regularizer } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BUILTIN_API_RANGE, BUILTIN_PLUGIN_VERSION } from '../plugin-meta.js';

/** Default ramp length T_up of the fine-tuning mode (the paper's 3000 steps on C4). */
export const DEFAULT_RAMP_STEPS = 3000;

/** Options of the restricted LayerNorm (M2). */
export interface RestrictedLayerNormOptions {
  /**
   * 'scratch' (default): the shift beta is removed (zeroed and frozen) and gamma <- max(gamma, bound).
   * 'finetune': beta keeps its values but is frozen, and |gamma| <- max(|gamma|, bound min(k / rampSteps, 1))
   * after k completed steps, each entry keeping its sign (0 counts as +).
   */
  readonly mode?: 'scratch' | 'finetune';
  /** Lower bound on gamma (scratch) or the end of the ramp on |gamma| (finetune); default 1. */
  readonly bound?: number;
  /**
   * Ramp length T_up in steps: the bound rises as bound min(k / rampSteps, 1). 'finetune': default 3000
   * (the paper's C4 runs); 'scratch': default none (the bound holds from the first step, as the
   * authors' from-scratch runs; a ramp is a reproduction setting).
   */
  readonly rampSteps?: number;
}

const PLUGIN = 'restricted-layer-norm';
const schema = z
  .strictObject({
    mode: z.enum(['scratch', 'finetune']).default('scratch'),
    bound: z.number().positive().finite().default(1),
    rampSteps: z.number().positive().finite().optional(),
  });

/**
 * The lower bound M2 puts on |gamma| after the step with 0-based index `step` (the index the trainer
 * passes to `project`): without a ramp `bound`; with one (finetune: 3000 steps by default) bound
 * min((step + 1) / rampSteps, 1), where step + 1
 * is the number of completed steps, so the next forward pass (step + 1) sees the bound of its own index.
 */
export function layerNormScaleBound(step: number, options: RestrictedLayerNormOptions = {}): number {
  return boundAt(step, parseOptions(schema, options, { plugin: PLUGIN }));
}

function boundAt(step: number, { mode, bound, rampSteps }: z.output<typeof schema>): number {
  const ramp = rampSteps ?? (mode === 'finetune' ? DEFAULT_RAMP_STEPS : undefined);
  return ramp === undefined ? bound : bound * Math.min(Math.max(step + 1, 0) / ramp, 1);
}

/**
 * gamma projected onto |gamma| >= bound. Without `keepSign`: max(gamma, bound) (negative entries become
 * bound); with it: sign(gamma) max(|gamma|, bound), where sign(0) = +1. Returns a new tensor.
 */
export function restrictLayerNormScale(scale: tf.Tensor, bound: number, keepSign: boolean): tf.Tensor {
  return tf.tidy(() => {
    if (!keepSign) return tf.maximum(scale, bound);
    const magnitude = tf.maximum(tf.abs(scale), bound);
    return tf.where(tf.greaterEqual(scale, 0), magnitude, tf.neg(magnitude));
  });
}

/** The projection of M2 on the scales of the LayerNorms feeding MLP blocks (attention LayerNorms untouched). */
export function restrictedLayerNormRegularizer(options: RestrictedLayerNormOptions = {}): Regularizer {
  const parsed = parseOptions(schema, options, { plugin: PLUGIN });
  return Object.freeze({
    name: 'restricted-layer-norm',
    project(model: ModelView, step: number) {
      const bound = boundAt(step, parsed);
      for (const block of model.mlpBlocks) {
        const scale = block.lnScale === undefined ? undefined : model.params.get(block.lnScale);
        if (scale !== undefined) scale.assign(restrictLayerNormScale(scale, bound, parsed.mode === 'finetune'));
      }
    },
  });
}

/**
 * What M2 does once the model is built: every MLP LayerNorm shift frozen (scratch mode: zeroed first),
 * and in scratch mode gamma projected at once, so gamma >= bound holds from the first forward pass.
 */
export function restrictLayerNorms(model: ModelView, options: RestrictedLayerNormOptions = {}): void {
  const parsed = parseOptions(schema, options, { plugin: PLUGIN });
  for (const block of model.mlpBlocks) {
    const shift = block.lnShift === undefined ? undefined : model.params.get(block.lnShift);
    if (shift !== undefined) {
      if (parsed.mode === 'scratch') tf.tidy(() => shift.assign(tf.zerosLike(shift)));
      model.setTrainable(block.lnShift!, false);
    }
  }
  if (parsed.mode === 'scratch') tf.tidy(() => restrictedLayerNormRegularizer(parsed).project!(model, 0));
}

/**
 * Plugin 'restricted-layer-norm' (M2): a lower bound on the scale of the LayerNorms feeding MLP blocks,
 * with their shift removed (scratch) or frozen (finetune). Contributes the regularizer 'restricted-layer-norm'.
 */
export function restrictedLayerNorm(options: RestrictedLayerNormOptions = {}): Plugin {
  const regularizer = restrictedLayerNormRegularizer(options);
  return {
    name: PLUGIN,
    version: BUILTIN_PLUGIN_VERSION,
    apiVersion: BUILTIN_API_RANGE,
    contributes: { regularizers: [regularizer] },
    hooks: { modelBuilt: ({ model }) => restrictLayerNorms(model, options) },
  };
}
