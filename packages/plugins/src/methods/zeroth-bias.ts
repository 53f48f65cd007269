import { ModelConfigError, ShapeError, type ModelView, type MlpTransform, type Plugin, type Regularizer } from '@flatsparse/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { parseOptions } from '../options.js';
import { BUILTIN_API_RANGE, BUILTIN_PLUGIN_VERSION } from '../plugin-meta.js';

/** Options of the zeroth biases (M1). */
export interface ZerothBiasOptions {
  /** Clipping factor: |b_{t,j}| <= c |gamma_j| after every step (default 0.1; c itself without a LayerNorm scale). */
  readonly c?: number;
  /** 'input' (default): x_t = LN(h_t) + b_t, as the paper states; 'output': added to the MLP output z_t (the authors' latest code). */
  readonly placement?: 'input' | 'output';
  /** Decoupled weight decay of the tables (default 0: none, as in the C4 runs; the ImageNet runs decay them). */
  readonly weightDecay?: number;
}

const PLUGIN = 'zeroth-bias';
const schema = z.strictObject({
  c: z.number().positive().finite().default(0.1),
  placement: z.enum(['input', 'output']).default('input'),
  weightDecay: z.number().nonnegative().finite().default(0),
});
const EXPECTED = "{ c?: number > 0, placement?: 'input' | 'output', weightDecay?: number >= 0 }";

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
  const { c } = parseOptions(PLUGIN, schema, options, EXPECTED);
  return Object.freeze({
    name: 'zerothBias',
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
  const { placement, weightDecay } = parseOptions(PLUGIN, schema, options, EXPECTED);
  for (const block of model.mlpBlocks) {
    const name = zerothBiasName(block.index);
    const zeros = tf.zeros([model.maxTokens, block.d]);
    let table: tf.Variable;
    try {
      table = model.addParam(name, zeros, true);
    } finally {
      zeros.dispose();
    }
    model.setParamOptions(name, { weightDecay });
    model.addMlpTransform(block.index, placement, addTableRows(table, block.index));
  }
}

/**
 * Plugin 'zeroth-bias' (M1, "DB-MLP"): in 'modelBuilt', one trainable table b [maxTokens, d] per MLP
 * block, zero-initialised, added to the MLP input (x_t = LN(h_t) + b_t) or output; token position t
 * uses row t. Contributes the regularizer 'zerothBias' that clips b to c |gamma| after every step.
 */
export function zerothBias(options: ZerothBiasOptions = {}): Plugin {
  const regularizer = zerothBiasRegularizer(options);
  return {
    name: PLUGIN,
    version: BUILTIN_PLUGIN_VERSION,
    apiVersion: BUILTIN_API_RANGE,
    // Clip against the final gamma of the step: after M2 has projected it.
    order: { after: ['restricted-layer-norm'] },
    contributes: { regularizers: [regularizer] },
    hooks: { modelBuilt: ({ model }) => addZerothBiases(model, options) },
  };
}
