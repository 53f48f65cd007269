import type * as tf from '@tensorflow/tfjs-core';
import type { MlpCapture } from './mlp-capture.js';

/** Where one MLP block's parameters live, by name in `ModelView.params`. */
export interface MlpBlockInfo {
  /** Block index, 0-based from the input side. */
  readonly index: number;
  /** Model width d (MLP input and output size). */
  readonly d: number;
  /** MLP width n (number of activations). */
  readonly n: number;
  /** Name of the scale (gamma) of the LayerNorm feeding this MLP, if it has one. */
  readonly lnScale?: string;
  /** Name of the shift (beta) of the LayerNorm feeding this MLP, if it has one. */
  readonly lnShift?: string;
  /** Name of the key weight K (d x n). */
  readonly keyWeight: string;
  /** Name of the key bias b_K (n). */
  readonly keyBias?: string;
  /** Name of the value weight V (n x d). */
  readonly valueWeight: string;
  /** Name of the value bias b_V (d). */
  readonly valueBias?: string;
}

/**
 * What plugins see of a model: its named trainable parameters and where each MLP block's parameters
 * are. Models (ViT, GPT) implement it; plugins never depend on a concrete model class.
 */
export interface ModelView {
  /** Model kind: the name of the architecture that built it, for example `vit` or `gpt`. */
  readonly kind: string;
  /** Every parameter by a stable dotted name (for example 'blocks.0.mlp.key.weight'). */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** The instrumented MLP blocks, in order. */
  readonly mlpBlocks: readonly MlpBlockInfo[];
  /** Longest sequence the model accepts (tokens per sample). */
  readonly maxTokens: number;
  /**
   * Adds a trainable parameter (for example a zeroth-bias table) under a new name. Called from
   * 'modelBuilt'; the model disposes it with its other parameters.
   */
  addParam(name: string, initial: tf.Tensor, trainable?: boolean): tf.Variable;
  /**
   * Marks a parameter trainable or frozen (frozen ones get no gradient and no update). The paper's M2
   * removes the LayerNorm shift by zeroing and freezing it.
   */
  setTrainable(name: string, trainable: boolean): void;
  /**
   * Sets per-parameter optimiser options that override the optimiser's defaults and groups (for
   * example weight decay on a zeroth-bias table). Called from 'modelBuilt'.
   */
  setParamOptions(name: string, options: ParamOptions): void;
  /** The options set with setParamOptions (undefined if none). */
  paramOptions(name: string): ParamOptions | undefined;
  /**
   * Adds a transform of one MLP block's input x ('input', before the key layer) or output z
   * ('output', before the residual add); transforms run in the order added. Called from 'modelBuilt'.
   */
  addMlpTransform(blockIndex: number, stage: 'input' | 'output', transform: MlpTransform): void;
}

/** Per-parameter optimiser options (see ModelView.setParamOptions). */
export interface ParamOptions {
  /** Decoupled weight decay of this parameter. */
  readonly weightDecay?: number;
  /** Multiplier of the learning rate for this parameter. */
  readonly lrMultiplier?: number;
}

/** A transform of an MLP block's input or output, [B, T, d] -> [B, T, d], inside the gradient tape. */
export type MlpTransform = (t: tf.Tensor, info: { readonly tokens: number; readonly step: number; readonly training: boolean }) => tf.Tensor;

/** Options of one forward pass. */
export interface ForwardOptions {
  /** Training mode (dropout-free models differ only in what is captured). */
  readonly training: boolean;
  /** The optimisation step (passed to activations with ramps). */
  readonly step: number;
  /**
   * Zero-valued probe tensors, one triple per MLP block, added as p' = p + probe.p, a' = sigma(p') + probe.a,
   * z' = z + probe.z; the gradients of the loss with respect to them are dL/dp, dL/da and dL/dz.
   */
  readonly probes?: readonly MlpProbes[];
}

/** Zero-valued probes of one MLP block ([B, T, n], [B, T, n], [B, T, d]). */
export interface MlpProbes {
  readonly p: tf.Tensor;
  readonly a: tf.Tensor;
  readonly z: tf.Tensor;
}

/** Output of a forward pass: the model output and the forward captures of every MLP block. */
export interface ForwardResult {
  /** Logits ([B, classes] for the ViT, [B, T, vocab] for the GPT). */
  readonly output: tf.Tensor;
  /** Forward tensors of every MLP block (no gradients). */
  readonly captures: readonly MlpCapture[];
}

/** A model the trainer can train: a ModelView plus forward, loss, probe shapes and disposal. */
export interface TrainableModel extends ModelView {
  /** Forward pass; call inside tf.tidy or a gradient closure. */
  forward(inputs: tf.Tensor, options: ForwardOptions): ForwardResult;
  /** Mean loss of a batch (cross-entropy with optional label smoothing). */
  loss(output: tf.Tensor, targets: tf.Tensor, labelSmoothing?: number): tf.Scalar;
  /** Shapes of the probes of each MLP block for a batch of these inputs. */
  probeShapes(inputs: tf.Tensor): readonly { p: number[]; a: number[]; z: number[] }[];
  /** Releases every parameter. */
  dispose(): void;
}
