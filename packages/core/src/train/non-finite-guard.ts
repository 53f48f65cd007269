import * as tf from '@tensorflow/tfjs-core';

/** The first non-finite step, decoded from `NonFiniteGuard.state()` after read-back. */
export interface NonFiniteStep {
  /** Index of the first step whose loss or gradient norm was NaN or infinite. */
  readonly step: number;
  /** The first weighted loss term that was not finite at that step, if any was. */
  readonly term?: { readonly name: string; readonly value: number };
}

/**
 * Detects non-finite steps without a read-back per step. On the device it keeps the index of the first
 * step whose loss or gradient norm was NaN or infinite (-1 while every step was finite), and the
 * weighted loss terms of that step (so the first bad step also tells which regularizer's term, if any,
 * was not finite). `update` returns the gate of the current step: true only while no step so far was
 * bad, so once a step fails no later update changes the parameters (they stay those of the last good
 * step). The trainer reads `state()` back with the figures at logging, evaluation and checkpoint steps
 * and stops the run there. Step indices are stored as float32: exact up to 2^24 steps.
 */
export class NonFiniteGuard {
  private readonly firstBad = tf.tidy(() => tf.variable(tf.scalar(-1), false));
  private termNames: readonly string[] = [];
  private termValues: tf.Variable | undefined;

  /**
   * Records step `step` (loss, global gradient norm and the weighted loss terms by name); returns the
   * update gate. Call inside tf.tidy. Costs a handful of small device ops, no read-back.
   */
  update(step: number, loss: tf.Scalar, gradNorm: tf.Scalar, terms: Readonly<Record<string, tf.Scalar>> = {}): tf.Scalar {
    const ok = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(gradNorm));
    const wasGood = tf.less(this.firstBad, 0);
    const nowBad = tf.logicalAnd(wasGood, tf.logicalNot(ok));
    const names = Object.keys(terms);
    if (names.length > 0) {
      const values = this.termsVariable(names);
      values.assign(tf.where(nowBad, tf.stack(names.map((n) => terms[n]!)), values));
    }
    const next = tf.where(nowBad, tf.scalar(step), this.firstBad);
    this.firstBad.assign(next);
    return tf.less(next, 0) as tf.Scalar;
  }

  /** The first bad step and the terms recorded at it, as one [1 + terms] tensor (for batching into one read-back); the caller disposes it. */
  state(): tf.Tensor1D {
    return tf.tidy(() => {
      const first = tf.reshape(this.firstBad, [1]);
      return (this.termValues === undefined ? first : tf.concat([first, this.termValues])) as tf.Tensor1D;
    });
  }

  /** Decodes the values of `state()` read back: undefined while every step was finite. */
  decode(values: readonly number[]): NonFiniteStep | undefined {
    const step = values[0]!;
    if (step < 0) return undefined;
    const index = this.termNames.findIndex((_, i) => !Number.isFinite(values[i + 1]!));
    return index < 0 ? { step } : { step, term: { name: this.termNames[index]!, value: values[index + 1]! } };
  }

  /** Forgets any bad step (after restoring a checkpoint). */
  reset(): void {
    tf.tidy(() => this.firstBad.assign(tf.scalar(-1)));
  }

  /** Releases the device state. */
  dispose(): void {
    if (!this.firstBad.isDisposed) this.firstBad.dispose();
    this.termValues?.dispose();
    this.termValues = undefined;
  }

  /** The variable of the terms' values at the first bad step, (re)created when the set of terms changes. */
  private termsVariable(names: readonly string[]): tf.Variable {
    if (this.termValues !== undefined && names.length === this.termNames.length && names.every((n, i) => n === this.termNames[i])) return this.termValues;
    this.termValues?.dispose();
    this.termNames = [...names];
    this.termValues = tf.keep(tf.variable(tf.zeros([names.length]), false));
    return this.termValues;
  }
}
