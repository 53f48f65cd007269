import * as tf from '@tensorflow/tfjs-core';
import {
  Rng,
  interval,
  type ActivationFunction,
  type DataSplit,
  type Dataset,
  type ForwardOptions,
  type ForwardResult,
  type MlpBlockInfo,
  type MlpCapture,
  type MlpTransform,
  type ParamOptions,
  type TrainableModel,
} from '@flatsparse/plugin-api';

/** ReLU with its habitat, for the tiny model. */
export const tinyRelu: ActivationFunction = {
  name: 'relu',
  apply: (x) => tf.relu(x),
  derivative: (x) => tf.cast(tf.greater(x, 0), 'float32'),
  flatRegions: [interval(-Infinity, 0)],
  restRegions: [interval(0, 0)],
  reference: (x) => Math.max(0, x),
};

/** Sizes of the tiny model. */
export interface TinyModelOptions {
  /** Tokens per sample T. */
  readonly tokens: number;
  /** Features per token f. */
  readonly features: number;
  /** Width d. */
  readonly d: number;
  /** MLP width n. */
  readonly n: number;
  /** Classes. */
  readonly classes: number;
  /** Instrumented MLP blocks (default 1). */
  readonly blocks?: number;
  /** Seed of the initialisation (default 0). */
  readonly seed?: number;
}

/**
 * A tiny TrainableModel for trainer tests: input [B, T, f] -> linear to d -> per block: LayerNorm ->
 * MLP (key, ReLU, value) with probes and transforms, added to the residual stream -> mean over tokens
 * -> linear head to classes. Implements every ModelView member.
 */
export function tinyModel(options: TinyModelOptions): TrainableModel & { readonly transforms: number } {
  const { tokens, features, d, n, classes } = options;
  const depth = options.blocks ?? 1;
  const rng = new Rng(options.seed ?? 0);
  const params = new Map<string, tf.Variable>();
  const transforms = new Map<string, MlpTransform[]>();
  const paramOptions = new Map<string, ParamOptions>();
  const create = (name: string, shape: number[], std: number | 'ones' | 'zeros'): void => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = std === 'ones' ? new Float32Array(size).fill(1) : std === 'zeros' ? new Float32Array(size) : rng.fill(size, (r) => r.normal() * std);
    params.set(name, tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true)));
  };
  create('input.weight', [features, d], 1 / Math.sqrt(features));
  create('input.bias', [d], 'zeros');
  const blocks: MlpBlockInfo[] = [];
  for (let b = 0; b < depth; b++) {
    const pre = `blocks.${b}`;
    create(`${pre}.ln.scale`, [d], 'ones');
    create(`${pre}.ln.shift`, [d], 'zeros');
    create(`${pre}.mlp.key.weight`, [d, n], 1 / Math.sqrt(d));
    create(`${pre}.mlp.key.bias`, [n], 0.1);
    create(`${pre}.mlp.value.weight`, [n, d], 1 / Math.sqrt(n));
    create(`${pre}.mlp.value.bias`, [d], 'zeros');
    blocks.push({
      index: b,
      d,
      n,
      lnScale: `${pre}.ln.scale`,
      lnShift: `${pre}.ln.shift`,
      keyWeight: `${pre}.mlp.key.weight`,
      keyBias: `${pre}.mlp.key.bias`,
      valueWeight: `${pre}.mlp.value.weight`,
      valueBias: `${pre}.mlp.value.bias`,
    });
  }
  create('head.weight', [d, classes], 1 / Math.sqrt(d));
  create('head.bias', [classes], 'zeros');
  const get = (name: string): tf.Variable => {
    const v = params.get(name);
    if (v === undefined) throw new Error(`tiny model: no parameter '${name}'`);
    return v;
  };
  let transformCount = 0;

  return {
    kind: 'tiny',
    params,
    mlpBlocks: blocks,
    maxTokens: tokens,
    get transforms() {
      return transformCount;
    },
    addParam(name, initial, trainable = true) {
      if (params.has(name)) throw new Error(`tiny model: parameter '${name}' exists`);
      const v = tf.variable(initial, trainable);
      params.set(name, v);
      return v;
    },
    setTrainable(name, trainable) {
      get(name).trainable = trainable;
    },
    setParamOptions(name, options) {
      get(name);
      paramOptions.set(name, { ...paramOptions.get(name), ...options });
    },
    paramOptions: (name) => paramOptions.get(name),
    addMlpTransform(blockIndex, stage, transform) {
      const key = `${blockIndex}:${stage}`;
      transforms.set(key, [...(transforms.get(key) ?? []), transform]);
      transformCount += 1;
    },
    forward(inputs: tf.Tensor, o: ForwardOptions): ForwardResult {
      const t = inputs.shape[1]!;
      const info = { tokens: t, step: o.step, training: o.training };
      let h = linear(inputs, get('input.weight'), get('input.bias'));
      const captures: MlpCapture[] = [];
      for (const block of blocks) {
        let x = layerNorm(h, get(block.lnScale!), get(block.lnShift!));
        for (const f of transforms.get(`${block.index}:input`) ?? []) x = f(x, info);
        const probe = o.probes?.[block.index];
        let p = linear(x, get(block.keyWeight), get(block.keyBias!));
        if (probe) p = tf.add(p, probe.p);
        let a = tinyRelu.apply(p);
        if (probe) a = tf.add(a, probe.a);
        let z = linear(a, get(block.valueWeight), get(block.valueBias!));
        for (const f of transforms.get(`${block.index}:output`) ?? []) z = f(z, info);
        if (probe) z = tf.add(z, probe.z);
        captures.push({ block, activation: tinyRelu, training: o.training, x, p, a, z });
        h = tf.add(h, z);
      }
      const pooled = tf.mean(h, 1);
      const output = tf.add(tf.matMul(pooled as tf.Tensor2D, get('head.weight') as tf.Tensor2D), get('head.bias'));
      return { output, captures };
    },
    loss(output, targets, labelSmoothing = 0) {
      return tinyLoss(output, targets, labelSmoothing);
    },
    probeShapes(inputs) {
      const [batch, t] = inputs.shape as [number, number];
      return blocks.map(() => ({ p: [batch, t, n], a: [batch, t, n], z: [batch, t, d] }));
    },
    dispose() {
      for (const v of params.values()) v.dispose();
      params.clear();
    },
  };
}

/** Mean softmax cross-entropy with label smoothing: targets (1 - s) one-hot + s / C. */
export function tinyLoss(output: tf.Tensor, targets: tf.Tensor, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const classes = output.shape[output.shape.length - 1]!;
    const logits = tf.reshape(output, [-1, classes]) as tf.Tensor2D;
    // oneHot in int32, then cast: tfjs-backend-wasm 4.22 writes int32 bits into a 'float32' oneHot.
    let target: tf.Tensor = tf.cast(tf.oneHot(tf.cast(tf.reshape(targets, [-1]), 'int32') as tf.Tensor1D, classes), 'float32');
    if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1))) as tf.Scalar;
  });
}

function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [rows, cols] = w.shape as [number, number];
  const flat = tf.reshape(x, [-1, rows]) as tf.Tensor2D;
  const y = tf.add(tf.matMul(flat, w as tf.Tensor2D), b);
  return tf.reshape(y, [...x.shape.slice(0, -1), cols]);
}

function layerNorm(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-5))), scale), shift);
}

/** Options of the tiny synthetic classification data set. */
export interface TinyDatasetOptions {
  readonly tokens: number;
  readonly features: number;
  readonly classes: number;
  readonly trainSize?: number;
  readonly heldOutSize?: number;
  readonly seed?: number;
  /** Noise added to each class prototype (default 0.5). */
  readonly noise?: number;
}

/** A seeded synthetic data set: each class has a random prototype [T, f]; samples add Gaussian noise. */
export function tinyDataset(options: TinyDatasetOptions): Dataset {
  const { tokens, features, classes } = options;
  const rng = new Rng(options.seed ?? 1);
  const size = tokens * features;
  const prototypes = Array.from({ length: classes }, () => rng.fill(size));
  const noise = options.noise ?? 0.5;
  const split = (count: number): DataSplit => {
    const inputs = new Float32Array(count * size);
    const targets = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const c = rng.int(classes);
      targets[i] = c;
      for (let j = 0; j < size; j++) inputs[i * size + j] = prototypes[c]![j]! + noise * rng.normal();
    }
    return { inputs, inputShape: [tokens, features], targets, targetShape: [], size: count };
  };
  const train = split(options.trainSize ?? 64);
  const heldOut = split(options.heldOutSize ?? 32);
  return { name: 'tiny', kind: 'image', classes, train, heldOut, source: `tiny-model generator (seed ${options.seed ?? 1})` };
}

/** Sizes used by the trainer tests: 3 tokens of 4 features, width 8, MLP width 16, 3 classes. */
export const TINY = { tokens: 3, features: 4, d: 8, n: 16, classes: 3 } as const;

/** A tiny model and data set with the test sizes. */
export function tinySetup(options: { readonly blocks?: number; readonly modelSeed?: number; readonly dataSeed?: number; readonly trainSize?: number; readonly heldOutSize?: number } = {}) {
  const model = tinyModel({ ...TINY, blocks: options.blocks ?? 1, seed: options.modelSeed ?? 7 });
  const dataset = tinyDataset({ ...TINY, seed: options.dataSeed ?? 1, trainSize: options.trainSize ?? 24, heldOutSize: options.heldOutSize ?? 10 });
  return { model, dataset };
}
