import { describe, expect, it } from 'vitest';
import { shiftImages, shiftOf } from './augment.js';

describe('training-image shifts', () => {
  it('shift every image by its own offset with zero fill, as a plain per-pixel loop does', () => {
    const [B, H, W, C] = [5, 6, 7, 2];
    const images = Float32Array.from({ length: B * H * W * C }, (_, i) => (i % 97) + 1);
    const out = shiftImages(images, [B, H, W, C], { shift: 2 }, 11, 3);
    for (let b = 0; b < B; b++) {
      const [dy, dx] = shiftOf(11, 3, b, 2);
      expect(Math.abs(dy)).toBeLessThanOrEqual(2);
      expect(Math.abs(dx)).toBeLessThanOrEqual(2);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++)
          for (let c = 0; c < C; c++) {
            const [sy, sx] = [y - dy, x - dx];
            const want = sy < 0 || sy >= H || sx < 0 || sx >= W ? 0 : images[((b * H + sy) * W + sx) * C + c]!;
            expect(out[((b * H + y) * W + x) * C + c]).toBe(want);
          }
    }
  });

  it('depend only on (seed, step, row): the same images on a resumed run, other offsets at other steps', () => {
    expect(shiftOf(4, 100, 7, 3)).toEqual(shiftOf(4, 100, 7, 3));
    const offsets = new Set(Array.from({ length: 200 }, (_, step) => shiftOf(4, step, 0, 2).join(',')));
    expect(offsets.size).toBe(25); // every offset in [-2, 2]^2 occurs
    expect(shiftOf(1, 1, 1, 0)).toEqual([0, 0]);
  });
});
