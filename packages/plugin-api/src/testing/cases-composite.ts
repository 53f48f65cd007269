import * as tf from '@tensorflow/tfjs-core';
import { floats, ints } from './inputs.js';
import { GRAD_TOL, opCase } from './op-case.js';
import { map, mean, nd, sum, zip, zipN, type Nd } from './reference-nd.js';
import { erf, gather, logSoftmax, matMul, oneHot, reshape, slice, softmax } from './reference-ops.js';
import { attentionCase } from './cases-attention.js';
import type { ConformanceCase } from './types.js';

/** Composite computations: several ops, so forward rtol 1e-4 and gradients GRAD_TOL scaled x2. */
const TOL = { atol: 1e-5, rtol: 1e-4 };
const GTOL = { atol: 2e-5, rtol: 2e-4 };
const EPS = 1e-5;

/** float64 LayerNorm over the last axis: gamma * (x - mean) / sqrt(var + eps) + beta. */
export function layerNormReference(x: Nd, gamma: Nd, beta: Nd, eps = EPS): Nd {
  const mu = mean(x, -1, true);
  const centred = zip(x, mu, (v, m) => v - m);
  const variance = mean(map(centred, (v) => v * v), -1, true);
  return zipN([centred, variance, gamma, beta], (c, v, g, b) => (c * g) / Math.sqrt(v + eps) + b);
}

/** tfjs LayerNorm via moments, as the models write it. */
function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean: mu, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mu), tf.rsqrt(tf.add(variance, EPS))), gamma), beta);
}

const SQRT_2_PI = Math.sqrt(2 / Math.PI);
const geluErf = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));
const geluTanh = (v: number): number => 0.5 * v * (1 + Math.tanh(SQRT_2_PI * (v + 0.044715 * v ** 3)));

/** Cross-entropy with label smoothing s over C classes: targets (1 - s) onehot + s / C, mean over rows. */
function crossEntropyReference(logits: Nd, labels: Nd, s: number): Nd {
  const c = logits.shape[1]!;
  const targets = map(oneHot(labels, c), (v) => v * (1 - s) + s / c);
  const rows = sum(zip(targets, logSoftmax(logits), (t, l) => -t * l), -1);
  return mean(rows);
}

/** Linear layers, LayerNorm, softmax, GELU, label-smoothed cross-entropy, attention, embeddings, customGrad. */
export function compositeCases(): ConformanceCase[] {
  return [
    opCase({
      name: 'linear layer [2,3,4] x [4,5] + b',
      group: 'composite',
      inputs: (rng) => [floats(rng, [2, 3, 4]), floats(rng, [4, 5]), floats(rng, [5])],
      forward: (x, w, b) => tf.reshape(tf.add(tf.matMul(tf.reshape(x!, [6, 4]), w!), b!), [2, 3, 5]),
      reference: (x, w, b) => reshape(zip(matMul(reshape(x!, [6, 4]), w!), b!, (u, v) => u + v), [2, 3, 5]),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'layerNorm via moments',
      group: 'composite',
      inputs: (rng) => [floats(rng, [2, 3, 8], { scale: 2 }), floats(rng, [8]), floats(rng, [8])],
      forward: (x, g, b) => layerNorm(x!, g!, b!),
      reference: (x, g, b) => layerNormReference(x!, g!, b!),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'softmax last axis',
      group: 'composite',
      inputs: (rng) => [floats(rng, [2, 3, 5], { scale: 2 })],
      forward: (x) => tf.softmax(x!),
      reference: (x) => softmax(x!),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'logSoftmax last axis',
      group: 'composite',
      inputs: (rng) => [floats(rng, [2, 3, 5], { scale: 2 })],
      forward: (x) => tf.logSoftmax(x!),
      reference: (x) => logSoftmax(x!),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'GELU (erf form)',
      group: 'composite',
      inputs: (rng) => [floats(rng, [3, 5], { scale: 1.5 })],
      forward: (x) => tf.mul(tf.mul(x!, 0.5), tf.add(1, tf.erf(tf.div(x!, Math.SQRT2)))),
      reference: (x) => map(x!, geluErf),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'GELU (tanh form)',
      group: 'composite',
      inputs: (rng) => [floats(rng, [3, 5], { scale: 1.5 })],
      forward: (x) => tf.mul(tf.mul(x!, 0.5), tf.add(1, tf.tanh(tf.mul(SQRT_2_PI, tf.add(x!, tf.mul(0.044715, tf.pow(x!, 3))))))),
      reference: (x) => map(x!, geluTanh),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'cross-entropy with label smoothing 0.1',
      group: 'composite',
      inputs: (rng) => [floats(rng, [4, 6], { scale: 2 }), ints(rng, [4], 6)],
      forward: (logits, labels) => {
        const targets = tf.add(tf.mul(tf.oneHot(labels!, 6), 0.9), 0.1 / 6);
        return tf.mean(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits!)), -1)));
      },
      reference: (logits, labels) => crossEntropyReference(logits!, labels!, 0.1),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'token + position embedding (oneHot matMul + slice + add)',
      group: 'composite',
      inputs: (rng) => [floats(rng, [7, 4]), floats(rng, [6, 4]), ints(rng, [2, 3], 7)],
      forward: (tokens, positions, ids) => {
        const oneHot = tf.cast(tf.oneHot(tf.reshape(ids!, [-1]), 7), 'float32');
        return tf.add(tf.reshape(tf.matMul(oneHot, tokens!), [2, 3, 4]), tf.slice(positions!, [0, 0], [3, 4]));
      },
      reference: (tokens, positions, ids) => zip(gather(tokens!, ids!), slice(positions!, [0, 0], [3, 4]), (u, v) => u + v),
      tol: TOL,
      gradTol: GTOL,
    }),
    attentionCase(TOL, GTOL),
    opCase({
      name: 'customGrad (relu forward, sigmoid gradient)',
      group: 'composite',
      inputs: (rng) => [floats(rng, [3, 4], { avoid: [0] })],
      forward: (x) => {
        const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
          const input = args[0] as tf.Tensor;
          (args[1] as tf.GradSaveFunc)([input]);
          return { value: tf.relu(input), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.sigmoid(saved[0]!)) };
        });
        return tf.mul(f(x!), 1.5);
      },
      reference: (x) => map(x!, (v) => 1.5 * Math.max(v, 0)),
      referenceGrad: (xs, w) => [zip(xs[0]!, w, (v, wv) => 1.5 * wv / (1 + Math.exp(-v)))],
      gradTol: GRAD_TOL,
    }),
    opCase({
      name: 'sqrt of sum of squares (gradient norm)',
      group: 'composite',
      inputs: (rng) => [floats(rng, [3, 4]), floats(rng, [5])],
      forward: (a, b) => tf.sqrt(tf.add(tf.sum(tf.square(a!)), tf.sum(tf.square(b!)))),
      reference: (a, b) => nd([], [Math.sqrt(sum(map(a!, (v) => v * v)).data[0]! + sum(map(b!, (v) => v * v)).data[0]!)]),
      tol: TOL,
      gradTol: GTOL,
    }),
  ];
}
