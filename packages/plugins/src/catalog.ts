import { ConfigError, type Plugin } from '@flatsparse/plugin-api';
import { gelu, type GeluOptions } from './activations/gelu.js';
import { relu } from './activations/relu.js';
import { sShapedSquaredRelu, type SShapedSquaredReluOptions } from './activations/s-shaped-squared-relu.js';
import { shiftedRelu, type ShiftedReluOptions } from './activations/shifted-relu.js';
import { silu } from './activations/silu.js';
import { elu, type EluOptions } from './activations/elu.js';
import { squaredRelu } from './activations/squared-relu.js';
import { augmentedFlatness } from './flatness/augmented-flatness.js';
import { activationSparsity, type ActivationSparsityOptions } from './metrics/activation-sparsity.js';
import { deadNeurons, type DeadNeuronsOptions } from './metrics/dead-neurons.js';
import { derivativeSparsity } from './metrics/derivative-sparsity.js';
import { topkSparsity, type TopkSparsityOptions } from './metrics/topk-sparsity.js';
import { activationRatio } from './diagnostics/activation-ratio.js';
import { activeSlope } from './diagnostics/active-slope.js';
import { layerNormScale, type LayerNormScaleOptions } from './diagnostics/layer-norm-scale.js';
import { jSquaredReLU, type JSquaredReLUOptions } from './methods/j-squared-relu.js';
import { restrictedLayerNorm, type RestrictedLayerNormOptions } from './methods/restricted-layer-norm.js';
import { sam, type SamOptions } from './methods/sam.js';
import {
  averageSharpness,
  hessianEigenvalues,
  hessianSpectrum,
  hessianTrace,
  worstCaseSharpness,
  type AverageSharpnessPluginOptions,
  type HessianEigenvaluesOptions,
  type HessianSpectrumOptions,
  type HessianTraceOptions,
  type WorstCaseSharpnessPluginOptions,
} from './flatness/curvature-estimators.js';
import { zerothBias, type ZerothBiasOptions } from './methods/zeroth-bias.js';
import { l1Activation, type L1ActivationOptions } from './regularizers/l1-activation.js';

/**
 * What a built-in plugin adds to a pipeline. An 'update-method' (SAM) chooses the step's gradient; it
 * is active as soon as a config lists it under `plugins` (at most one per run).
 */
export type BuiltinPluginKind = 'activation' | 'metric' | 'regularizer' | 'estimator' | 'update-method';

/** A catalog entry: the factory (which validates its options), a one-line description and the kind. */
export interface BuiltinPlugin {
  /** Creates the plugin; throws E_PLUGIN_INVALID for bad options. */
  readonly factory: (options: unknown) => Plugin;
  /** One line for listings (`flatsparse plugins`). */
  readonly description: string;
  /** What the plugin contributes. */
  readonly kind: BuiltinPluginKind;
  /**
   * Options the conformance suites (every backend) and the catalog's tests give the plugin, where its
   * defaults are not a meaningful test (a required option, or a non-default shape); kept here, next to
   * the plugin, so that adding a plugin touches no test table.
   */
  readonly testOptions?: unknown;
}

/** One entry; the factories validate `unknown` options with zod, so the cast only meets their typed signatures. */
function entry<O>(kind: BuiltinPluginKind, factory: (options: O) => Plugin, description: string, testOptions?: O): BuiltinPlugin {
  return Object.freeze({ kind, description, factory: (options: unknown) => factory(options as O), ...(testOptions === undefined ? {} : { testOptions }) });
}

const entries: readonly (readonly [string, BuiltinPlugin])[] = [
  ['relu', entry('activation', relu, 'ReLU, max(x, 0); flat on (-inf, 0].')],
  ['gelu', entry<GeluOptions>('activation', gelu, "GELU, x Phi(x) (exact erf form; approximate: 'tanh' for the tanh form).")],
  ['silu', entry('activation', silu, 'SiLU / swish, x sigmoid(x); no flat region.')],
  ['elu', entry<EluOptions>('activation', elu, 'ELU, x for x > 0, alpha (e^x - 1) below; no flat region.')],
  ['squared-relu', entry('activation', squaredRelu, 'Squared ReLU, relu(x)^2; flat on (-inf, 0].')],
  ['shifted-relu', entry<ShiftedReluOptions>('activation', shiftedRelu, 'Shifted ReLU, relu(x - sx) + sy; flat on (-inf, sx], at rest at sy.', { sx: 1.6, sy: -1.6 })],
  [
    's-shaped-squared-relu',
    entry<SShapedSquaredReluOptions>('activation', sShapedSquaredRelu, 'S-shaped squared ReLU of the stability study; flat on [sx - 1.5, sx + 1.5], at rest at sy.', { sx: -1.6, sy: 1.6 }),
  ],
  [
    'activation-sparsity',
    entry<ActivationSparsityOptions>('metric', activationSparsity, 'Fraction of activations within threshold (1e-6) of the rest value.'),
  ],
  ['derivative-sparsity', entry('metric', derivativeSparsity, "Fraction of pre-activations in the activation's flat regions (sigma' = 0).")],
  ['dead-neurons', entry<DeadNeuronsOptions>('metric', deadNeurons, 'Fraction of neurons inactive on every token of the batch.')],
  ['topk-sparsity', entry<TopkSparsityOptions>('metric', topkSparsity, "1 - mean(k)/n, k = fewest entries holding `mass` (0.99) of a token's L1 mass.")],
  ['augmented-flatness', entry('metric', augmentedFlatness, 'AS_K, AS_V, c0, c2, density and the identity self-check (needs gradients).')],
  ['layer-norm-scale', entry<LayerNormScaleOptions>('metric', layerNormScale, 'Diagnostic: MLP LayerNorm scales per layer (mean, min, fraction at the M2 bound 1).')],
  ['active-slope', entry('metric', activeSlope, "Diagnostic: mean pre-activation and mean sigma' on the active entries (JSReLU: 1 + p).")],
  ['activation-ratio', entry('metric', activationRatio, "Diagnostic: fraction of activations with |a| > 0, as the authors log it ('activation/ratio').")],
  ['l1-activation', entry<L1ActivationOptions>('regularizer', l1Activation, 'L1 penalty mean |a| with a constant, linear or ProSparse weight schedule.', { weight: 1e-3 })],
  ['zeroth-bias', entry<ZerothBiasOptions>('regularizer', zerothBias, 'M1: per-position MLP biases [maxTokens, d] (input or output), clipped to c |gamma| (c = 0.1) after every step; metric zerothBias.')],
  [
    'restricted-layer-norm',
    entry<RestrictedLayerNormOptions>('regularizer', restrictedLayerNorm, "M2: MLP LayerNorm shift removed (or frozen, 'finetune'), scale bounded below by 1 after every step."),
  ],
  ['j-squared-relu', entry<JSquaredReLUOptions>('activation', jSquaredReLU, "M3: J-SquaredReLU relu(x) + relu(x)^2 / 2, f' = (x + 1) 1[x >= 0]; flat on (-inf, 0).")],
  ['hessian-trace', entry<HessianTraceOptions>('estimator', hessianTrace, 'Trace of the Hessian on the fixed batch (Hutchinson or Hutch++), with its standard error.')],
  ['hessian-eigenvalues', entry<HessianEigenvaluesOptions>('estimator', hessianEigenvalues, 'k largest Hessian eigenvalues (Lanczos or power iteration with deflation), each with its residual.')],
  ['hessian-spectrum', entry<HessianSpectrumOptions>('estimator', hessianSpectrum, 'Hessian spectral density by stochastic Lanczos quadrature (curve in the report), trace, extreme eigenvalues.')],
  ['worst-case-sharpness', entry<WorstCaseSharpnessPluginOptions>('estimator', worstCaseSharpness, 'max L(w + e) - L(w) over a rho-ball (plain or ASAM-adaptive) by projected ascent.')],
  ['average-sharpness', entry<AverageSharpnessPluginOptions>('estimator', averageSharpness, 'E[L(w + noise)] - L(w) under Gaussian weight noise, with standard error and 95% interval.')],
  ['sam', entry<SamOptions>('update-method', sam, 'SAM / ASAM: gradient at the ascent point w + rho g/||g|| (adaptive: T_w-scaled), every k steps; 2x forward/backward.')],
];

/**
 * Every built-in plugin by its one name, read-only: the name configs use, the plugin's `name`, the name of
 * what it contributes and the prefix of its figures.
 */
export const builtinPlugins: ReadonlyMap<string, BuiltinPlugin> = new Map(entries);

/** Creates a built-in plugin by config name; throws E_CONFIG_INVALID (at `path`) for an unknown name. */
export function createBuiltinPlugin(name: string, options?: unknown, path = 'plugins'): Plugin {
  const entry = builtinPlugins.get(name);
  if (!entry) {
    throw new ConfigError(path, `unknown built-in plugin '${name}'.`, {
      received: name,
      expected: `one of ${[...builtinPlugins.keys()].join(', ')}`,
      fix: 'check the spelling, or pass a third-party plugin object instead of a name.',
    });
  }
  return entry.factory(options);
}
