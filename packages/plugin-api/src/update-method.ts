import type * as tf from '@tensorflow/tfjs-core';
import type { Batch } from './events.js';

/** Gradients by trainable parameter name. */
export type GradientMap = ReadonlyMap<string, tf.Tensor>;

/**
 * What the trainer gives an update method at each training step. Every gradient is of the full
 * training loss the trainer minimises: the data loss with the trainer's label smoothing plus every
 * regularizer's weighted loss term, on this step's batch. `offsets` moves named parameters to
 * w + offset for that one pass; the trainer puts every parameter back bit-exactly afterwards, so a
 * method never writes parameters itself. Tensors are the trainer's, valid during the call (it runs
 * inside the step's tf.tidy).
 */
export interface UpdateInput {
  readonly step: number;
  readonly batch: Batch;
  /** The trainable parameters at w, by name (read only). */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /**
   * A silent pass at w + offsets: its gradients, and nothing else (no probes, no events, no metrics).
   * Costs one forward and one backward pass; may be called any number of times. Every trainable
   * parameter has an entry (zeros where the loss does not reach it).
   */
  gradient(offsets?: GradientMap): GradientMap;
  /**
   * The step's observed pass at w + offsets: probes and captures, 'afterForward' and 'afterBackward'
   * with these gradients, the step's loss and metric figures. Must be called exactly once per step.
   */
  observedGradient(offsets?: GradientMap): GradientMap;
}

/**
 * A step-level training method: it decides which gradient the optimiser applies at w, from any
 * number of silent passes and the step's one observed pass (SAM: the gradient at w + rho g / ||g||).
 * At most one per run; without one the trainer applies `observedGradient()`. The returned map names
 * trainable parameters; a parameter it leaves out is not updated this step.
 */
export interface UpdateMethod {
  /** Unique name among update methods (kebab-case, for example 'sam'). */
  readonly name: string;
  /** The gradients to apply at this step. */
  gradients(input: UpdateInput): GradientMap;
}
