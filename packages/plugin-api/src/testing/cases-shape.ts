import * as tf from '@tensorflow/tfjs-core';
import { floats, ints } from './inputs.js';
import { EXACT, GRAD_TOL, opCase } from './op-case.js';
import { nd, type Nd } from './reference-nd.js';
import { concat, gather, oneHot, reshape, slice, transpose } from './reference-ops.js';
import type { ConformanceCase } from './types.js';

/**
 * Data movement: forward values are copies, so they must match exactly; gradients are copies or sums
 * of a few terms (gather with repeated indices), held to GRAD_TOL.
 */
function moveCase(name: string, shapes: number[][], forward: (...xs: tf.Tensor[]) => tf.Tensor, reference: (...xs: Nd[]) => Nd): ConformanceCase {
  return opCase({ name, group: 'shape', inputs: (rng) => shapes.map((s) => floats(rng, s)), forward, reference, tol: EXACT, gradTol: GRAD_TOL });
}

const tile = (x: Nd, reps: readonly number[]): Nd => {
  let out = x;
  reps.forEach((r, axis) => (out = concat(Array.from({ length: r }, () => out), axis)));
  return out;
};

function gatherCase(name: string, grad: boolean): ConformanceCase {
  return opCase({
    name,
    group: 'shape',
    inputs: (rng) => [floats(rng, [6, 4]), ints(rng, [2, 5], 6)],
    forward: (table, ids) => tf.gather(table!, ids!),
    reference: (table, ids) => gather(table!, ids!),
    tol: EXACT,
    gradTol: grad ? GRAD_TOL : undefined,
  });
}

function oneHotCase(name: string, op: (ids: tf.Tensor) => tf.Tensor): ConformanceCase {
  return opCase({ name, group: 'shape', inputs: (rng) => [ints(rng, [2, 3], 5)], forward: (ids) => op(ids!), reference: (ids) => oneHot(ids!, 5), tol: EXACT });
}

/** ViT patching: [B, H, W, C] -> [B, (H/p)(W/p), p*p*C] through a rank-6 transpose. */
const patchShape = [2, 2, 2, 2, 2, 3];
const patchPerm = [0, 1, 3, 2, 4, 5];

/** reshape, transpose (up to rank 6), concat, slice, gather, oneHot, tile, split, expandDims/squeeze. */
export function shapeCases(): ConformanceCase[] {
  return [
    moveCase('reshape [2,3,4] -> [6,4]', [[2, 3, 4]], (x) => tf.reshape(x, [6, 4]), (x) => reshape(x, [6, 4])),
    moveCase('transpose 2-D', [[3, 5]], (x) => tf.transpose(x), (x) => transpose(x)),
    moveCase('transpose [2,0,1]', [[2, 3, 4]], (x) => tf.transpose(x, [2, 0, 1]), (x) => transpose(x, [2, 0, 1])),
    moveCase('transpose heads [0,2,1,3]', [[2, 3, 2, 4]], (x) => tf.transpose(x, [0, 2, 1, 3]), (x) => transpose(x, [0, 2, 1, 3])),
    moveCase(
      'patchify reshape + rank-6 transpose',
      [[2, 4, 4, 3]],
      (x) => tf.reshape(tf.transpose(tf.reshape(x, patchShape), patchPerm), [2, 4, 12]),
      (x) => reshape(transpose(reshape(x, patchShape), patchPerm), [2, 4, 12]),
    ),
    moveCase('concat axis -1 (three inputs)', [[2, 3, 2], [2, 3, 1], [2, 3, 3]], (a, b, c) => tf.concat([a!, b!, c!], -1), (a, b, c) => concat([a!, b!, c!], -1)),
    moveCase('concat axis 1 (class token)', [[2, 1, 4], [2, 3, 4]], (a, b) => tf.concat([a!, b!], 1), (a, b) => concat([a!, b!], 1)),
    moveCase('slice [2,5,4] begin [0,1,1] size [2,3,-1]', [[2, 5, 4]], (x) => tf.slice(x, [0, 1, 1], [2, 3, -1]), (x) => slice(x, [0, 1, 1], [2, 3, -1])),
    moveCase('tile [1,1,4] x [2,1,1]', [[1, 1, 4]], (x) => tf.tile(x, [2, 1, 1]), (x) => tile(x, [2, 1, 1])),
    moveCase('broadcastTo [1,4] -> [3,4]', [[1, 4]], (x) => tf.broadcastTo(x, [3, 4]), (x) => tile(x, [3, 1])),
    moveCase('split into 3, middle part', [[2, 9]], (x) => tf.split(x, 3, 1)[1]!, (x) => slice(x, [0, 3], [2, 3])),
    moveCase('expandDims + squeeze', [[3, 4]], (x) => tf.squeeze(tf.expandDims(x, 1), [1]), (x) => x),
    gatherCase('gather rows (embedding, repeated ids)', false),
    // Needs the UnsortedSegmentSum kernel, which tfjs-backend-wasm 4.22 lacks (the models embed with oneHot + matMul).
    gatherCase('gather gradient (UnsortedSegmentSum)', true),
    oneHotCase('oneHot depth 5', (ids) => tf.oneHot(ids, 5)),
    oneHotCase('oneHot int32 then cast to float32', (ids) => tf.cast(tf.oneHot(ids, 5), 'float32')),
    oneHotCase('oneHot dtype float32', (ids) => tf.oneHot(ids, 5, 1, 0, 'float32')),
    opCase({
      name: 'fill/zerosLike/onesLike',
      group: 'shape',
      inputs: (rng) => [floats(rng, [2, 3], { grad: false })],
      forward: (x) => tf.add(tf.add(tf.zerosLike(x), tf.onesLike(x)), tf.fill([2, 3], 2)),
      reference: () => nd([2, 3], [3, 3, 3, 3, 3, 3]),
      tol: EXACT,
    }),
  ];
}
