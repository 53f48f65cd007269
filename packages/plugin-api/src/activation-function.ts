import type * as tf from '@tensorflow/tfjs-core';
import type { Interval } from './interval.js';

/**
 * Extension point: the activation of every MLP block (sigma in the paper, spec section 2).
 * Besides the function itself, an activation declares its "habitat" (the authors' term): the
 * pre-activation intervals where its derivative is zero, and the output intervals that count as
 * inactive. Derivative sparsity and activation sparsity are computed from these declarations, so they
 * work for any activation, shifted ones included.
 */
export interface ActivationFunction {
  /** Unique name used in configs (for example 'relu', 'jsrelu'). */
  readonly name: string;
  /** Forward pass, called inside the gradient tape; must be differentiable (use tf.customGrad for a custom gradient). */
  apply(x: tf.Tensor, context?: ActivationContext): tf.Tensor;
  /** Elementwise derivative sigma'(x), called by metrics and tests (not by backpropagation). */
  derivative(x: tf.Tensor, context?: ActivationContext): tf.Tensor;
  /** Pre-activation intervals where sigma'(x) = 0 (for ReLU: (-inf, 0]). Empty if there are none. */
  readonly flatRegions: readonly Interval[];
  /**
   * True if sigma'(x) = 1 at every x outside the flat regions (ReLU, shifted ReLU). Metrics then use
   * 1 instead of evaluating `derivative` there (augmented flatness reads the layer once less); the
   * activation conformance check verifies the claim. Leave it unset for any other activation.
   */
  readonly unitSlope?: boolean;
  /** Output intervals that count as inactive (for ReLU: [0, 0]); activation sparsity measures |a - region| <= threshold. */
  readonly restRegions: readonly Interval[];
  /** Plain-JS float64 forward for one number: the independent reference used by conformance tests. */
  reference?(x: number, context?: ActivationContext): number;
}

/** Per-call information an activation may use (for example a mixing ramp over steps). */
export interface ActivationContext {
  /** The optimisation step the forward pass belongs to. */
  readonly step: number;
  /** Whether the model is in training mode. */
  readonly training: boolean;
}
