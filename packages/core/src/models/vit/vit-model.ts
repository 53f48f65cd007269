import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@flatsparse/plugin-api';
import { embedPatches } from '../embeddings.js';
import { linear } from '../linear.js';
import { parseVitConfig, type VitConfig, type VitConfigInput } from './vit-config.js';
import { TransformerModel, type ModelOptions } from '../transformer-model.js';

/**
 * Vision Transformer: images [B, H, W, C] float32 -> logits [B, classes]. Non-overlapping P x P
 * patches embedded to d, a learned class token, learned positions (T = 1 + (H/P)(W/P) tokens),
 * `depth` pre-LN blocks, a final LayerNorm and a linear head on the class token.
 */
export class VitModel extends TransformerModel<VitConfig> {
  /** Tokens per image: the class token plus one per patch. */
  readonly maxTokens: number;
  protected readonly causal = false;

  /** Validates the config (ModelConfigError naming the key) and initialises every parameter from the seed. */
  constructor(config: VitConfigInput, options: ModelOptions) {
    const parsed = parseVitConfig(config);
    super('vit', parsed, options);
    const { imageSize, patch, channels, d, classes, initStd: std } = parsed;
    this.maxTokens = 1 + (imageSize[0] / patch) * (imageSize[1] / patch);
    const normal = { kind: 'normal', std } as const;
    this.createDense('embed.patch', patch * patch * channels, d);
    this.store.create('embed.cls', [d], normal);
    this.store.create('embed.pos', [this.maxTokens, d], normal);
    this.createStack();
    this.createDense('head', d, classes);
  }

  protected checkInputs(inputs: tf.Tensor): [number, number] {
    const [height, width] = this.config.imageSize;
    const expected = `[B, ${height}, ${width}, ${this.config.channels}] float32 images (B >= 1)`;
    const fix = 'resize the images to config.imageSize with config.channels channels (NHWC order) and cast them to float32.';
    const [batch, h, w, c] = inputs.shape;
    if (inputs.rank !== 4 || h !== height || w !== width || c !== this.config.channels || !(batch! >= 1)) throw new ShapeError('ViT inputs', inputs.shape, expected, fix);
    if (inputs.dtype !== 'float32') throw new ShapeError(`ViT inputs (dtype ${inputs.dtype})`, inputs.shape, expected, fix);
    return [batch!, this.maxTokens];
  }

  protected embed(inputs: tf.Tensor): tf.Tensor {
    const p = this.store;
    return embedPatches(inputs, this.config.patch, { weight: p.get('embed.patch.weight'), bias: p.get('embed.patch.bias'), cls: p.get('embed.cls'), pos: p.get('embed.pos') });
  }

  protected head(h: tf.Tensor): tf.Tensor {
    const [batch, , d] = h.shape as [number, number, number];
    const cls = tf.reshape(tf.slice(h, [0, 0, 0], [batch, 1, d]), [batch, d]);
    return linear(cls, this.store.get('head.weight'), this.store.get('head.bias'));
  }
}

/** Builds a ViT from a config (validated with zod; inconsistent configs throw ModelConfigError). */
export function createVit(config: VitConfigInput, options: ModelOptions): VitModel {
  return new VitModel(config, options);
}
