import * as tf from '@tensorflow/tfjs-core';
import { floats, ints, fixed, type FloatDraw } from './inputs.js';
import { EXACT, GRAD_TOL, opCase } from './op-case.js';
import { map, type Nd } from './reference-nd.js';
import { erf } from './reference-ops.js';
import type { ConformanceCase } from './types.js';

const SHAPE = [3, 4] as const;

/** An elementwise op with its float64 reference; inputs avoid its kinks by 0.05. */
function unary(name: string, op: (x: tf.Tensor) => tf.Tensor, ref: (v: number) => number, draw: FloatDraw = {}, grad = true): ConformanceCase {
  return opCase({
    name,
    group: 'unary',
    inputs: (rng) => [floats(rng, SHAPE, draw)],
    forward: op,
    reference: (x) => map(x, ref),
    // Forward: default FORWARD_TOL (1e-6 + 1e-5 * max|ref|). Gradient: GRAD_TOL (1e-5 + 1e-4 * max|ref|).
    gradTol: grad ? GRAD_TOL : undefined,
  });
}

const positive: FloatDraw = { range: [0.2, 3] };
const awayFromZero: FloatDraw = { avoid: [0] };

/** Elementwise cases: activations, the math the models and plugins use, non-finite checks, casts. */
export function unaryCases(): ConformanceCase[] {
  return [
    unary('relu', tf.relu, (v) => Math.max(v, 0), awayFromZero),
    // step has zero gradient away from 0 (tfjs defines it as zero everywhere).
    unary('step', (x) => tf.step(x), (v) => (v > 0 ? 1 : 0), awayFromZero),
    unary('abs', tf.abs, Math.abs, awayFromZero),
    unary('sign', tf.sign, Math.sign, awayFromZero),
    unary('neg', tf.neg, (v) => -v),
    unary('square', tf.square, (v) => v * v),
    unary('sqrt', tf.sqrt, Math.sqrt, positive),
    unary('rsqrt', tf.rsqrt, (v) => 1 / Math.sqrt(v), positive),
    unary('exp', tf.exp, Math.exp, { range: [-3, 3] }),
    unary('log', tf.log, Math.log, positive),
    unary('tanh', tf.tanh, Math.tanh, { scale: 2 }),
    unary('sigmoid', tf.sigmoid, (v) => 1 / (1 + Math.exp(-v)), { scale: 2 }),
    // tfjs computes erf with Abramowitz-Stegun 7.1.26 (|error| <= 1.5e-7): inside FORWARD_TOL.
    unary('erf', tf.erf, erf, { range: [-2.5, 2.5] }),
    unary('clipByValue', (x) => tf.clipByValue(x, -0.5, 0.7), (v) => Math.min(Math.max(v, -0.5), 0.7), { avoid: [-0.5, 0.7] }),
    unary('reciprocal', tf.reciprocal, (v) => 1 / v, positive),
    unary('cast float32 to int32', (x) => tf.cast(x, 'int32'), Math.trunc, { scale: 3, avoid: [-3, -2, -1, 0, 1, 2, 3] }, false),
    opCase({
      name: 'cast bool to float32',
      group: 'unary',
      inputs: (rng) => [floats(rng, SHAPE, { grad: false })],
      forward: (x) => tf.cast(tf.greater(x, 0), 'float32'),
      reference: (x) => map(x, (v) => (v > 0 ? 1 : 0)),
      tol: EXACT,
    }),
    opCase({
      name: 'cast int32 to bool',
      group: 'unary',
      inputs: (rng) => [ints(rng, SHAPE, 4)],
      forward: (x) => tf.cast(tf.cast(x, 'bool'), 'int32'),
      reference: (x) => map(x, (v) => (v !== 0 ? 1 : 0)),
      tol: EXACT,
    }),
    nonFinite('isNaN', tf.isNaN, Number.isNaN),
    nonFinite('isFinite', tf.isFinite, Number.isFinite),
  ];
}

function nonFinite(name: string, op: (x: tf.Tensor) => tf.Tensor, ref: (v: number) => boolean): ConformanceCase {
  const values = [0, 1.5, NaN, -2, Infinity, -Infinity, NaN, 3e38, -0, 7, 1e-40, -1];
  return opCase({
    name,
    group: 'unary',
    inputs: () => [fixed(SHAPE, values)],
    forward: op,
    reference: (x: Nd) => map(x, (v) => (ref(v) ? 1 : 0)),
    tol: EXACT,
  });
}
