import { webgpuBackend } from '@flatsparse/backend-webgpu';
import { registerGradients } from '@flatsparse/core';
import { countTensors } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstDifference, registerCpu, runOn } from '../support/cpu-reference.js';

// flatsparse's corrections of tfjs-backend-webgpu 4.22's kernels (packages/backend-webgpu/src/kernel-overrides.ts),
// each against tfjs-backend-cpu on the same inputs. Every case fails with the upstream kernels on
// SwiftShader (NaN dropped, a scan read past its row, a shader that does not compile).
const backend = webgpuBackend({ allowSoftware: true });
const availability = await safeAvailability(backend);
if (!availability.available) console.warn(`[skip] backend 'webgpu' is not available: ${availability.reason} Fix: ${availability.fix}`);

/** Deterministic values in [lo, hi). */
function values(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

/** The same computation on webgpu and on cpu: every output agrees (NaN where cpu has NaN). */
async function agree(f: () => tf.Tensor | tf.Tensor[], atol = 1e-5, rtol = 1e-4): Promise<void> {
  const gpu = await runOn('webgpu', f);
  const cpu = await runOn('cpu', f);
  gpu.forEach((g, i) => expect(firstDifference(g, cpu[i]!, atol, rtol), `output ${i}: webgpu ${Array.from(g.slice(0, 12))} cpu ${Array.from(cpu[i]!.slice(0, 12))}`).toBeUndefined());
}

describe.skipIf(!availability.available)('webgpu kernel overrides agree with tfjs-backend-cpu', () => {
  const forward = tf.env().getFlags().WEBGPU_CPU_FORWARD;
  let tensors = 0;

  beforeAll(async () => {
    await registerCpu();
    await registerGradients(); // its module hook also lets Node load the chained ops prod's gradient calls (x.reshape)
    await import('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js');
    await backend.init();
    tensors = countTensors();
  });
  afterAll(async () => {
    tf.env().set('WEBGPU_CPU_FORWARD', forward ?? true);
    expect(countTensors()).toBe(tensors);
    await backend.dispose();
  });

  for (const gpuOnly of [true, false]) {
    describe(gpuOnly ? 'every op on the GPU (as tfjs tests webgpu)' : "with tfjs' CPU hand-off of small inputs (the default)", () => {
      beforeAll(() => tf.env().set('WEBGPU_CPU_FORWARD', !gpuOnly));

      const special = [NaN, -Infinity, -3, -1, -0.5, 0, 0.25, 0.5, 1, 1.5, 3, 10, Infinity, NaN];
      for (const op of ['acosh', 'asinh', 'atanh', 'log', 'sigmoid'] as const) {
        it(`${op}: NaN in, NaN out; the same values as cpu elsewhere`, async () => {
          await agree(() => (tf[op] as (x: tf.Tensor) => tf.Tensor)(tf.tensor1d(special)));
          const many = values(3000, op.length, -4, 4).map((v, i) => (i % 97 === 5 ? NaN : v));
          await agree(() => (tf[op] as (x: tf.Tensor) => tf.Tensor)(tf.tensor2d(many, [30, 100])));
        });
      }

      it('softmax: a row holding NaN is NaN; other rows as on cpu (rows of 3, 100 and 5000 values)', async () => {
        const rows = (cols: number, seed: number) => values(3 * cols, seed, -5, 5).map((v, i) => (i === cols + 1 ? NaN : v));
        await agree(() => tf.softmax(tf.tensor1d([2, 1, NaN])));
        for (const [cols, seed] of [
          [3, 1],
          [100, 2],
          [5000, 3],
        ] as const)
          await agree(() => tf.softmax(tf.tensor2d(rows(cols, seed), [3, cols])));
        await agree(() => tf.softmax(tf.tensor3d(values(2 * 3 * 7, 4, -3, 3), [2, 3, 7])));
      });
    });
  }

  describe('cumsum and cumprod', () => {
    beforeAll(() => tf.env().set('WEBGPU_CPU_FORWARD', false));

    it('scans of different lengths one after another (upstream reused the shader of the first length)', async () => {
      for (const n of [4, 3, 5, 1, 2, 8, 9, 17, 4])
        for (const [exclusive, reverse] of [
          [false, false],
          [false, true],
          [true, false],
          [true, true],
        ] as const) {
          await agree(() => tf.cumsum(tf.tensor1d(values(n, n)), 0, exclusive, reverse));
          await agree(() => tf.cumprod(tf.tensor1d(values(n, n + 1, 0.5, 1.5)), 0, exclusive, reverse));
        }
    });

    it('along every axis of 2-D and 3-D tensors', async () => {
      for (const axis of [0, 1]) await agree(() => [tf.cumsum(tf.tensor2d(values(12, 7), [3, 4]), axis), tf.cumprod(tf.tensor2d(values(12, 8, 0.5, 1.5), [3, 4]), axis, true, true)]);
      for (const axis of [0, 1, 2]) await agree(() => [tf.cumsum(tf.tensor3d(values(60, 9), [3, 4, 5]), axis, false, true), tf.cumprod(tf.tensor3d(values(60, 10, 0.5, 1.5), [3, 4, 5]), axis, true)]);
    });

    it('cumsum gradients (a reverse scan)', async () => {
      await agree(() => tf.grad((x: tf.Tensor) => tf.cumsum(x))(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([4, 5, 6, 7])));
      await agree(() => tf.grad((x: tf.Tensor) => tf.cumsum(x))(tf.tensor1d([1, 2, 3]), tf.tensor1d([4, 5, 6])));
      await agree(() => tf.grad((x: tf.Tensor) => tf.cumsum(x, 1, true, true))(tf.tensor2d(values(15, 11), [3, 5]), tf.tensor2d(values(15, 12), [3, 5])));
      await agree(() => tf.grad((x: tf.Tensor) => tf.cumsum(x, 0, false, true))(tf.tensor2d(values(9, 13), [3, 3]), tf.tensor2d(values(9, 14), [3, 3])));
    });

    it('prod gradients (two exclusive cumprods), with zeros, over one axis and several', async () => {
      await agree(() => tf.grad((x: tf.Tensor) => tf.prod(x))(tf.tensor1d([1, 2, 3, 4]), tf.scalar(2)));
      await agree(() => tf.grad((x: tf.Tensor) => tf.prod(x))(tf.tensor1d([0, 2, 3, 0, 5, 6]), tf.scalar(1)));
      await agree(() => tf.grad((x: tf.Tensor) => tf.prod(x, 0))(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor1d([1, 2, 3])));
      await agree(() => tf.grad((x: tf.Tensor) => tf.prod(x, 1))(tf.tensor2d([1, 2, 0, 4, 5, 6, 7, 8], [2, 4]), tf.tensor1d([3, 4])));
      await agree(() => tf.grad((x: tf.Tensor) => tf.prod(x, [1, 2]))(tf.tensor3d(values(24, 15, 0.5, 1.5), [2, 3, 4]), tf.tensor1d([1, -1])));
    });
  });

  describe('kernels tfjs-backend-webgpu lacks', () => {
    it('bitwiseAnd of int32 tensors, on their 32-bit values', async () => {
      const a = [0, 5, 3, 14, -1, 65535, -65536, 12345, 1 << 20, 7];
      const b = [5, 0, 7, 11, 255, 4095, -1, -12345, (1 << 20) | 3, -8];
      await agree(() => tf.bitwiseAnd(tf.tensor1d(a, 'int32'), tf.tensor1d(b, 'int32')), 0, 0);
      await agree(() => tf.bitwiseAnd(tf.tensor2d(a, [2, 5], 'int32'), tf.tensor2d(b, [2, 5], 'int32')), 0, 0);
    });

    it('tf.image.nonMaxSuppressionPadded (NonMaxSuppressionV4), padded or not, with a score threshold', async () => {
      const boxes = [0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, -0.1, 1, 0.9, 0, 10, 1, 11, 0, 10.1, 1, 11.1, 0, 100, 1, 101];
      const scores = [0.9, 0.75, 0.6, 0.95, 0.5, 0.3];
      for (const [max, threshold, pad] of [
        [5, 0, true],
        [5, 0.4, true],
        [2, 0, false],
      ] as const) {
        await agree(() => {
          const r = tf.image.nonMaxSuppressionPadded(tf.tensor2d(boxes, [6, 4]), tf.tensor1d(scores), max, 0.5, threshold, pad);
          return [r.selectedIndices!, r.validOutputs!];
        }, 0, 0);
      }
    });
  });

  it('tf.browser.fromPixels of a canvas-like object that is no DOM canvas (as Node canvas packages make), 3 and 4 channels', async () => {
    const canvas = {
      width: 3,
      height: 2,
      getContext: () => ({ getImageData: (_x: number, _y: number, w: number, h: number) => ({ data: Uint8ClampedArray.from({ length: w * h * 4 }, (_, i) => (i * 37) % 256) }) }),
    };
    for (const channels of [3, 4]) await agree(() => tf.browser.fromPixels(canvas as unknown as HTMLCanvasElement, channels), 0, 0);
  });

  describe('bincount', () => {
    beforeAll(() => tf.env().set('WEBGPU_CPU_FORWARD', false));

    it('of an x of rank 3, with and without weights (upstream: a shader that does not compile)', async () => {
      // tf.bincount is typed for rank 1 but takes any rank (tf.image.threshold passes a 3-D image)
      const x = values(24, 16, 0, 6).map(Math.floor);
      const w = values(24, 17, 0, 2);
      const bincount = tf.bincount as (x: tf.Tensor, weights: tf.Tensor, size: number) => tf.Tensor;
      await agree(() => bincount(tf.tensor3d(x, [2, 3, 4], 'int32'), tf.tensor1d([]), 5));
      await agree(() => bincount(tf.tensor3d(x, [2, 3, 4], 'int32'), tf.tensor3d(w, [2, 3, 4]), 4));
      await agree(() => tf.bincount(tf.tensor1d([1, 1, 1, 2], 'int32'), tf.tensor1d([0.5, 0.3, 0.3, 0.1]), 3));
    });

    it("tf.image.threshold's 'otsu' method (it counts a 3-D image)", async () => {
      const image = values(8 * 8 * 3, 18, 0, 255);
      await agree(() => tf.image.threshold(tf.tensor3d(image, [8, 8, 3]), 'otsu'));
      await agree(() => tf.image.threshold(tf.tensor3d(image, [8, 8, 3]), 'otsu', true));
    });
  });
});
