import * as tf from '@tensorflow/tfjs-core';
import { ModelConfigError, ShapeError, FusedKernel, hasFusedKernel, runFused } from '@flatsparse/plugin-api';

function checkTargets(logits: tf.Tensor, targets: tf.Tensor): void {
  const expected = logits.shape.slice(0, -1);
  const same = targets.shape.length === expected.length && targets.shape.every((s, i) => s === expected[i]);
  if (!same) {
    throw new ShapeError('targets', targets.shape, `${JSON.stringify(expected)} (the logits' shape without the class axis)`, 'pass one integer class id per logits row.');
  }
}

/**
 * Mean softmax cross-entropy over every row of logits [..., C] against integer targets [...], with
 * label smoothing s: the target distribution is (1 - s) * onehot + s / C.
 */
export function softmaxCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, labelSmoothing = 0): tf.Scalar {
  checkTargets(logits, targets);
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
    throw new ModelConfigError('labelSmoothing is out of range.', {
      received: labelSmoothing,
      expected: 'a number in [0, 1)',
      fix: 'use 0 for none; the paper uses 0.11 for the ViT.',
    });
  }
  const classes = logits.shape[logits.shape.length - 1]!;
  const flat = tf.reshape(logits, [-1, classes]);
  if (hasFusedKernel(FusedKernel.SoftmaxCrossEntropy) && flat.shape[0]! > 0) return fusedCrossEntropy(flat, tf.cast(tf.reshape(targets, [-1]), 'int32'), labelSmoothing);
  const logProbs = tf.logSoftmax(flat, -1);
  const ids = tf.cast(tf.reshape(targets, [-1]), 'int32') as tf.Tensor1D;
  // int32 one-hot then cast: tfjs-backend-wasm 4.22 writes integer bit patterns for oneHot(..., 'float32').
  const oneHot = tf.cast(tf.oneHot(ids, classes), 'float32');
  const smoothed = labelSmoothing === 0 ? oneHot : tf.add(tf.mul(oneHot, 1 - labelSmoothing), labelSmoothing / classes);
  const perRow = tf.neg(tf.sum(tf.mul(smoothed, logProbs), -1));
  return tf.mean(perRow) as tf.Scalar;
}

/** The same loss on the backend's fused kernels: one kernel forward (saving the softmax), one backward. */
function fusedCrossEntropy(flat: tf.Tensor, ids: tf.Tensor, labelSmoothing: number): tf.Scalar {
  const attrs = { labelSmoothing };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[1] as tf.GradSaveFunc;
    const [loss, probs] = runFused(FusedKernel.SoftmaxCrossEntropy, { logits: args[0] as tf.Tensor, targets: ids }, attrs) as [tf.Tensor, tf.Tensor];
    save([probs, ids]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => runFused(FusedKernel.SoftmaxCrossEntropyGrad, { dy, probs: saved[0]!, targets: saved[1]! }, attrs),
    };
  });
  return op(flat) as tf.Scalar;
}

/** Fraction of rows of logits [..., C] whose arg-max equals the integer target, as a float32 scalar. */
export function accuracy(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  checkTargets(logits, targets);
  const predicted = tf.argMax(logits, -1);
  const hits = tf.equal(predicted, tf.cast(targets, 'int32'));
  return tf.mean(tf.cast(hits, 'float32')) as tf.Scalar;
}
