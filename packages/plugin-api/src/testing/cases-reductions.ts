import * as tf from '@tensorflow/tfjs-core';
import { floats, type FloatDraw } from './inputs.js';
import { EXACT, GRAD_TOL, opCase } from './op-case.js';
import { map, mean, reduce, sum, zip, type Nd } from './reference-nd.js';
import { logSumExp } from './reference-ops.js';
import type { ConformanceCase } from './types.js';

const SHAPE = [2, 3, 4] as const;

/** A reduction of a random [2, 3, 4] input; max/min inputs are continuous, so ties (kinks) have probability ~0. */
function reduction(name: string, op: (x: tf.Tensor) => tf.Tensor, ref: (x: Nd) => Nd, draw: FloatDraw = {}): ConformanceCase {
  return opCase({
    name,
    group: 'reduction',
    inputs: (rng) => [floats(rng, SHAPE, draw)],
    forward: op,
    reference: ref,
    // Forward FORWARD_TOL (sums of at most 24 float32 terms); gradient GRAD_TOL.
    gradTol: GRAD_TOL,
  });
}

const variance = (x: Nd, axis: number): Nd => {
  const m = mean(x, axis, true);
  return mean(zip(x, m, (v, mu) => (v - mu) ** 2), axis, true);
};
const maxOf = (x: Nd, axes?: number | number[], keep = false): Nd => reduce(x, axes, keep, -Infinity, Math.max);
const minOf = (x: Nd, axes?: number | number[], keep = false): Nd => reduce(x, axes, keep, Infinity, Math.min);
const norm2 = (x: Nd, axes?: number | number[], keep = false): Nd => map(sum(map(x, (v) => v * v), axes, keep), Math.sqrt);

/** sum/mean/max/min along axes, norms, moments, logSumExp and argMax. */
export function reductionCases(): ConformanceCase[] {
  return [
    reduction('sum all', (x) => tf.sum(x), (x) => sum(x)),
    reduction('sum axis -1', (x) => tf.sum(x, -1), (x) => sum(x, -1)),
    reduction('sum axes [0, 2] keepDims', (x) => tf.sum(x, [0, 2], true), (x) => sum(x, [0, 2], true)),
    reduction('mean all', (x) => tf.mean(x), (x) => mean(x)),
    reduction('mean axis 1 keepDims', (x) => tf.mean(x, 1, true), (x) => mean(x, 1, true)),
    reduction('max axis -1', (x) => tf.max(x, -1), (x) => maxOf(x, -1)),
    reduction('max all', (x) => tf.max(x), (x) => maxOf(x)),
    reduction('min axis 0 keepDims', (x) => tf.min(x, 0, true), (x) => minOf(x, 0, true)),
    reduction('min axes [1, 2]', (x) => tf.min(x, [1, 2]), (x) => minOf(x, [1, 2])),
    reduction('norm euclidean all', (x) => tf.norm(x), (x) => norm2(x)),
    reduction('norm euclidean axis -1 keepDims', (x) => tf.norm(x, 'euclidean', -1, true), (x) => norm2(x, -1, true)),
    reduction('norm ord 1 axis 1', (x) => tf.norm(x, 1, 1), (x) => sum(map(x, Math.abs), 1), { avoid: [0] }),
    reduction('moments mean axis -1', (x) => tf.moments(x, -1, true).mean, (x) => mean(x, -1, true), { scale: 3 }),
    reduction('moments variance axis -1', (x) => tf.moments(x, -1, true).variance, (x) => variance(x, -1), { scale: 3 }),
    reduction('logSumExp axis -1', (x) => tf.logSumExp(x, -1), (x) => logSumExp(x, -1), { scale: 2 }),
    opCase({
      name: 'argMax axis -1',
      group: 'reduction',
      inputs: (rng) => [floats(rng, SHAPE, { grad: false })],
      forward: (x) => tf.argMax(x, -1),
      reference: (x) => {
        const best = maxOf(x, -1, true);
        const n = x.shape[2]!;
        return { shape: [2, 3], data: best.data.map((b, r) => x.data.subarray(r * n, r * n + n).indexOf(b)) };
      },
      tol: EXACT,
    }),
  ];
}
