import type * as tf from '@tensorflow/tfjs-core';
import { type ActivationFunction, ShapeError, type MlpCapture, type MlpBlockInfo, type MlpProbes, type MlpTransform } from '@flatsparse/plugin-api';
import { linear } from './linear.js';
import { probe } from './probe.js';

/** The transforms registered on one MLP block, each list in the order added. */
export interface MlpTransforms {
  readonly input: MlpTransform[];
  readonly output: MlpTransform[];
}

/** Per-pass context of one MLP block. */
export interface MlpPass {
  readonly step: number;
  readonly training: boolean;
  /** Zero-valued probes of this block, or undefined. */
  readonly probes?: MlpProbes;
}

/** Tensors of one instrumented MLP block. */
export interface MlpWeights {
  readonly keyWeight: tf.Tensor;
  readonly keyBias: tf.Tensor;
  readonly valueWeight: tf.Tensor;
  readonly valueBias: tf.Tensor;
}

function checkProbe(name: string, block: number, probe: tf.Tensor, expected: readonly number[]): void {
  const same = probe.shape.length === expected.length && probe.shape.every((s, i) => s === expected[i]);
  if (!same) {
    throw new ShapeError(`probes[${block}].${name}`, probe.shape, JSON.stringify(expected), 'build the probes from model.probeShapes(inputs) for the same inputs.');
  }
}

/**
 * The instrumented MLP of one block (spec section 2), applied to x = LN2(h) of shape [B, T, d]:
 * input transforms; p = x K + b_K (+ probe p); a = sigma(p) (+ probe a); z = a V + b_V; output
 * transforms (+ probe z). Returns z (the caller adds it to h) and the block's capture. Nothing is
 * tidied here: the caller tidies the whole step, and the captured tensors must survive until then.
 */
export function instrumentedMlp(
  x0: tf.Tensor,
  info: MlpBlockInfo,
  weights: MlpWeights,
  activation: ActivationFunction,
  transforms: MlpTransforms,
  pass: MlpPass,
): { z: tf.Tensor; capture: MlpCapture } {
  const [batch, tokens] = x0.shape as [number, number, number];
  const context = { step: pass.step, training: pass.training };
  const transformInfo = { tokens, ...context };
  const probes = pass.probes;
  if (probes !== undefined) {
    checkProbe('p', info.index, probes.p, [batch, tokens, info.n]);
    checkProbe('a', info.index, probes.a, [batch, tokens, info.n]);
    checkProbe('z', info.index, probes.z, [batch, tokens, info.d]);
  }
  let x = x0;
  for (const transform of transforms.input) x = transform(x, transformInfo);
  let p = linear(x, weights.keyWeight, weights.keyBias);
  if (probes !== undefined) p = probe(p, probes.p);
  let a = activation.apply(p, context);
  if (probes !== undefined) a = probe(a, probes.a);
  let z = linear(a, weights.valueWeight, weights.valueBias);
  for (const transform of transforms.output) z = transform(z, transformInfo);
  if (probes !== undefined) z = probe(z, probes.z);
  return { z, capture: { block: info, activation, training: pass.training, context, x, p, a, z } };
}
