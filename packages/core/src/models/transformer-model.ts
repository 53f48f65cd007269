import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import {
  type ActivationFunction,
  ModelConfigError,
  ShapeError,
  type MlpCapture,
  type ForwardOptions,
  type ForwardResult,
  type MlpBlockInfo,
  type MlpTransform,
  type ParamOptions,
  type TrainableModel,
} from '@flatsparse/plugin-api';
import { addSame } from './add-same.js';
import { selfAttention } from './attention.js';
import { layerNorm } from './layer-norm.js';
import { accuracy, softmaxCrossEntropy } from './loss.js';
import { instrumentedMlp, type MlpTransforms } from './mlp-block.js';
import type { InitScheme } from './model-config.js';
import { ParamStore } from './param-store.js';

/** How a model is built besides its config: the MLP activation and the initialisation seed. */
export interface ModelOptions {
  /** Activation of every MLP block. */
  readonly activation: ActivationFunction;
  /** Seed of the initialisation (default 0); the same seed gives bit-identical weights. */
  readonly seed?: number;
}

const optionsSchema = z.object({
  activation: z.object({ name: z.string(), apply: z.custom<unknown>((v) => typeof v === 'function', 'must be a function') }).loose(),
  seed: z.number().int().optional(),
});

/** Sizes every Transformer here shares. */
export interface TransformerShape {
  readonly d: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpWidth: number;
  readonly lnEps: number;
  readonly initStd: number;
  /** How weight matrices and biases start (default 'xavier'; see INIT_SCHEMES). */
  readonly init?: InitScheme;
}

/**
 * A pre-LayerNorm Transformer stack with instrumented MLP blocks: h = h + Attn(LN1(h));
 * h = h + MLP(LN2(h)); then a final LayerNorm. Subclasses add the embedding, the head and the
 * input checks. Implements TrainableModel (the trainer's view) and owns every parameter.
 */
export abstract class TransformerModel<C extends TransformerShape = TransformerShape> implements TrainableModel {
  /** The validated configuration (defaults applied). */
  readonly config: C;
  /** The activation of every MLP block. */
  readonly activation: ActivationFunction;
  /** Where each MLP block's parameters are. */
  readonly mlpBlocks: readonly MlpBlockInfo[];
  /** Longest sequence (tokens per sample) the model accepts. */
  abstract readonly maxTokens: number;
  /** Whether attention is causal (position t sees positions <= t only). */
  protected abstract readonly causal: boolean;
  protected readonly store: ParamStore;
  private readonly transforms: MlpTransforms[];
  private readonly paramOptionsByName = new Map<string, ParamOptions>();

  protected constructor(
    readonly kind: string,
    config: C,
    options: ModelOptions,
  ) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ModelConfigError(`${kind} option '${issue.path.map(String).join('.')}': ${issue.message}.`, {
        fix: 'pass { activation, seed } with an ActivationFunction (for example from @flatsparse/plugins) and an integer seed.',
      });
    }
    this.config = config;
    this.activation = options.activation;
    this.store = new ParamStore(kind, options.seed ?? 0);
    this.transforms = Array.from({ length: config.depth }, () => ({ input: [], output: [] }));
    this.mlpBlocks = Array.from({ length: config.depth }, (_, index) => blockInfo(index, config.d, config.mlpWidth));
  }

  /** Every parameter by dotted name. */
  get params(): ReadonlyMap<string, tf.Variable> {
    return this.store.params;
  }

  /** Creates a [fanIn, fanOut] weight matrix under the config's scheme (INIT_SCHEMES). */
  protected createWeight(name: string, fanIn: number, fanOut: number): void {
    const { init = 'xavier', initStd } = this.config;
    if (init === 'xavier') this.store.createUniform(name, [fanIn, fanOut], Math.sqrt(6 / (fanIn + fanOut)));
    else if (init === 'pytorch') this.store.createUniform(name, [fanIn, fanOut], 1 / Math.sqrt(fanIn));
    else this.store.create(name, [fanIn, fanOut], { kind: 'normal', std: initStd });
  }

  /** Creates a dense layer's weight [fanIn, fanOut] and bias [fanOut] (zero, or U(+-1/sqrt(fanIn)) under 'pytorch'). */
  protected createDense(prefix: string, fanIn: number, fanOut: number): void {
    this.createWeight(`${prefix}.weight`, fanIn, fanOut);
    if (this.config.init === 'pytorch') this.store.createUniform(`${prefix}.bias`, [fanOut], 1 / Math.sqrt(fanIn));
    else this.store.create(`${prefix}.bias`, [fanOut], { kind: 'constant', value: 0 });
  }

  /** Creates the parameters of every block and the final LayerNorm (call from the subclass constructor). */
  protected createStack(): void {
    const { d, mlpWidth: n } = this.config;
    const zero = { kind: 'constant', value: 0 } as const;
    const one = { kind: 'constant', value: 1 } as const;
    for (let i = 0; i < this.config.depth; i++) {
      const b = `blocks.${i}`;
      this.store.create(`${b}.ln1.scale`, [d], one);
      this.store.create(`${b}.ln1.shift`, [d], zero);
      // The fused projection as PyTorch's attention writes it: one [d, 3d] matrix, Xavier over all of it.
      this.createDense(`${b}.attn.qkv`, d, 3 * d);
      this.createDense(`${b}.attn.out`, d, d);
      this.store.create(`${b}.ln2.scale`, [d], one);
      this.store.create(`${b}.ln2.shift`, [d], zero);
      this.createDense(`${b}.mlp.key`, d, n);
      this.createDense(`${b}.mlp.value`, n, d);
    }
    this.store.create('final_ln.scale', [d], one);
    this.store.create('final_ln.shift', [d], zero);
  }

  /** Checks the inputs and returns [batch, tokens]; throws ShapeError. */
  protected abstract checkInputs(inputs: tf.Tensor): [number, number];
  /** Embeds the inputs into the residual stream [B, T, d]. */
  protected abstract embed(inputs: tf.Tensor): tf.Tensor;
  /** Maps the final normalised stream [B, T, d] to logits. */
  protected abstract head(h: tf.Tensor): tf.Tensor;

  /** Forward pass (call inside tf.tidy or a gradient closure: nothing is disposed here). */
  forward(inputs: tf.Tensor, options: ForwardOptions): ForwardResult {
    this.checkInputs(inputs);
    const { heads, lnEps } = this.config;
    const probes = options.probes;
    if (probes !== undefined && probes.length !== this.config.depth) {
      throw new ShapeError('probes', [probes.length], `one probe triple per MLP block (${this.config.depth})`, 'build the probes from model.probeShapes(inputs).');
    }
    const param = (name: string): tf.Variable => this.store.get(name);
    let h = this.embed(inputs);
    const captures: MlpCapture[] = [];
    for (let i = 0; i < this.config.depth; i++) {
      const b = `blocks.${i}`;
      const attnIn = layerNorm(h, param(`${b}.ln1.scale`), param(`${b}.ln1.shift`), lnEps);
      const attnParams = { qkvWeight: param(`${b}.attn.qkv.weight`), qkvBias: param(`${b}.attn.qkv.bias`), outWeight: param(`${b}.attn.out.weight`), outBias: param(`${b}.attn.out.bias`) };
      h = addSame(h, selfAttention(attnIn, attnParams, heads, this.causal));
      const x = layerNorm(h, param(`${b}.ln2.scale`), param(`${b}.ln2.shift`), lnEps);
      const weights = { keyWeight: param(`${b}.mlp.key.weight`), keyBias: param(`${b}.mlp.key.bias`), valueWeight: param(`${b}.mlp.value.weight`), valueBias: param(`${b}.mlp.value.bias`) };
      const pass = { step: options.step, training: options.training, ...(probes ? { probes: probes[i]! } : {}) };
      const { z, capture } = instrumentedMlp(x, this.mlpBlocks[i]!, weights, this.activation, this.transforms[i]!, pass);
      h = addSame(h, z);
      captures.push(capture);
    }
    const final = layerNorm(h, param('final_ln.scale'), param('final_ln.shift'), lnEps);
    return { output: this.head(final), captures };
  }

  /** Mean softmax cross-entropy with label smoothing; targets hold integer class ids shaped like output without its last axis. */
  loss(output: tf.Tensor, targets: tf.Tensor, labelSmoothing = 0): tf.Scalar {
    return softmaxCrossEntropy(output, targets, labelSmoothing);
  }

  /** Fraction of correct arg-max predictions, as a float32 scalar. */
  accuracy(output: tf.Tensor, targets: tf.Tensor): tf.Scalar {
    return accuracy(output, targets);
  }

  /** Shapes of the probes of every block for these inputs: p [B, T, n], a [B, T, n], z [B, T, d]. */
  probeShapes(inputs: tf.Tensor): readonly { p: number[]; a: number[]; z: number[] }[] {
    const [batch, tokens] = this.checkInputs(inputs);
    return this.mlpBlocks.map((b) => ({ p: [batch, tokens, b.n], a: [batch, tokens, b.n], z: [batch, tokens, b.d] }));
  }

  /** Adds a parameter holding a copy of `initial` (the caller keeps ownership of `initial`). */
  addParam(name: string, initial: tf.Tensor, trainable = true): tf.Variable {
    return this.store.add(name, initial, trainable);
  }

  /** Marks a parameter trainable or frozen (sets `variable.trainable`). */
  setTrainable(name: string, trainable: boolean): void {
    this.store.setTrainable(name, trainable);
  }

  /** Sets optimiser options of one parameter (overriding the optimiser's defaults and groups). */
  setParamOptions(name: string, options: ParamOptions): void {
    this.store.get(name);
    this.paramOptionsByName.set(name, { ...this.paramOptionsByName.get(name), ...options });
  }

  /** Options set with setParamOptions, if any. */
  paramOptions(name: string): ParamOptions | undefined {
    return this.paramOptionsByName.get(name);
  }

  /** Adds a transform of block `blockIndex`'s MLP input ('input') or output ('output'). */
  addMlpTransform(blockIndex: number, stage: 'input' | 'output', transform: MlpTransform): void {
    const transforms = this.transforms[blockIndex];
    if (!Number.isInteger(blockIndex) || transforms === undefined) {
      throw new ModelConfigError(`there is no MLP block ${blockIndex}.`, { received: blockIndex, expected: `an integer in [0, ${this.config.depth - 1}]`, fix: 'use an index from model.mlpBlocks.' });
    }
    if (stage !== 'input' && stage !== 'output') {
      throw new ModelConfigError(`unknown MLP transform stage.`, { received: stage, expected: "'input' or 'output'", fix: "pass 'input' or 'output'." });
    }
    transforms[stage].push(transform);
  }

  /** Disposes every parameter, plugin-added ones included. */
  dispose(): void {
    this.store.dispose();
  }
}

function blockInfo(index: number, d: number, n: number): MlpBlockInfo {
  const b = `blocks.${index}`;
  return {
    index,
    d,
    n,
    lnScale: `${b}.ln2.scale`,
    lnShift: `${b}.ln2.shift`,
    keyWeight: `${b}.mlp.key.weight`,
    keyBias: `${b}.mlp.key.bias`,
    valueWeight: `${b}.mlp.value.weight`,
    valueBias: `${b}.mlp.value.bias`,
  };
}
