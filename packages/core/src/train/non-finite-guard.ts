import * as tf from '@tensorflow/tfjs-core';

/**
 * Detects non-finite steps without a read-back per step. On the device it keeps the index of the first
 * step whose loss or gradient norm was NaN or infinite (-1 while every step was finite). `update`
 * returns the gate of the current step: true only while no step so far was bad, so once a step fails
 * no later update changes the parameters (they stay those of the last good step). The trainer reads
 * the index back with the figures at logging, evaluation and checkpoint steps and stops the run there.
 * Step indices are stored as float32: exact up to 2^24 steps.
 */
export class NonFiniteGuard {
  private readonly firstBad = tf.tidy(() => tf.variable(tf.scalar(-1), false));

  /** Records step `step` (loss and global gradient norm); returns the update gate. Call inside tf.tidy. */
  update(step: number, loss: tf.Scalar, gradNorm: tf.Scalar): tf.Scalar {
    const ok = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(gradNorm));
    const wasGood = tf.less(this.firstBad, 0);
    const next = tf.where(tf.logicalAnd(wasGood, tf.logicalNot(ok)), tf.scalar(step), this.firstBad);
    this.firstBad.assign(next);
    return tf.less(next, 0) as tf.Scalar;
  }

  /** The first bad step as a [1] tensor (for batching into one read-back); the caller disposes it. */
  firstBadStep(): tf.Tensor1D {
    return tf.reshape(this.firstBad, [1]) as tf.Tensor1D;
  }

  /** Forgets any bad step (after restoring a checkpoint). */
  reset(): void {
    tf.tidy(() => this.firstBad.assign(tf.scalar(-1)));
  }

  /** Releases the device state. */
  dispose(): void {
    if (!this.firstBad.isDisposed) this.firstBad.dispose();
  }
}
