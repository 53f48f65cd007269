import * as tf from '@tensorflow/tfjs-core';
import type { EstimateCost, FlatnessInput } from '@flatsparse/plugin-api';
import { withTapeRelease } from '../tape-release.js';
import { flattenTensors, selectParams, type ParamFilter, type ParamSubset } from './param-vector.js';

/** Passes spent so far: calls of the loss closure and gradient evaluations. */
export interface PassCounts {
  /** Forward passes (calls of the loss closure). */
  forward: number;
  /** Backward passes (a double backward counts as two). */
  backward: number;
}

/**
 * Wraps a FlatnessInput: evaluates the loss and its gradient with respect to the selected parameter
 * subset, and counts the passes it spends (for `EstimateCost`). One evaluator per estimate.
 */
export class LossEvaluator {
  /** The parameters derivatives are taken with respect to. */
  readonly subset: ParamSubset;
  /** Passes spent by this evaluator (and by operators built on it) so far. */
  readonly counts: PassCounts = { forward: 0, backward: 0 };
  /** The wrapped input. */
  readonly input: FlatnessInput;

  /** `filter` (if given) overrides `input.filter`; neither: every trainable parameter. */
  constructor(input: FlatnessInput, filter?: ParamFilter) {
    this.input = input;
    this.subset = selectParams(input.params, filter ?? input.filter);
  }

  /** The loss at the current parameters (1 forward pass). */
  async value(): Promise<number> {
    const loss = tf.tidy(() => this.input.loss());
    this.record(1, 0);
    try {
      return (await loss.data())[0]!;
    } finally {
      loss.dispose();
    }
  }

  /** The loss and its gradient over the subset, flattened to float64 (1 forward + 1 backward pass). */
  async gradient(): Promise<{ loss: number; grad: Float64Array }> {
    const { loss, grads } = this.gradientTensors();
    try {
      const [value, grad] = await Promise.all([loss.data(), flattenTensors(grads)]);
      return { loss: value[0]!, grad };
    } finally {
      loss.dispose();
      grads.forEach((g) => g.dispose());
    }
  }

  /**
   * The loss and per-variable gradients as device tensors aligned with `subset.variables` (the caller
   * disposes them); a parameter the loss does not depend on gets zeros. 1 forward + 1 backward pass.
   */
  gradientTensors(): { loss: tf.Scalar; grads: tf.Tensor[] } {
    this.record(1, 1);
    const { value, grads } = withTapeRelease(() => tf.variableGrads(this.input.loss, [...this.subset.variables]));
    return { loss: value, grads: this.subset.variables.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
  }

  /** Adds passes spent outside `value`/`gradient*` (for example by an exact Hessian-vector product). */
  record(forward: number, backward: number): void {
    this.counts.forward += forward;
    this.counts.backward += backward;
  }

  /** The cost so far: pass counts and the wall time since `startedAt` (a `performance.now()` value). */
  cost(startedAt: number): EstimateCost {
    return { forwardPasses: this.counts.forward, backwardPasses: this.counts.backward, wallMs: performance.now() - startedAt };
  }
}
