import { parseOptions, type Plugin } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { relu } from '../activations/relu.js';
import { jSquaredReLU, type JSquaredReLUOptions } from './j-squared-relu.js';
import { restrictedLayerNorm, type RestrictedLayerNormOptions } from './restricted-layer-norm.js';
import { zerothBias, type ZerothBiasOptions } from './zeroth-bias.js';

/** Which of the paper's methods a preset uses: `false` switches one off, `true` or options switch it on. */
export interface SparsifiedOptions {
  /** M1 zeroth biases (default on, c = 0.1). */
  readonly zerothBias?: boolean | ZerothBiasOptions;
  /** M2 restricted LayerNorm (default on). */
  readonly restrictedLayerNorm?: boolean | RestrictedLayerNormOptions;
  /** M3 J-SquaredReLU (default on; when off, the run's activation must come from another plugin, e.g. relu()). */
  readonly jSquaredReLU?: boolean | JSquaredReLUOptions;
}

const PRESET = 'sparsified';
const method = z.union([z.boolean(), z.looseObject({})]).default(true);
const schema = z.strictObject({ zerothBias: method, restrictedLayerNorm: method, jSquaredReLU: method });

function build(options: SparsifiedOptions, defaults: { restrictedLayerNorm: RestrictedLayerNormOptions; jSquaredReLU: JSquaredReLUOptions }): Plugin[] {
  const o = parseOptions(schema, options, { plugin: PRESET });
  const on = <T extends object>(value: boolean | object, base: T): T | undefined => (value === false ? undefined : value === true ? base : { ...base, ...value });
  const m1 = on(o.zerothBias, {} as ZerothBiasOptions);
  const m2 = on(o.restrictedLayerNorm, defaults.restrictedLayerNorm);
  const m3 = on(o.jSquaredReLU, defaults.jSquaredReLU);
  return [...(m1 ? [zerothBias(m1)] : []), ...(m2 ? [restrictedLayerNorm(m2)] : []), ...(m3 ? [jSquaredReLU(m3)] : [])];
}

/**
 * The paper's "sparsified" Transformer from scratch: M1 zeroth biases (c = 0.1) + M2 restricted
 * LayerNorm (shift removed, gamma >= 1) + M3 J-SquaredReLU (select `activation: 'j-squared-relu'`).
 * Each method can be switched off (`false`) or configured for ablations. Returns the plugins.
 */
export function sparsified(options: SparsifiedOptions = {}): Plugin[] {
  return build(options, { restrictedLayerNorm: {}, jSquaredReLU: {} });
}

/**
 * The fine-tuning form for a saved ReLU model: M1 + M2 in mode 'finetune' (shift frozen, |gamma|
 * ramped up to 1 over 3000 steps) + M3 mixed in from ReLU over 3000 steps. Options as for
 * `sparsified`; given options are merged over these defaults.
 */
export function sparsifiedFinetune(options: SparsifiedOptions = {}): Plugin[] {
  return build(options, { restrictedLayerNorm: { mode: 'finetune' }, jSquaredReLU: { mix: true } });
}

/** The activation a run with these options selects: 'j-squared-relu' unless M3 is off ('relu'). */
export function sparsifiedActivation(options: SparsifiedOptions = {}): 'j-squared-relu' | 'relu' {
  return parseOptions(schema, options, { plugin: PRESET }).jSquaredReLU === false ? 'relu' : 'j-squared-relu';
}

/** One arm of the ablation study: a name, fresh plugins per run (with the activation's plugin) and the activation to select. */
export interface SparsifiedArm {
  /** 'vanilla', 'zeroth-bias', 'restricted-layer-norm', 'j-squared-relu' or 'sparsified'. */
  readonly name: string;
  /** Fresh plugin objects for one run, the activation's plugin included. */
  plugins(): Plugin[];
  /** The activation name to select in the run. */
  readonly activation: 'j-squared-relu' | 'relu';
}

function arm(name: string, options: SparsifiedOptions): SparsifiedArm {
  const activation = sparsifiedActivation(options);
  return Object.freeze({ name, activation, plugins: () => [...sparsified(options), ...(activation === 'relu' ? [relu()] : [])] });
}

/** The ablation arms with the paper's defaults: vanilla (ReLU), each method alone, and all three. */
export const SPARSIFIED_ARMS: readonly SparsifiedArm[] = Object.freeze([
  arm('vanilla', { zerothBias: false, restrictedLayerNorm: false, jSquaredReLU: false }),
  arm('zeroth-bias', { restrictedLayerNorm: false, jSquaredReLU: false }),
  arm('restricted-layer-norm', { zerothBias: false, jSquaredReLU: false }),
  arm('j-squared-relu', { zerothBias: false, restrictedLayerNorm: false }),
  arm('sparsified', {}),
]);
