import type * as tf from '@tensorflow/tfjs-core';

/** A loss over the model's parameters as they currently are; each call is one forward pass. */
export type LossClosure = () => tf.Scalar;

/** What an estimator is given. */
export interface FlatnessInput {
  /** The loss on a fixed batch, so that figures are comparable across checkpoints. */
  readonly loss: LossClosure;
  /** Every named parameter of the model. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** Restricts the estimate to parameters whose name passes (default: all trainable ones). */
  readonly filter?: (name: string) => boolean;
  /** Seed for any randomness (probes, noise), so that estimates are reproducible. */
  readonly seed: number;
}

/** What it cost to compute an estimate. */
export interface EstimateCost {
  /** Forward passes (calls of the loss closure). */
  readonly forwardPasses: number;
  /** Backward passes (gradient evaluations). */
  readonly backwardPasses: number;
  /** Wall time in milliseconds. */
  readonly wallMs: number;
}

/** An estimate: named figures (for example { trace, traceStdErr }) and what it cost. */
export interface FlatnessEstimate {
  /** Named figures, read back to plain numbers. */
  readonly figures: Readonly<Record<string, number>>;
  /** Cost of the estimate. */
  readonly cost: EstimateCost;
}

/**
 * Extension point: a flatness (curvature) measure of the loss landscape, given a loss closure over
 * named parameters. Estimators must leave every parameter exactly as they found it.
 */
export interface FlatnessEstimator {
  /** Unique name used in configs (for example 'hessianTrace'). */
  readonly name: string;
  /** Computes the estimate; called at scheduled steps, outside the training step. */
  estimate(input: FlatnessInput): Promise<FlatnessEstimate>;
}
