import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random.js';
import { bools, fixed, floats, type CaseInput } from './inputs.js';
import { EXACT, GRAD_TOL, opCase } from './op-case.js';
import { zip, zipN } from './reference-nd.js';
import type { ConformanceCase } from './types.js';

type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** A broadcasting binary op with its float64 reference; gradients flow to both inputs (reduced over broadcast axes). */
function binary(name: string, op: Binary, ref: (x: number, y: number) => number, inputs: (rng: Rng) => CaseInput[], grad = true): ConformanceCase {
  return opCase({
    name,
    group: 'binary',
    inputs,
    forward: op,
    reference: (a, b) => zip(a, b, ref),
    tol: grad ? undefined : EXACT,
    // Broadcast gradients sum up to 6 terms: GRAD_TOL (1e-5 + 1e-4 * max|ref|) covers float32 accumulation.
    gradTol: grad ? GRAD_TOL : undefined,
  });
}

/** [2, 3, 4] against a broadcast shape. */
const pair = (bShape: readonly number[], b: { range?: [number, number]; avoid?: number[] } = {}) => (rng: Rng) => [floats(rng, [2, 3, 4]), floats(rng, bShape, b)];

/** Two same-shape inputs at least 0.05 apart everywhere (maximum/minimum are not differentiable at ties). */
function separated(rng: Rng): CaseInput[] {
  const a = floats(rng, [3, 4]);
  const b = floats(rng, [3, 4]);
  b.values.forEach((v, i) => {
    const gap = v - a.values[i]!;
    if (Math.abs(gap) < 0.05) b.values[i] = Math.fround(a.values[i]! + (gap < 0 ? -0.1 : 0.1));
  });
  return [a, b];
}

/** [2, 3] against [3] with roughly a third of the entries exactly equal (ties decide > versus >=). */
function withTies(rng: Rng): CaseInput[] {
  const a = floats(rng, [2, 3], { grad: false });
  const b = floats(rng, [3], { grad: false });
  b.values[1] = a.values[1]!;
  a.values[5] = b.values[2]!;
  return [a, b];
}

/** Broadcasting arithmetic, pow, maximum/minimum, comparisons, logical ops and where. */
export function binaryCases(): ConformanceCase[] {
  return [
    binary('add broadcast [2,3,4]+[4]', tf.add, (x, y) => x + y, pair([4])),
    binary('sub broadcast [2,3,4]-[3,1]', tf.sub, (x, y) => x - y, pair([3, 1])),
    binary('mul broadcast [2,3,4]*[2,1,4]', tf.mul, (x, y) => x * y, pair([2, 1, 4])),
    binary('div broadcast [2,3,4]/[4]', tf.div, (x, y) => x / y, pair([4], { range: [0.5, 2] })),
    binary('div by scalar-shaped [1]', tf.div, (x, y) => x / y, pair([1], { range: [0.5, 2] })),
    // Same shapes only: tfjs 4.22's SquaredDifference gradient does not reduce over broadcast axes
    // (it returns a [2,3,4] gradient for a [3,4] input), so never use it with broadcasting under a tape.
    binary('squaredDifference', tf.squaredDifference, (x, y) => (x - y) ** 2, pair([2, 3, 4])),
    binary('pow positive base', tf.pow, Math.pow, (rng) => [floats(rng, [3, 4], { range: [0.5, 2] }), floats(rng, [3, 4], { range: [-2, 2] })]),
    // Integer exponent, any sign of base: gradient only with respect to the base.
    binary('pow integer exponent', tf.pow, Math.pow, (rng) => [floats(rng, [3, 4]), fixed([4], [2, 3, 1, 2])]),
    binary('maximum', tf.maximum, Math.max, separated),
    binary('minimum', tf.minimum, Math.min, separated),
    binary('greater', tf.greater, (x, y) => Number(x > y), withTies, false),
    binary('greaterEqual', tf.greaterEqual, (x, y) => Number(x >= y), withTies, false),
    binary('less', tf.less, (x, y) => Number(x < y), withTies, false),
    binary('lessEqual', tf.lessEqual, (x, y) => Number(x <= y), withTies, false),
    binary('equal', tf.equal, (x, y) => Number(x === y), withTies, false),
    binary('logicalAnd', tf.logicalAnd, (x, y) => Number(x !== 0 && y !== 0), (rng) => [bools(rng, [3, 4]), bools(rng, [4])], false),
    binary('logicalOr', tf.logicalOr, (x, y) => Number(x !== 0 || y !== 0), (rng) => [bools(rng, [3, 4]), bools(rng, [4])], false),
    opCase({
      name: 'logicalNot',
      group: 'binary',
      inputs: (rng) => [bools(rng, [3, 4])],
      forward: tf.logicalNot,
      reference: (x) => zip(x, x, (v) => Number(v === 0)),
      tol: EXACT,
    }),
    opCase({
      name: 'where broadcast [2,3,4], [2,3,4], [4]',
      group: 'binary',
      inputs: (rng) => [bools(rng, [2, 3, 4]), floats(rng, [2, 3, 4]), floats(rng, [4])],
      forward: (c, a, b) => tf.where(c!, a!, b!),
      reference: (c, a, b) => zipN([c, a, b], (cv, av, bv) => (cv !== 0 ? av : bv)),
      gradTol: GRAD_TOL,
    }),
  ];
}
