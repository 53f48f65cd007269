import type * as tf from '@tensorflow/tfjs-core';
import type { MlpCapture } from './mlp-capture.js';

/**
 * Extension point: a per-layer figure computed from what an instrumented MLP block exposes
 * (activation sparsity, derivative sparsity, augmented flatness, ...). Values stay on the device:
 * `compute` returns scalar tensors, and the host averages them over layers on the device and reads
 * them back asynchronously at logging steps only (never a synchronous read in the training step).
 */
export interface SparsityMetric {
  /** Unique name used in configs and as the prefix of every figure (for example 'activation-sparsity'). */
  readonly name: string;
  /** Whether `compute` needs the gradients dp/da/dz (then it only runs after a backward pass). */
  readonly needsGradients?: boolean;
  /**
   * Called once per MLP block per measured pass, inside tf.tidy; returns named scalar tensors
   * (for example { value } or { asK, c0 }). Must not read tensors back to the CPU.
   */
  compute(capture: MlpCapture): Readonly<Record<string, tf.Scalar>>;
  /**
   * How per-layer values of a figure combine into the model-level value ('mean' by default).
   * 'none' reports per-layer values only.
   */
  readonly reduce?: 'mean' | 'sum' | 'none';
}

/** One figure of a metric for one layer after read-back. */
export interface MetricValue {
  /** `${metric}.${figure}`, for example 'activation-sparsity.value'. */
  readonly name: string;
  /** Block index, or 'mean'/'sum' for the reduced value. */
  readonly layer: number | 'mean' | 'sum';
  /** The value read back from the device. */
  readonly value: number;
}
