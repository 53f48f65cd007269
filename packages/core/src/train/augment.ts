import { z } from 'zod';

/**
 * Augmentation of training images: every example of every training batch shifted by a random whole
 * number of pixels in [-shift, shift] along each axis, with zeros filling what moves in (the authors'
 * ViT recipe augments heavily; this is the simplest form that fits 28x28 digits). The offsets come from
 * a hash of (seed, step, row), not from a generator with state, so a resumed run sees the same images
 * as an uninterrupted one. Held-out data is never augmented.
 */
export interface AugmentOptions {
  /** Largest shift in pixels along each axis (0: none). */
  readonly shift: number;
}

/** Schema of `train.augment` (shared by the trainer options and the config file). */
export const augmentSchema = z.object({ shift: z.number().int().min(0).max(64) }).strict();

/** A 32-bit mix of three integers (splitmix-style), uniform enough for choosing offsets. */
function mix(a: number, b: number, c: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35) ^ Math.imul(c ^ 0x165667b1, 0x27d4eb2f)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The (dy, dx) offsets of row `row` of the batch of step `step`. */
export function shiftOf(seed: number, step: number, row: number, shift: number): [number, number] {
  if (shift === 0) return [0, 0];
  const span = 2 * shift + 1;
  return [(mix(seed, step, 2 * row) % span) - shift, (mix(seed, step, 2 * row + 1) % span) - shift];
}

/**
 * Shifts images [B, H, W, C] (row-major, in place of a copy: returns a new array) by the offsets of
 * `shiftOf`: out[b, y, x, c] = in[b, y - dy, x - dx, c], 0 outside the image.
 */
export function shiftImages(images: Float32Array, shape: readonly [number, number, number, number], options: AugmentOptions, seed: number, step: number): Float32Array {
  const [batch, height, width, channels] = shape;
  const out = new Float32Array(images.length);
  const pixel = channels;
  const rowSize = width * channels;
  const imageSize = height * rowSize;
  for (let b = 0; b < batch; b++) {
    const [dy, dx] = shiftOf(seed, step, b, options.shift);
    const base = b * imageSize;
    for (let y = 0; y < height; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= height) continue;
      const x0 = Math.max(0, dx);
      const x1 = Math.min(width, width + dx);
      if (x1 <= x0) continue;
      out.set(images.subarray(base + sy * rowSize + (x0 - dx) * pixel, base + sy * rowSize + (x1 - dx) * pixel), base + y * rowSize + x0 * pixel);
    }
  }
  return out;
}
