import type { PipelineConfigInput } from '../config/config-schema.js';

/** One arm of the reproduction: a change to a task's base config. */
export interface Arm {
  /** Short name used in tables and directory names. */
  readonly name: string;
  /** What the arm changes, for the report. */
  readonly description: string;
  /** The arm's config, from the task's base config (which trains the vanilla ReLU model). */
  apply(base: PipelineConfigInput): PipelineConfigInput;
}

const withMethods = (base: PipelineConfigInput, activation: string | null, plugins: string[]): PipelineConfigInput => ({
  ...base,
  activation: activation ?? base.activation ?? 'relu',
  plugins: [...(base.plugins ?? []), ...plugins],
});

/**
 * Vanilla ReLU, each of the paper's methods alone, and all three ("sparsified"): the same model, data,
 * seed and training budget in every arm; only the method plugins and the activation change.
 */
export const ARMS: readonly Arm[] = [
  { name: 'vanilla', description: 'ReLU, no method', apply: (b) => withMethods(b, 'relu', []) },
  { name: 'M1 zeroth-bias', description: 'per-position MLP input biases, |b| <= 0.1 |gamma|', apply: (b) => withMethods(b, 'relu', ['zeroth-bias']) },
  { name: 'M2 restricted-LN', description: 'LayerNorm scale >= 1, no shift (MLP LayerNorms)', apply: (b) => withMethods(b, 'relu', ['restricted-layer-norm']) },
  { name: 'M3 JSReLU', description: 'J-SquaredReLU activation', apply: (b) => withMethods(b, 'j-squared-relu', []) },
  { name: 'sparsified', description: 'M1 + M2 + M3 (the paper\'s configuration)', apply: (b) => withMethods(b, 'j-squared-relu', ['zeroth-bias', 'restricted-layer-norm']) },
];
