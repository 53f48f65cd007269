import type { PipelineConfigInput } from '../config/config-schema.js';

/** One arm of the reproduction: a change to a task's base config. */
export interface Arm {
  /** Short name used in tables and directory names. */
  readonly name: string;
  /** What the arm changes, for the report. */
  readonly description: string;
  /** The arm's config, from the task's base config (which trains the vanilla ReLU model). */
  apply(base: PipelineConfigInput, ramps?: Ramps): PipelineConfigInput;
}

/**
 * Ramps of the methods that have one, in steps (off by default: the authors' from-scratch runs ramp
 * nothing; their ramps of the JSReLU mix and the LayerNorm bound act in fine-tuning only).
 */
export interface Ramps {
  /** Mix ReLU into J-SquaredReLU over this many steps (M3). */
  readonly mixSteps?: number;
  /** Raise the LayerNorm bound from 0 to 1 over this many steps (M2). */
  readonly upliftSteps?: number;
}

type PluginEntry = string | { readonly name: string; readonly options?: Record<string, unknown> };

/** The base config with the arm's activation, method plugins and the methods' own metrics (zeroth-bias). */
function withMethods(base: PipelineConfigInput, activation: PipelineConfigInput['activation'], plugins: PluginEntry[], metrics: string[] = []): PipelineConfigInput {
  return { ...base, activation, plugins: [...(base.plugins ?? []), ...plugins], metrics: [...(base.metrics ?? []), ...metrics] } as PipelineConfigInput;
}

const m1 = (placement: 'input' | 'output'): PluginEntry => ({ name: 'zeroth-bias', options: { placement } });
const m2 = (ramps?: Ramps): PluginEntry => (ramps?.upliftSteps ? { name: 'restricted-layer-norm', options: { rampSteps: ramps.upliftSteps } } : 'restricted-layer-norm');
const m3 = (ramps?: Ramps): PipelineConfigInput['activation'] => (ramps?.mixSteps ? { name: 'j-squared-relu', options: { mix: { steps: ramps.mixSteps } } } : 'j-squared-relu');

/**
 * Vanilla ReLU, each of the paper's methods alone (M1 at both placements: the MLP input, as the paper
 * states, and its output, where the authors' code adds it since 2023-09), and all three at each
 * placement: the same model, data, seed and training budget in every arm; only the method plugins,
 * the activation and the method's own diagnostic metric change.
 */
export const ARMS: readonly Arm[] = [
  { name: 'vanilla', description: 'ReLU, no method', apply: (b) => withMethods(b, 'relu', []) },
  { name: 'M1 input', description: 'zeroth biases on the MLP input, |b| <= 0.1 |gamma| (the paper)', apply: (b) => withMethods(b, 'relu', [m1('input')], ['zeroth-bias']) },
  { name: 'M1 output', description: 'zeroth biases on the MLP output, |b| <= 0.1 |gamma| (the authors\' code)', apply: (b) => withMethods(b, 'relu', [m1('output')], ['zeroth-bias']) },
  { name: 'M2 restricted-LN', description: 'MLP LayerNorm scale >= 1, no shift', apply: (b, r) => withMethods(b, 'relu', [m2(r)]) },
  { name: 'M3 JSReLU', description: 'J-SquaredReLU activation', apply: (b, r) => withMethods(b, m3(r), []) },
  { name: 'sparsified input', description: 'M1 (input) + M2 + M3', apply: (b, r) => withMethods(b, m3(r), [m1('input'), m2(r)], ['zeroth-bias']) },
  { name: 'sparsified output', description: 'M1 (output) + M2 + M3 (the authors\' configuration)', apply: (b, r) => withMethods(b, m3(r), [m1('output'), m2(r)], ['zeroth-bias']) },
];
