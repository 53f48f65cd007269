import { parseOptions, Rng, type Dataset } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { makeSplit } from './make-split.js';

/** Options of syntheticImageDataset (validated; unknown keys are rejected). */
export const syntheticImageOptionsSchema = z
  .object({
    classes: z.number().int().min(2).max(1000).default(10),
    imageSize: z.number().int().min(2).max(256).default(12),
    channels: z.number().int().min(1).max(4).default(1),
    trainSize: z.number().int().min(1).default(2000),
    heldOutSize: z.number().int().min(1).default(500),
    noise: z.number().min(0).default(0.5),
    mix: z.number().min(0).max(0.5).default(0.35),
    seed: z.number().int().default(0),
  })
  .strict();

/** Options of syntheticImageDataset as a user writes them (every key optional). */
export type SyntheticImageOptions = z.input<typeof syntheticImageOptionsSchema>;

/** A synthetic image data set that also exposes the class prototypes it was drawn from. */
export interface SyntheticImageDataset extends Dataset {
  /** One prototype image per class, flattened [classes, H, W, C], values in [0, 1]. */
  readonly prototypes: Float32Array;
}

/**
 * Image classification drawn from class prototypes: each class has a smooth random pattern (a 4x4
 * grid of uniform values, bilinearly upsampled); an example blends its class prototype with a random
 * other one (other weight uniform in [0, mix]), adds Gaussian pixel noise of std `noise`, and clips
 * to [0, 1]. Learnable, but with defaults not perfectly separable. Fully determined by the seed.
 */
export function syntheticImageDataset(options: SyntheticImageOptions = {}, path = ''): SyntheticImageDataset {
  const o = parseOptions(syntheticImageOptionsSchema, options, { path: path, fix: 'See the synthetic-image card in the @flatsparse/data README.' });
  const rng = new Rng(o.seed);
  const protoRng = rng.fork();
  const trainRng = rng.fork();
  const heldRng = rng.fork();
  const pixels = o.imageSize * o.imageSize * o.channels;
  const prototypes = new Float32Array(o.classes * pixels);
  for (let c = 0; c < o.classes; c++) prototypes.set(smoothPattern(protoRng, o.imageSize, o.channels), c * pixels);
  const draw = (n: number, r: Rng) => {
    const labels = r.shuffle(Array.from({ length: n }, (_, i) => i % o.classes));
    const inputs = new Float32Array(n * pixels);
    labels.forEach((label, k) => {
      const other = (label + 1 + r.int(o.classes - 1)) % o.classes;
      const w = r.uniform() * o.mix;
      for (let p = 0; p < pixels; p++) {
        const v = (1 - w) * prototypes[label * pixels + p]! + w * prototypes[other * pixels + p]! + o.noise * r.normal();
        inputs[k * pixels + p] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    });
    return makeSplit(inputs, [o.imageSize, o.imageSize, o.channels], Int32Array.from(labels), []);
  };
  return {
    name: 'synthetic-image',
    kind: 'image',
    classes: o.classes,
    train: draw(o.trainSize, trainRng),
    heldOut: draw(o.heldOutSize, heldRng),
    source: `generated: ${o.classes} class prototypes ${o.imageSize}x${o.imageSize}x${o.channels}, noise ${o.noise}, mix ${o.mix}, seed ${o.seed}`,
    prototypes,
  };
}

/** A smooth pattern in [0, 1]: a 4x4 grid of uniforms per channel, bilinearly upsampled to size x size. */
function smoothPattern(rng: Rng, size: number, channels: number): Float32Array {
  const g = 4;
  const grid = rng.fill(g * g * channels, (r) => r.uniform());
  const out = new Float32Array(size * size * channels);
  for (let y = 0; y < size; y++) {
    const gy = (y / (size - 1)) * (g - 1);
    const y0 = Math.min(Math.floor(gy), g - 2);
    const fy = gy - y0;
    for (let x = 0; x < size; x++) {
      const gx = (x / (size - 1)) * (g - 1);
      const x0 = Math.min(Math.floor(gx), g - 2);
      const fx = gx - x0;
      for (let c = 0; c < channels; c++) {
        const at = (yy: number, xx: number) => grid[(yy * g + xx) * channels + c]!;
        const top = (1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1);
        const bottom = (1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1);
        out[(y * size + x) * channels + c] = (1 - fy) * top + fy * bottom;
      }
    }
  }
  return out;
}
