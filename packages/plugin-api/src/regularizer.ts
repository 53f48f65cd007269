import type * as tf from '@tensorflow/tfjs-core';
import type { MlpCapture } from './mlp-capture.js';
import type { ModelView } from './model.js';
import type { Schedule } from './schedule.js';

/** What a loss term sees: the forward tensors of the current training step. */
export interface LossTermInput {
  /** The optimisation step. */
  readonly step: number;
  /** The model. */
  readonly model: ModelView;
  /** Forward captures of every MLP block (no gradients yet). */
  readonly captures: readonly MlpCapture[];
}

/**
 * Extension point: changes what training optimises. It may add a loss term (weighted by a schedule
 * over steps) and/or project parameters after every optimisation step. The paper's methods M1
 * (zeroth-bias clipping) and M2 (LayerNorm scale bound) are projections, not loss terms.
 */
export interface Regularizer {
  /** Unique name used in configs and in the logged loss breakdown. */
  readonly name: string;
  /** Called inside the gradient tape on every training step; returns an unweighted scalar loss. */
  lossTerm?(input: LossTermInput): tf.Scalar;
  /** Weight of the loss term at a step (constant 1 if absent). */
  readonly weight?: Schedule;
  /** Called after every optimisation step, inside tf.tidy; assigns projected values to parameters in place. */
  project?(model: ModelView, step: number): void;
}
