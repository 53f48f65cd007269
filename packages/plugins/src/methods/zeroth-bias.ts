import { ModelConfigError, parseOptions, ShapeError, type MlpCapture, type MlpTransform, type ModelView, type Plugin, type Regularizer, type SparsityMetric } from '@flatsparse/plugin-api';
import { PluginError } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BUILTIN_API_RANGE, BUILTIN_PLUGIN_VERSION } from '../plugin-meta.js';

/** Options of the zeroth biases (M1). */
export interface ZerothBiasOptions {
  /** Clipping factor: |b_{t,j}| <= c |gamma_j| after every step (default 0.1; c itself without a LayerNorm scale). */
  readonly c?: number;
  /** 'input' (default): x_t = LN(h_t) + b_t, as the paper states; 'output': added to the MLP output z_t (the authors' latest code). */
  readonly placement?: 'input' | 'output';
  /**
   * Decoupled weight decay of the tables. Default: the optimiser's rule, which exempts them (their name
   * holds 'bias') unless `train.optimizer.decay` is 'all' (the authors' ImageNet runs decay them at 0.3;
   * their C4 runs do not).
   */
  readonly weightDecay?: number;
}

const PLUGIN = 'zeroth-bias';
const schema = z.strictObject({
  c: z.number().positive().finite().default(0.1),
  placement: z.enum(['input', 'output']).default('input'),
  weightDecay: z.number().nonnegative().finite().optional(),
});

/** Name of block `index`'s zeroth-bias table, shape [maxTokens, d]. */
export function zerothBiasName(index: number): string {
  return `blocks.${index}.mlp.zeroth_bias`;
}

/**
 * b clipped elementwise to [-c |gamma_j|, c |gamma_j|] (gamma [d] broadcast over the rows of the
 * [T, d] table), or to [-c, c] without a scale. Returns a new tensor.
 */
export function clipZerothBias(table: tf.Tensor, lnScale: tf.Tensor | undefined, c: number): tf.Tensor {
  return tf.tidy(() => {
    const bound = lnScale === undefined ? tf.scalar(c) : tf.mul(tf.abs(lnScale), c);
    return tf.minimum(tf.maximum(table, tf.neg(bound)), bound);
  });
}

/** The transform adding rows [0, tokens) of `table` ([rows, d]) to a [B, tokens, d] tensor. */
function addTableRows(table: tf.Variable, block: number): MlpTransform {
  return (t, { tokens }) => {
    const [rows = 0, d = 0] = table.shape;
    if (tokens > rows) {
      throw new ShapeError(
        `the input of MLP block ${block} (${tokens} tokens; its zeroth-bias table '${zerothBiasName(block)}' has ${rows} rows, one per position up to maxTokens)`,
        t.shape,
        `[B, T, ${d}] with T <= ${rows}`,
        `pass sequences of at most ${rows} tokens, or build the model with maxTokens >= ${tokens} (GPT: seqLen).`,
      );
    }
    return tf.add(t, tokens === rows ? table : tf.slice(table, [0, 0], [tokens, d]));
  };
}

/** The projection of M1: after every step, every table clipped to c |gamma| of the LayerNorm feeding its MLP. */
export function zerothBiasRegularizer(options: ZerothBiasOptions = {}): Regularizer {
  const { c } = parseOptions(schema, options, { plugin: PLUGIN });
  return Object.freeze({
    name: 'zeroth-bias',
    project(model: ModelView) {
      for (const block of model.mlpBlocks) {
        const name = zerothBiasName(block.index);
        const table = model.params.get(name);
        if (table === undefined) {
          throw new ModelConfigError(`the model has no zeroth-bias table '${name}'.`, {
            expected: `a [${model.maxTokens}, ${block.d}] parameter added in 'modelBuilt'`,
            fix: `use the plugin '${PLUGIN}' (its 'modelBuilt' hook adds the tables) rather than the bare regularizer.`,
          });
        }
        const scale = block.lnScale === undefined ? undefined : model.params.get(block.lnScale);
        table.assign(clipZerothBias(table, scale, c));
      }
    },
  });
}

/** Adds one zero-initialised [maxTokens, d] table per MLP block and its transform; sets its weight decay. */
export function addZerothBiases(model: ModelView, options: ZerothBiasOptions = {}): void {
  const { placement, weightDecay } = parseOptions(schema, options, { plugin: PLUGIN });
  for (const block of model.mlpBlocks) {
    const name = zerothBiasName(block.index);
    const zeros = tf.zeros([model.maxTokens, block.d]);
    let table: tf.Variable;
    try {
      table = model.addParam(name, zeros, true);
    } finally {
      zeros.dispose();
    }
    if (weightDecay !== undefined) model.setParamOptions(name, { weightDecay });
    model.addMlpTransform(block.index, placement, addTableRows(table, block.index));
  }
}

/**
 * mean |b| and the fraction of entries at the clip bound (|b| >= c |gamma_j| up to a relative 1e-5) of
 * one [T, d] table, as scalar tensors: how far M1's biases have grown, and how many the projection holds.
 */
export function zerothBiasStatsOf(table: tf.Tensor, lnScale: tf.Tensor | undefined, c: number): { meanAbs: tf.Scalar; atBound: tf.Scalar } {
  return tf.tidy(() => {
    const bound = lnScale === undefined ? tf.scalar(c) : tf.mul(tf.abs(lnScale), c);
    const magnitude = tf.abs(table);
    // |b| >= bound (1 - 1e-5)  <=>  1 - step(bound (1 - 1e-5) - |b|)
    return { meanAbs: tf.mean(magnitude) as tf.Scalar, atBound: tf.mean(tf.sub(1, tf.step(tf.sub(tf.mul(bound, 1 - 1e-5), magnitude)))) as tf.Scalar };
  });
}

/** The diagnostic metric 'zeroth-bias' of a plugin instance: { meanAbs, atBound } per block, from the tables the plugin added. */
function zerothBiasMetric(c: number, model: () => ModelView | undefined): SparsityMetric {
  return Object.freeze({
    name: 'zeroth-bias',
    compute: (capture: MlpCapture) => {
      const view = model();
      const table = view?.params.get(zerothBiasName(capture.block.index));
      if (view === undefined || table === undefined) {
        throw new PluginError(PLUGIN, 'compute', undefined, new Error(`no zeroth-bias table for block ${capture.block.index}`), "measure 'zeroth-bias' only in a pipeline with the plugin 'zeroth-bias' (its 'modelBuilt' hook adds the tables).");
      }
      const scale = capture.block.lnScale === undefined ? undefined : view.params.get(capture.block.lnScale);
      return zerothBiasStatsOf(table, scale, c);
    },
  });
}

/**
 * Plugin 'zeroth-bias' (M1, "DB-MLP"): in 'modelBuilt', one trainable table b [maxTokens, d] per MLP
 * block, zero-initialised, added to the MLP input (x_t = LN(h_t) + b_t) or output; token position t
 * uses row t. Contributes the regularizer 'zeroth-bias' that clips b to c |gamma| after every step, and
 * the diagnostic metric 'zeroth-bias' (mean |b| and the fraction at the bound, per layer).
 */
export function zerothBias(options: ZerothBiasOptions = {}): Plugin {
  const regularizer = zerothBiasRegularizer(options);
  const { c } = parseOptions(schema, options, { plugin: PLUGIN });
  let model: ModelView | undefined;
  return {
    name: PLUGIN,
    version: BUILTIN_PLUGIN_VERSION,
    apiVersion: BUILTIN_API_RANGE,
    // Clip against the final gamma of the step: after M2 has projected it.
    order: { after: ['restricted-layer-norm'] },
    contributes: { regularizers: [regularizer], metrics: [zerothBiasMetric(c, () => model)] },
    hooks: {
      modelBuilt: ({ model: view }) => {
        model = view;
        addZerothBiases(view, options);
      },
    },
  };
}
