import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel, hasFusedKernel, runFused } from '@flatsparse/plugin-api';

// Every matMul here (forward and backward) is a plain 2-D product without transpose flags: the wasm
// backend sends transposed or batched products to a scalar loop about 10x slower than its XNNPACK
// path, so transposes are made explicit (on the smaller operand where there is a choice).

/**
 * Column sums of a 2-D tensor [N, k] -> [k] (the gradient of a parameter broadcast over rows). On
 * wasm an axis-0 sum transposes first; an average pool over the whole column, times N, reads the
 * data once (about 5x faster; the result differs from the plain sum by float rounding).
 */
export function columnSums(x2d: tf.Tensor): tf.Tensor {
  const [rows, cols] = x2d.shape as [number, number];
  if (tf.getBackend() !== 'wasm' || rows < 2) return tf.sum(x2d, 0);
  const means = tf.avgPool(tf.reshape(x2d, [1, rows, 1, cols]) as tf.Tensor4D, [rows, 1], 1, 'valid');
  return tf.mul(tf.reshape(means, [cols]), rows);
}

type Dense = (x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor) => tf.Tensor;

/**
 * Gradients of y = x W (+ b) for x [N, in], W [in, out], dy [N, out]. XNNPACK repacks the right-hand
 * operand of every product, so dW is computed with the narrower of x and dy on the right: either
 * [x^T; 1] dy (the row of ones also yields db), or (dy^T x)^T with db as the row sums of dy^T.
 */
function denseGrads(x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor, withBias: boolean): tf.Tensor[] {
  const [rows, inSize] = x.shape as [number, number];
  const outSize = dy.shape[1]!;
  const dx = tf.matMul(dy, tf.transpose(w));
  if (outSize > inSize) {
    const dyT = tf.transpose(dy);
    const dw = tf.transpose(tf.matMul(dyT, x));
    return withBias ? [dx, dw, tf.sum(dyT, 1)] : [dx, dw];
  }
  if (!withBias) return [dx, tf.matMul(tf.transpose(x), dy)];
  const both = tf.matMul(tf.concat([tf.transpose(x), tf.ones([1, rows])], 0), dy); // [in + 1, out]
  return [dx, tf.slice(both, [0, 0], [inSize, outSize]), tf.reshape(tf.slice(both, [inSize, 0], [1, outSize]), [outSize])];
}

function makeDense(transposed: boolean, withBias: boolean, fused: boolean): Dense {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor2D;
    const weight = args[1] as tf.Tensor2D;
    const bias = withBias ? (args[2] as tf.Tensor1D) : undefined;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save([x, weight]);
    if (fused) {
      // The backend's products take transpose flags at full speed, and one kernel gives every gradient.
      const value = transposed ? tf.matMul(x, weight, false, true) : bias === undefined ? tf.matMul(x, weight) : tf.fused.matMul({ a: x, b: weight, bias });
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => runFused(FusedKernel.DenseGrad, { x: saved[0]!, w: saved[1]!, dy }, { transposedW: transposed, withBias }),
      };
    }
    const w = transposed ? tf.transpose(weight) : weight;
    // The bias goes through a (tiny) copy: tfjs-backend-wasm checks the rank of a fused bias on the shape
    // its data was produced with, which differs from the tensor's after a reshape of a slice.
    const value = bias === undefined ? tf.matMul(x, w) : tf.fused.matMul({ a: x, b: w, bias: tf.clone(bias) });
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        if (!transposed) return denseGrads(xs, ws, dy, withBias);
        // y = x W^T with W [out, in]: dx = dy W, dW = dy^T x.
        return [tf.matMul(dy, ws), tf.matMul(tf.transpose(dy), xs)];
      },
    };
  });
  return (x, weight, bias) => (withBias ? op(x, weight, bias!) : op(x, weight));
}

interface DenseOps {
  readonly plain: Dense;
  readonly plainBias: Dense;
  readonly transposed: Dense;
}

const ops = new Map<boolean, DenseOps>();

/** The custom-gradient ops (on the fused dense gradient where the backend has it), created on first use (nothing touches the tfjs engine on import). */
function dense(): DenseOps {
  const fused = hasFusedKernel(FusedKernel.DenseGrad);
  let found = ops.get(fused);
  if (found === undefined) {
    found = { plain: makeDense(false, false, fused), plainBias: makeDense(false, true, fused), transposed: makeDense(true, false, fused) };
    ops.set(fused, found);
  }
  return found;
}

/**
 * Affine map of the last axis: [..., in] x [in, out] (+ [out]) -> [..., out]. Leading axes are
 * flattened into one batch axis for a single 2-D matMul; the gradient uses explicit transposes.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inSize = weight.shape[0]!;
  const outSize = weight.shape[1]!;
  const lead = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, inSize]);
  const y = bias === undefined ? dense().plain(flat, weight) : dense().plainBias(flat, weight, bias);
  return tf.reshape(y, [...lead, outSize]);
}

/** x [N, in] times the transpose of weight [out, in] -> [N, out] (a tied output head), without transpose flags. */
export function matMulTransposed(x: tf.Tensor, weight: tf.Tensor): tf.Tensor {
  return dense().transposed(x, weight);
}
