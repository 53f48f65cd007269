import type { ActivationFunction } from './activation-function.js';
import type { Dataset } from './dataset.js';
import type { TrainableModel } from './model.js';

/** What an architecture is told of the data set it will train on, before any backend starts. */
export interface ModelDataFacts {
  /** Name of the data set (for errors). */
  readonly name: string;
  /** 'image' or 'text'. */
  readonly kind: Dataset['kind'];
  /** Number of classes (image) or vocabulary size (text). */
  readonly classes: number;
  /** Shape of one example's input ([H, W, C] for images, [T] for text). */
  readonly inputShape: readonly number[];
}

/** One parameter tensor an architecture creates, by its checkpoint name. */
export interface ModelParameter {
  /** Stable dotted name, as in ModelView.params and checkpoint files (for example 'blocks.0.mlp.key.weight'). */
  readonly name: string;
  /** Shape of the tensor. */
  readonly shape: readonly number[];
}

/** What a model builder gets besides its config. */
export interface ModelBuildOptions {
  /** The activation of every MLP block (the run's `activation`). */
  readonly activation: ActivationFunction;
  /** Seed of the parameter initialisation. */
  readonly seed: number;
}

/**
 * Extension point: a model architecture, chosen with `model: { kind: name, ... }` and recorded under that
 * name in run directories and checkpoints. The engine resolves the config once (before a backend starts),
 * checks its memory estimate against the backend, then builds the model. The model it builds is a
 * `TrainableModel`, instrumented where every metric and method looks: per MLP block the pre-activation p,
 * the activation a = sigma(p) and the MLP input x (`ForwardResult.captures`, and the probes of
 * `ForwardOptions.probes`), the LayerNorm feeding the MLP and the key/value parameters
 * (`ModelView.mlpBlocks`), and the per-position slot a plugin adds a bias to (`addMlpTransform` on 'input'
 * or 'output' of [B, T, d] with T <= `maxTokens`).
 */
export interface ModelArchitecture<Config = unknown> {
  /** Unique kebab-case name used as `model.kind` in configs and stored in checkpoints (for example `vit`). */
  readonly name: string;
  /** Kinds of data the architecture trains on; another kind is refused before the data loads further. */
  readonly dataKinds: readonly Dataset['kind'][];
  /**
   * Validates the options of `model:` (everything but `kind`) once and completes them from the data (sizes
   * the data determines may be left out); called before any backend starts. Throws E_MODEL_CONFIG naming
   * the key ('model.d') with the received value, or where the options do not fit the data.
   */
  resolve(options: Readonly<Record<string, unknown>>, data: ModelDataFacts): Config;
  /** Parses a complete config as `resolve` returned it (read back from config.json or a checkpoint); throws E_MODEL_CONFIG. */
  parse(config: unknown): Config;
  /** Every parameter the model creates, by checkpoint name, with its shape (plugin-added ones excluded); called for memory estimates and checkpoint checks. */
  parameters(config: Config): readonly ModelParameter[];
  /** Floats the gradient tape keeps for one batch of `batchSize` examples (forward activations, not their gradients); called for the memory estimate. */
  activationElements(config: Config, batchSize: number): number;
  /** Builds the model with freshly initialised parameters, its `kind` this architecture's name; called once per run after the backend is ready. */
  build(config: Config, options: ModelBuildOptions): TrainableModel;
  /** The options that size the model, for the fix of a model that does not fit (for example 'model.d 64, model.depth 4'). */
  describeSize?(config: Config): string;
}
