import * as tf from '@tensorflow/tfjs-core';

/** Where the bounded J-SquaredReLU turns linear (the released code's knee). */
export const J_SQUARED_RELU_KNEE = 4;

/** Slope of the bounded J-SquaredReLU above the knee: f'(4) = 4 + 1 = 5, so the derivative stays continuous. */
export const J_SQUARED_RELU_SLOPE = J_SQUARED_RELU_KNEE + 1;

const KNEE_VALUE = J_SQUARED_RELU_KNEE + (J_SQUARED_RELU_KNEE * J_SQUARED_RELU_KNEE) / 2; // 12

/** f(x) = relu(x) + relu(x)^2 / 2, or, bounded, the same up to 4 and 5 (x - 4) + 12 above. Plain ops, no custom gradient. */
function forward(x: tf.Tensor, bounded: boolean): tf.Tensor {
  const r = tf.relu(x);
  if (!bounded) return tf.add(r, tf.mul(tf.square(r), 0.5));
  const c = tf.minimum(r, J_SQUARED_RELU_KNEE);
  return tf.add(tf.add(c, tf.mul(tf.square(c), 0.5)), tf.mul(tf.relu(tf.sub(x, J_SQUARED_RELU_KNEE)), J_SQUARED_RELU_SLOPE));
}

/**
 * The derivative of J-SquaredReLU, (x + 1) * 1[x >= 0] (bounded: (min(x, 4) + 1) * 1[x >= 0]). It jumps
 * from 0 to 1 at x = 0 and f'(0) = 1: the flat region is (-inf, 0), open at 0.
 */
export function jSquaredReLUDerivative(x: tf.Tensor, bounded = false): tf.Tensor {
  return tf.tidy(() => {
    const slope = tf.add(bounded ? tf.minimum(x, J_SQUARED_RELU_KNEE) : x, 1);
    return tf.where(tf.greaterEqual(x, 0), slope, tf.zerosLike(x));
  });
}

function withCustomGradient(bounded: boolean): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((x: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const input = x as tf.Tensor;
    (save as tf.GradSaveFunc)([input]);
    return {
      value: forward(input, bounded),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, jSquaredReLUDerivative(saved[0]!, bounded)),
    };
  }) as (x: tf.Tensor) => tf.Tensor;
}

// tf.customGrad only wraps a function: nothing is registered or allocated here.
const plain = withCustomGradient(false);
const boundedFn = withCustomGradient(true);

/**
 * J-SquaredReLU on a tensor with the paper's custom gradient (x + 1) * 1[x >= 0] (tf.customGrad), so
 * backpropagation uses f'(0) = 1 exactly; `bounded` gives the released code's variant (linear above 4).
 */
export function jSquaredReLUForward(x: tf.Tensor, bounded = false): tf.Tensor {
  return (bounded ? boundedFn : plain)(x);
}

/** Plain float64 J-SquaredReLU of one number (the independent reference). */
export function jSquaredReLUReference(x: number, bounded = false): number {
  if (!(x >= 0)) return Number.isNaN(x) ? Number.NaN : 0;
  if (bounded && x > J_SQUARED_RELU_KNEE) return J_SQUARED_RELU_SLOPE * (x - J_SQUARED_RELU_KNEE) + KNEE_VALUE;
  return x + (x * x) / 2;
}

/** Mixing weight k = min(step / steps, 1) of sigma_k = (1 - k) relu + k JSReLU (0 before the first step). */
export function jSquaredReLUMixWeight(step: number, steps: number): number {
  return Math.min(Math.max(step, 0) / steps, 1);
}
