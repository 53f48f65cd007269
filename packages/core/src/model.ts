import type * as tf from '@tensorflow/tfjs-core';

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
  /** Model kind, for example 'vit' or 'gpt'. */
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
}
