import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel, FusedKernel, type FusedKernelName } from '@flatsparse/plugin-api';
import { floats, ints, opCase, reference, type ConformanceCase, type Nd } from '@flatsparse/plugin-api/testing';
import { selfAttention } from '../models/attention.js';
import { layerNorm } from '../models/layer-norm.js';
import { linear, matMulTransposed } from '../models/linear.js';
import { softmaxCrossEntropy } from '../models/loss.js';
import { globalNorm } from '../train/clip-grad.js';
import { adamwCase } from './case-adamw.js';

const { map, mean, nd, sum, zip, logSoftmax, matMul, oneHot, reshape, slice, softmax, transpose, layerNorm: layerNormReference } = reference;

// The models' own ops (LayerNorm, dense layers, attention, loss, gradient norm, AdamW), as the
// trainer calls them: on a backend that registers the fused kernels (FusedKernel) these cases run
// those kernels, elsewhere the plain-op forms; both are held to the float64 formula.
const TOL = { atol: 1e-5, rtol: 1e-4 };
const GTOL = { atol: 2e-5, rtol: 2e-4 };

/** Multi-head self-attention in float64: qkv = x W + b, per-head softmax(q k^T / sqrt(dh)) v, out = . Wo + bo. */
function selfAttentionReference(x: Nd, w: Nd, b: Nd, wo: Nd, bo: Nd, heads: number, causal: boolean): Nd {
  const [batch, tokens, d] = x.shape as [number, number, number];
  const dh = d / heads;
  const flat = reshape(x, [batch * tokens, d]);
  const qkv = zip(matMul(flat, w), b, (u, v) => u + v);
  const part = (i: number): Nd => transpose(reshape(slice(qkv, [0, i * d], [batch * tokens, d]), [batch, tokens, heads, dh]), [0, 2, 1, 3]);
  let scores = map(matMul(part(0), part(1), false, true), (v) => v / Math.sqrt(dh));
  if (causal) scores = map(scores, (v, i) => (i % tokens > Math.floor(i / tokens) % tokens ? -1e9 : v));
  const mixed = reshape(transpose(matMul(softmax(scores), part(2)), [0, 2, 1, 3]), [batch * tokens, d]);
  return reshape(zip(matMul(mixed, wo), bo, (u, v) => u + v), [batch, tokens, d]);
}

/** Mean label-smoothed cross-entropy in float64 (targets (1 - s) onehot + s / C). */
function crossEntropyReference(logits: Nd, labels: Nd, s: number): Nd {
  const c = logits.shape[1]!;
  const targets = map(oneHot(labels, c), (v) => v * (1 - s) + s / c);
  return mean(sum(zip(targets, logSoftmax(logits), (t, l) => -t * l), -1));
}

function attentionCase(causal: boolean): ConformanceCase {
  const [B, T, D, H] = [2, 5, 8, 2];
  const weight = { scale: 1 / Math.sqrt(D) };
  return opCase({
    name: `model selfAttention B=${B} T=${T} d=${D} heads=${H}${causal ? ' causal' : ''}`,
    group: 'model',
    inputs: (rng) => [floats(rng, [B, T, D]), floats(rng, [D, 3 * D], weight), floats(rng, [3 * D], { scale: 0.1 }), floats(rng, [D, D], weight), floats(rng, [D], { scale: 0.1 })],
    forward: (x, w, b, wo, bo) => selfAttention(x!, { qkvWeight: w!, qkvBias: b!, outWeight: wo!, outBias: bo! }, H, causal),
    reference: (x, w, b, wo, bo) => selfAttentionReference(x!, w!, b!, wo!, bo!, H, causal),
    tol: TOL,
    gradTol: GTOL,
  });
}

/** The models' ops, forward and gradient, on whichever path the backend offers (named in each case). */
export function modelOpCases(): ConformanceCase[] {
  return [
    opCase({
      name: 'model layerNorm [2,3,8] with shift',
      group: 'model',
      inputs: (rng) => [floats(rng, [2, 3, 8], { scale: 2 }), floats(rng, [8]), floats(rng, [8])],
      forward: (x, g, b) => layerNorm(x!, g!, b!, 1e-5),
      reference: (x, g, b) => layerNormReference(x!, g!, b!),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'model layerNorm [4,8] without shift',
      group: 'model',
      inputs: (rng) => [floats(rng, [4, 8], { scale: 2 }), floats(rng, [8])],
      forward: (x, g) => layerNorm(x!, g!, undefined, 1e-5),
      reference: (x, g) => layerNormReference(x!, g!, nd([8], new Float64Array(8))),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'model linear [2,3,4] x [4,5] + b',
      group: 'model',
      inputs: (rng) => [floats(rng, [2, 3, 4]), floats(rng, [4, 5]), floats(rng, [5])],
      forward: (x, w, b) => linear(x!, w!, b!),
      reference: (x, w, b) => reshape(zip(matMul(reshape(x!, [6, 4]), w!), b!, (u, v) => u + v), [2, 3, 5]),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'model linear [6,5] x [5,3] without bias',
      group: 'model',
      inputs: (rng) => [floats(rng, [6, 5]), floats(rng, [5, 3])],
      forward: (x, w) => linear(x!, w!),
      reference: (x, w) => matMul(x!, w!),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'model tied head x W^T [6,4] x [7,4]^T',
      group: 'model',
      inputs: (rng) => [floats(rng, [6, 4]), floats(rng, [7, 4])],
      forward: (x, w) => matMulTransposed(x!, w!),
      reference: (x, w) => matMul(x!, w!, false, true),
      tol: TOL,
      gradTol: GTOL,
    }),
    attentionCase(false),
    attentionCase(true),
    opCase({
      name: 'model softmaxCrossEntropy label smoothing 0.1 (a target out of range)',
      group: 'model',
      inputs: (rng) => {
        const labels = ints(rng, [5], 6);
        labels.values[3] = 7; // out of range: no one-hot entry, as tf.oneHot
        return [floats(rng, [5, 6], { scale: 2 }), labels];
      },
      forward: (logits, labels) => softmaxCrossEntropy(logits!, labels!, 0.1),
      reference: (logits, labels) => crossEntropyReference(logits!, labels!, 0.1),
      tol: TOL,
      gradTol: GTOL,
    }),
    opCase({
      name: 'model globalNorm of three tensors',
      group: 'model',
      inputs: (rng) => [floats(rng, [3, 4]), floats(rng, [5]), floats(rng, [2, 2, 2])],
      forward: (a, b, c) => globalNorm([a!, b!, c!]),
      reference: (a, b, c) => nd([], [Math.sqrt([a!, b!, c!].reduce((s, t) => s + sum(map(t, (v) => v * v)).data[0]!, 0))]),
      tol: TOL,
      gradTol: GTOL,
    }),
    adamwCase(),
  ];
}

/** The fused kernels the active backend registers (these cases then run them), for reports. */
export function activeFusedKernels(): FusedKernelName[] {
  return Object.values(FusedKernel).filter((name) => hasFusedKernel(name));
}
