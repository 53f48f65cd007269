import * as tf from '@tensorflow/tfjs-core';
import { floats } from './inputs.js';
import { GRAD_TOL, opCase } from './op-case.js';
import { matMul } from './reference-ops.js';
import type { ConformanceCase } from './types.js';

/**
 * Tolerances: forward FORWARD_TOL-like but with rtol 2e-5 (dot products of up to 8 terms of
 * normal entries), gradients GRAD_TOL.
 */
const TOL = { atol: 1e-5, rtol: 2e-5 };

/** matMul of random a and b with the given shapes and transposes; shapes are the stored (pre-transpose) ones. */
function mm(name: string, aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean, grad = true): ConformanceCase {
  return opCase({
    name,
    group: 'matmul',
    inputs: (rng) => [floats(rng, aShape), floats(rng, bShape)],
    forward: (a, b) => tf.matMul(a!, b!, transposeA, transposeB),
    reference: (a, b) => matMul(a!, b!, transposeA, transposeB),
    tol: TOL,
    gradTol: grad ? GRAD_TOL : undefined,
  });
}

/** 2-D and batched matMul with every transpose combination, rank-4 attention shapes and a broadcast batch. */
export function matmulCases(): ConformanceCase[] {
  return [
    mm('matMul 2-D', [3, 4], [4, 5], false, false),
    mm('matMul 2-D transposeA', [4, 3], [4, 5], true, false),
    mm('matMul 2-D transposeB', [3, 4], [5, 4], false, true),
    mm('matMul 2-D transposeA transposeB', [4, 3], [5, 4], true, true),
    mm('matMul batched', [2, 3, 4], [2, 4, 5], false, false),
    mm('matMul batched transposeA', [2, 4, 3], [2, 4, 5], true, false),
    mm('matMul batched transposeB', [2, 3, 4], [2, 5, 4], false, true),
    mm('matMul batched transposeA transposeB', [2, 4, 3], [2, 5, 4], true, true),
    mm('matMul rank 4 (attention scores) transposeB', [2, 2, 3, 4], [2, 2, 3, 4], false, true),
    mm('matMul rank 4 (attention values)', [2, 2, 3, 3], [2, 2, 3, 4], false, false),
    // Forward only: tfjs 4.22's BatchMatMul gradient does not reduce over a broadcast batch (it returns a
    // [2,4,5] gradient for a [4,5] input), so linear layers flatten to 2-D before matMul (see 'linear layer').
    mm('matMul batch broadcast [2,3,4] x [4,5] (forward)', [2, 3, 4], [4, 5], false, false, false),
    mm('matMul 2-D wide (k = 64)', [2, 64], [64, 3], false, false),
  ];
}
