import * as tf from '@tensorflow/tfjs-core';
import type { ActivationFunction } from '../activation-function.js';
import { ModelConfigError, ShapeError } from '../errors.js';
import { interval } from '../interval.js';
import type { MlpCapture } from '../mlp-capture.js';
import type { MlpBlockInfo, MlpProbes, MlpTransform, ModelView, ParamOptions, TrainableModel } from '../model.js';
import { Rng } from '../random.js';

/** ReLU as a plain ActivationFunction (flat region (-inf, 0], rest region [0, 0]) for tests and fixtures. */
export const reluForTests: ActivationFunction = Object.freeze({
  name: 'relu-for-tests',
  apply: (x: tf.Tensor) => tf.relu(x),
  derivative: (x: tf.Tensor) => tf.step(x),
  flatRegions: [interval(-Infinity, 0, false, true)],
  restRegions: [interval(0, 0)],
  reference: (x: number) => Math.max(x, 0),
});

/** Options of `fakeModel`. */
export interface FakeModelOptions {
  /** Model width (default 4). */
  readonly d?: number;
  /** MLP width (default 8). */
  readonly n?: number;
  /** Number of MLP blocks (default 2). */
  readonly blocks?: number;
  /** Longest sequence (default 8). */
  readonly maxTokens?: number;
  /** Seed of the parameter values (default 7). */
  readonly seed?: number;
  /** Activation of every MLP block in `forward` (default reluForTests, the one fakeCaptures uses). */
  readonly activation?: ActivationFunction;
}

/** A recorded MLP transform. */
export interface RecordedTransform {
  readonly blockIndex: number;
  readonly stage: 'input' | 'output';
  readonly transform: MlpTransform;
}

/**
 * A TrainableModel with random parameters that records what plugins do to it (see `fakeModel` for
 * its forward pass); dispose() releases every parameter.
 */
export interface FakeModel extends TrainableModel {
  /** Model width d, also the number of classes of the output logits. */
  readonly d: number;
  /** The activation `forward` applies in every MLP block. */
  readonly activation: ActivationFunction;
  /** Parameters added through addParam, in order. */
  readonly added: readonly { readonly name: string; readonly shape: readonly number[]; readonly trainable: boolean }[];
  /** Calls of setTrainable, as the last value per name. */
  readonly trainableChanges: ReadonlyMap<string, boolean>;
  /** Transforms added through addMlpTransform, in order. */
  readonly transforms: readonly RecordedTransform[];
  /** Runs the recorded transforms of one block and stage on t, in order (the caller owns the result). */
  runTransforms(blockIndex: number, stage: 'input' | 'output', t: tf.Tensor, info?: { tokens: number; step: number; training: boolean }): tf.Tensor;
  /** Releases every parameter, added ones included. */
  dispose(): void;
}

const LN_EPS = 1e-5;

// The fake model's pieces, in plain tfjs ops (the kit does not depend on the engine's models).
function layerNorm(h: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(h, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, LN_EPS))), scale), shift);
}

function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [batch, tokens, width] = x.shape as [number, number, number];
  return tf.add(tf.reshape(tf.matMul(tf.reshape(x, [batch * tokens, width]), w), [batch, tokens, w.shape[1]!]), b);
}

function softmaxCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, labelSmoothing: number): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.rank - 1]!;
    const flat = tf.reshape(logits, [-1, classes]);
    const onehot = tf.oneHot(tf.cast(tf.reshape(targets, [-1]), 'int32'), classes);
    const smoothed = tf.add(tf.mul(onehot, 1 - labelSmoothing), labelSmoothing / classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(smoothed, tf.logSoftmax(flat)), -1))) as tf.Scalar;
  });
}

/** The real models' instrumented MLP (transforms, probes added to p, a and z), in plain ops. */
function mlp(
  x0: tf.Tensor,
  info: MlpBlockInfo,
  w: { keyWeight: tf.Tensor; keyBias: tf.Tensor; valueWeight: tf.Tensor; valueBias: tf.Tensor },
  activation: ActivationFunction,
  transforms: { input: MlpTransform[]; output: MlpTransform[] },
  pass: { step: number; training: boolean; probes?: MlpProbes },
): { z: tf.Tensor; capture: MlpCapture } {
  const context = { step: pass.step, training: pass.training };
  const transformInfo = { tokens: x0.shape[1]!, ...context };
  let x = x0;
  for (const transform of transforms.input) x = transform(x, transformInfo);
  let p = linear(x, w.keyWeight, w.keyBias);
  if (pass.probes !== undefined) p = tf.add(p, pass.probes.p);
  let a = activation.apply(p, context);
  if (pass.probes !== undefined) a = tf.add(a, pass.probes.a);
  let z = linear(a, w.valueWeight, w.valueBias);
  for (const transform of transforms.output) z = transform(z, transformInfo);
  if (pass.probes !== undefined) z = tf.add(z, pass.probes.z);
  return { z, capture: { block: info, activation, training: pass.training, context, x, p, a, z } };
}

/**
 * The fake model's fixed (parameter-free) embedding of token ids [B, T] into [B, T, d]:
 * h0[b, t, j] = sin((v + 1)(j + 1)) + cos((t + 1)(j + 1)) / 2 for token v = inputs[b, t].
 */
function embedTokens(inputs: tf.Tensor, d: number): tf.Tensor {
  const tokens = inputs.shape[1]!;
  const freq = tf.range(1, d + 1);
  const ids = tf.add(tf.cast(tf.expandDims(inputs, -1), 'float32'), 1);
  const positions = tf.reshape(tf.range(1, tokens + 1), [1, tokens, 1]);
  return tf.add(tf.sin(tf.mul(ids, freq)), tf.mul(tf.cos(tf.mul(positions, freq)), 0.5));
}

/** Parameter names of block i, as the fake model lays them out. */
export function fakeBlockInfo(index: number, d: number, n: number): MlpBlockInfo {
  const at = `blocks.${index}`;
  return {
    index, d, n,
    lnScale: `${at}.ln2.scale`, lnShift: `${at}.ln2.shift`,
    keyWeight: `${at}.mlp.key.weight`, keyBias: `${at}.mlp.key.bias`,
    valueWeight: `${at}.mlp.value.weight`, valueBias: `${at}.mlp.value.bias`,
  };
}

/**
 * A synthetic model for plugin tests: d = 4, n = 8 and 2 MLP blocks by default, each with a LayerNorm
 * scale (random around 1, some entries below 1 and negative) and shift, key weight [d, n] and bias [n],
 * value weight [n, d] and bias [d]. addParam, setTrainable and addMlpTransform work and are recorded.
 *
 * It is a real (tiny) TrainableModel, so training-method plugins (which run their own passes) can
 * use it. `forward` takes token ids [B, T] (embedded by the fixed h0[b, t, j] = sin((v + 1)(j + 1))
 * + cos((t + 1)(j + 1)) / 2, no parameters) or features [B, T, d] (h0 = inputs), 1 <= T <= maxTokens;
 * then, per block, h <- h + MLP(LN(h)) with LN(h) = scale (h - mean) / sqrt(var + 1e-5) + shift and
 * the instrumented MLP of the real models (input transforms; p = x K + b_K (+ probe p);
 * a = sigma(p) (+ probe a); z = a V + b_V; output transforms (+ probe z)). The output is h itself,
 * logits [B, T, d] over d classes; `loss` is their mean softmax cross-entropy against integer targets
 * [B, T] in [0, d), with label smoothing. There is no attention, no final LayerNorm and no head, so
 * the output depends on every parameter the model creates; parameters added with addParam reach it
 * only through the MLP transforms that use them (as in the real models). `probeShapes` gives
 * [B, T, n], [B, T, n] and [B, T, d] per block, and `forward` honours probes.
 */
export function fakeModel(options: FakeModelOptions = {}): FakeModel {
  const { d = 4, n = 8, blocks = 2, maxTokens = 8, seed = 7, activation = reluForTests } = options;
  const rng = new Rng(seed);
  const params = new Map<string, tf.Variable>();
  const make = (shape: number[], draw: () => number): tf.Variable => tf.tidy(() => tf.variable(tf.tensor(rng.fill(shape.reduce((a, b) => a * b, 1), draw), shape)));
  const mlpBlocks = Array.from({ length: blocks }, (_, i) => fakeBlockInfo(i, d, n));
  for (const b of mlpBlocks) {
    params.set(b.lnScale!, make([d], () => 1 + 0.6 * rng.normal()));
    params.set(b.lnShift!, make([d], () => 0.1 * rng.normal()));
    params.set(b.keyWeight, make([d, n], () => rng.normal() / Math.sqrt(d)));
    params.set(b.keyBias!, make([n], () => 0.1 * rng.normal()));
    params.set(b.valueWeight, make([n, d], () => rng.normal() / Math.sqrt(n)));
    params.set(b.valueBias!, make([d], () => 0.1 * rng.normal()));
  }
  const added: { name: string; shape: number[]; trainable: boolean }[] = [];
  const trainableChanges = new Map<string, boolean>();
  const transforms: RecordedTransform[] = [];
  const paramOptions = new Map<string, ParamOptions>();
  const known = (name: string): tf.Variable => {
    const v = params.get(name);
    if (!v) throw new ModelConfigError(`the fake model has no parameter '${name}'.`, { received: name, expected: `one of ${[...params.keys()].join(', ')}` });
    return v;
  };
  const transformsOf = (blockIndex: number, stage: 'input' | 'output'): MlpTransform[] => transforms.filter((r) => r.blockIndex === blockIndex && r.stage === stage).map((r) => r.transform);
  const checkInputs = (inputs: tf.Tensor): [number, number] => {
    const [batch = 0, tokens = 0, width = d] = inputs.shape;
    if (!(inputs.rank === 2 || (inputs.rank === 3 && width === d)) || batch < 1 || tokens < 1 || tokens > maxTokens) {
      throw new ShapeError('fake model inputs', inputs.shape, `token ids [B, T] or features [B, T, ${d}] with 1 <= T <= ${maxTokens}`, 'pass a batch such as tf.tensor2d([[0, 1, 2]], undefined, "int32").');
    }
    return [batch, tokens];
  };
  return {
    kind: 'fake',
    params,
    mlpBlocks,
    maxTokens,
    d,
    activation,
    added,
    trainableChanges,
    transforms,
    forward(inputs, { training, step, probes }) {
      checkInputs(inputs);
      if (probes !== undefined && probes.length !== blocks) {
        throw new ShapeError('probes', [probes.length], `one probe triple per MLP block (${blocks})`, 'build the probes from model.probeShapes(inputs).');
      }
      let h = inputs.rank === 3 ? tf.cast(inputs, 'float32') : embedTokens(inputs, d);
      const captures: MlpCapture[] = mlpBlocks.map((b, i) => {
        const x = layerNorm(h, known(b.lnScale!), known(b.lnShift!));
        const weights = { keyWeight: known(b.keyWeight), keyBias: known(b.keyBias!), valueWeight: known(b.valueWeight), valueBias: known(b.valueBias!) };
        const pass = { step, training, ...(probes ? { probes: probes[i]! } : {}) };
        const { z, capture } = mlp(x, b, weights, activation, { input: transformsOf(i, 'input'), output: transformsOf(i, 'output') }, pass);
        h = tf.add(h, z);
        return capture;
      });
      return { output: h, captures };
    },
    loss: (output, targets, labelSmoothing = 0) => softmaxCrossEntropy(output, targets, labelSmoothing),
    probeShapes(inputs) {
      const [batch, tokens] = checkInputs(inputs);
      return mlpBlocks.map(() => ({ p: [batch, tokens, n], a: [batch, tokens, n], z: [batch, tokens, d] }));
    },
    addParam(name, initial, trainable = true) {
      if (params.has(name)) throw new ModelConfigError(`parameter '${name}' already exists.`, { received: name, fix: 'choose a name no other parameter uses.' });
      const v = tf.variable(initial, trainable);
      params.set(name, v);
      added.push({ name, shape: [...initial.shape], trainable });
      return v;
    },
    setTrainable(name, trainable) {
      known(name).trainable = trainable;
      trainableChanges.set(name, trainable);
    },
    setParamOptions(name, options) {
      known(name);
      paramOptions.set(name, { ...paramOptions.get(name), ...options });
    },
    paramOptions: (name) => paramOptions.get(name),
    addMlpTransform(blockIndex, stage, transform) {
      if (!mlpBlocks[blockIndex]) throw new ModelConfigError(`no MLP block ${blockIndex}.`, { received: blockIndex, expected: `0 to ${blocks - 1}` });
      transforms.push({ blockIndex, stage, transform });
    },
    runTransforms(blockIndex, stage, t, info = { tokens: t.shape[1] ?? 1, step: 0, training: true }) {
      return tf.tidy(() => transformsOf(blockIndex, stage).reduce((x, transform) => transform(x, info), tf.clone(t)));
    },
    dispose() {
      for (const v of params.values()) v.dispose();
    },
  };
}

/** Options of `fakeCaptures`. */
export interface FakeCapturesOptions {
  /** Batch size B (default 2). */
  readonly batch?: number;
  /** Tokens per sample T (default 3). */
  readonly tokens?: number;
  /** Take block layout and K, b_K, V, b_V from this model (default: a fakeModel built and disposed inside). */
  readonly model?: ModelView;
  /** Activation sigma (default reluForTests). */
  readonly activation?: ActivationFunction;
  /** Whether the captures are marked as training-mode ones (default true). */
  readonly training?: boolean;
  /** Seed of x and dL/dz (default 11). */
  readonly seed?: number;
}

/** Synthetic captures: `captures` carry gradients, `forwardCaptures` are the same tensors without them. */
export interface FakeCaptures {
  /** One capture per MLP block, with dp, da and dz (as after the backward pass). */
  readonly captures: readonly MlpCapture[];
  /** The same captures without gradients (as in 'afterForward' or evaluation). */
  readonly forwardCaptures: readonly MlpCapture[];
  /** Releases every tensor of the captures. */
  dispose(): void;
}

/**
 * Consistent MLP captures for B = 2, T = 3 by default: x random [B, T, d], p = x K + b_K,
 * a = sigma(p), z = a V + b_V; dz random, da = dz V^T and dp = sigma'(p) * da (the chain rule, so
 * every identity of the metrics holds exactly).
 */
export function fakeCaptures(options: FakeCapturesOptions = {}): FakeCaptures {
  const { batch = 2, tokens = 3, activation = reluForTests, training = true, seed = 11 } = options;
  const owned = options.model ? undefined : fakeModel();
  const model = options.model ?? owned!;
  const rng = new Rng(seed);
  const all: tf.Tensor[] = [];
  const captures = model.mlpBlocks.map((block): MlpCapture => {
    const { d, n } = block;
    const param = (name: string | undefined, shape: number[]): tf.Tensor => (name && model.params.get(name)) || tf.zeros(shape);
    const t = tf.tidy(() => {
      const k = param(block.keyWeight, [d, n]);
      const v = param(block.valueWeight, [n, d]);
      const x = tf.tensor(rng.fill(batch * tokens * d), [batch, tokens, d]);
      const p = tf.add(tf.reshape(tf.matMul(tf.reshape(x, [-1, d]), k), [batch, tokens, n]), param(block.keyBias, [n]));
      const a = activation.apply(p, { step: 0, training });
      const z = tf.add(tf.reshape(tf.matMul(tf.reshape(a, [-1, n]), v), [batch, tokens, d]), param(block.valueBias, [d]));
      const dz = tf.tensor(rng.fill(batch * tokens * d, (r) => r.normal() / (batch * tokens)), [batch, tokens, d]);
      const da = tf.reshape(tf.matMul(tf.reshape(dz, [-1, d]), v, false, true), [batch, tokens, n]);
      const dp = tf.mul(activation.derivative(p, { step: 0, training }), da);
      return { x, p, a, z, dz, da, dp };
    });
    all.push(...Object.values(t));
    return { block, activation, training, ...t };
  });
  owned?.dispose();
  const forwardCaptures = captures.map(({ block, activation: act, training: tr, x, p, a, z }): MlpCapture => ({ block, activation: act, training: tr, x, p, a, z }));
  return {
    captures,
    forwardCaptures,
    dispose: () => all.forEach((t) => t.dispose()),
  };
}
