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

/** The randomness an estimate used, so that it can be repeated. */
export interface EstimateRandomness {
  /** Seed of every random draw (probes, starting vectors, noise). */
  readonly seed: number;
  /** Number of random probes / noise draws / starting vectors (0 for a deterministic estimate). */
  readonly probes: number;
}

/** A curve an estimate produces (for example a spectral density), plotted in reports. */
export interface EstimateCurve {
  /** Abscissae (for example eigenvalue grid points). */
  readonly x: readonly number[];
  /** Ordinates (for example density), same length as x. */
  readonly y: readonly number[];
}

/** An estimate: named figures (for example { trace, traceStdErr }), what it cost and its randomness. */
export interface FlatnessEstimate {
  /** Named figures, read back to plain numbers (standard errors as `<figure>StdErr`, intervals as `<figure>Lo`/`<figure>Hi`). */
  readonly figures: Readonly<Record<string, number>>;
  /** Cost of the estimate. */
  readonly cost: EstimateCost;
  /** Seed and number of probes (absent for deterministic estimates). */
  readonly randomness?: EstimateRandomness;
  /** How curvature was evaluated ('finite-difference' or 'exact' Hessian-vector products) and why. */
  readonly method?: { readonly hvp: 'finite-difference' | 'exact'; readonly reason: string };
  /** Curves (for example { spectralDensity }), plotted in reports. */
  readonly curves?: Readonly<Record<string, EstimateCurve>>;
}

/**
 * Extension point: a flatness (curvature) measure of the loss landscape, given a loss closure over
 * named parameters. Estimators must leave every parameter exactly as they found it.
 */
export interface FlatnessEstimator {
  /** Unique name used in configs (for example 'hessian-trace'). */
  readonly name: string;
  /** Computes the estimate; called at scheduled steps, outside the training step. */
  estimate(input: FlatnessInput): Promise<FlatnessEstimate>;
}
