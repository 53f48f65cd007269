import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@flatsparse/plugin-api';
import { embedTokens } from '../embeddings.js';
import { linear, matMulTransposed } from '../linear.js';
import { parseGptConfig, type GptConfig, type GptConfigInput } from './gpt-config.js';
import { TransformerModel, type ModelOptions } from '../transformer-model.js';

/**
 * Decoder-only language model: token ids [B, T] int32 (T <= seqLen) -> logits [B, T, vocab]. Token
 * embedding plus learned positions, `depth` pre-LN blocks with causal attention, a final LayerNorm and
 * a head tied to the token embedding (default) or a separate 'head.weight' [d, vocab].
 */
export class GptModel extends TransformerModel<GptConfig> {
  /** Longest sequence accepted: config.seqLen. */
  readonly maxTokens: number;
  protected readonly causal = true;

  /** Validates the config (ModelConfigError naming the key) and initialises every parameter from the seed. */
  constructor(config: GptConfigInput, options: ModelOptions) {
    const parsed = parseGptConfig(config);
    super('gpt', parsed, options);
    const { vocab, seqLen, d, initStd: std } = parsed;
    this.maxTokens = seqLen;
    const normal = { kind: 'normal', std } as const;
    this.store.create('embed.token', [vocab, d], normal);
    this.store.create('embed.pos', [seqLen, d], normal);
    this.createStack();
    if (!parsed.tiedHead) this.createWeight('head.weight', d, vocab);
  }

  protected checkInputs(inputs: tf.Tensor): [number, number] {
    const { seqLen } = this.config;
    const expected = `[B, T] int32 token ids with B >= 1 and 1 <= T <= seqLen (${seqLen})`;
    const [batch, tokens] = inputs.shape;
    if (inputs.rank !== 2 || !(batch! >= 1) || !(tokens! >= 1)) {
      throw new ShapeError('GPT inputs', inputs.shape, expected, 'pass a [batch, tokens] tensor of token ids.');
    }
    if (tokens! > seqLen) {
      throw new ShapeError(`GPT inputs (a sequence of ${tokens} tokens, longer than maxTokens = seqLen = ${seqLen})`, inputs.shape, expected, `split or truncate sequences to at most ${seqLen} tokens, or build the model with a larger seqLen.`);
    }
    if (inputs.dtype !== 'int32') throw new ShapeError(`GPT inputs (dtype ${inputs.dtype})`, inputs.shape, expected, "cast the token ids to int32 (tf.cast(ids, 'int32')).");
    return [batch!, tokens!];
  }

  protected embed(inputs: tf.Tensor): tf.Tensor {
    return embedTokens(inputs, this.store.get('embed.token'), this.store.get('embed.pos'));
  }

  protected head(h: tf.Tensor): tf.Tensor {
    const [batch, tokens, d] = h.shape as [number, number, number];
    const flat = tf.reshape(h, [batch * tokens, d]);
    const logits = this.config.tiedHead ? matMulTransposed(flat, this.store.get('embed.token')) : linear(flat, this.store.get('head.weight'));
    return tf.reshape(logits, [batch, tokens, this.config.vocab]);
  }
}

/** Builds a GPT from a config (validated with zod; inconsistent configs throw ModelConfigError). */
export function createGpt(config: GptConfigInput, options: ModelOptions): GptModel {
  return new GptModel(config, options);
}
