import type * as tf from '@tensorflow/tfjs-core';
import type { ActivationContext, ActivationFunction } from './activation-function.js';
import type { MlpBlockInfo } from './model.js';

/**
 * What an instrumented MLP block exposes for one forward (and backward) pass, for batch B, tokens T,
 * width d and MLP width n (spec section 2). Forward tensors are always present; gradients are present
 * after the backward pass of a training step (captured through zero-valued probes, so they come from
 * the same backward pass that trains the model) and absent in evaluation mode.
 * The tensors belong to the trainer: consumers must not dispose or keep them past the event.
 */
export interface MlpCapture {
  /** The block this capture comes from. */
  readonly block: MlpBlockInfo;
  /** The block's activation (needed for flat/rest regions). */
  readonly activation: ActivationFunction;
  /** Whether the pass ran in training mode. */
  readonly training: boolean;
  /** The context the activation was applied with (pass it to `activation.derivative`, e.g. for ramps). */
  readonly context?: ActivationContext;
  /** MLP input x = LN(h) (+ zeroth bias), shape [B, T, d]. */
  readonly x: tf.Tensor;
  /** Pre-activation p = K x + b_K, shape [B, T, n]. */
  readonly p: tf.Tensor;
  /** Activation a = sigma(p), shape [B, T, n]. */
  readonly a: tf.Tensor;
  /** MLP output z = V a + b_V, shape [B, T, d]. */
  readonly z: tf.Tensor;
  /** eta = dL/dp, shape [B, T, n]; present after backward. */
  readonly dp?: tf.Tensor;
  /** g = dL/da, shape [B, T, n]; present after backward. */
  readonly da?: tf.Tensor;
  /** G = dL/dz, shape [B, T, d]; present after backward. */
  readonly dz?: tf.Tensor;
}
