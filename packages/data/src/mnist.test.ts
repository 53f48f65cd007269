import { DataError } from '@flatsparse/plugin-api';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadMnistDigits, mnistDataset } from './mnist.js';

const PIXELS = 784;

/** The package's own documented API (mnist[d].length, mnist[d].raw), read independently of our loader. */
interface MnistDigit {
  readonly length: number;
  readonly raw: readonly number[];
}

/** A hash of an image's pixels rounded to 3 decimals (the package stores 3 decimals): equal images, equal keys. */
function imageKey(pixels: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < pixels.length; i++) h = Math.imul(h ^ Math.round(pixels[i]! * 1000), 0x01000193) >>> 0;
  return h;
}

/** Exact equality of two typed arrays (byte for byte), cheaper than a deep toEqual on large arrays. */
function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

// Loading parses the package's ~21 MB of JSON once (about half a second); every test below uses small subsets.
describe('mnistDataset', () => {
  it('serves [28, 28, 1] float images in [0, 1] and labels 0-9, in the sizes asked for', async () => {
    const d = await mnistDataset({ trainSize: 200, heldOutSize: 100, seed: 1 });
    expect(d).toMatchObject({ name: 'mnist', kind: 'image', classes: 10 });
    expect(d.source).toMatch(/mnist@1\.1\.0.*MIT/);
    for (const [split, n] of [[d.train, 200], [d.heldOut, 100]] as const) {
      expect(split.size).toBe(n);
      expect(split.inputShape).toEqual([28, 28, 1]);
      expect(split.targetShape).toEqual([]);
      expect(split.inputs).toBeInstanceOf(Float32Array);
      expect(split.inputs.length).toBe(n * PIXELS);
      expect(split.targets.length).toBe(n);
      expect(split.inputs.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(split.targets.every((v) => Number.isInteger(v) && v >= 0 && v <= 9)).toBe(true);
      expect(split.inputs.some((v) => v > 0.5)).toBe(true);
    }
    // 200 random digits from 10 roughly balanced classes: every class appears.
    expect(new Set(d.train.targets).size).toBe(10);
  });

  it('ships 10,000 digits, and every served image and label matches the package read through its own API', async () => {
    const digits = await loadMnistDigits();
    expect(digits.count).toBe(10_000);
    const mnist = createRequire(import.meta.url)('mnist') as MnistDigit[];
    expect(mnist.reduce((n, digit) => n + digit.length, 0)).toBe(digits.count);
    const byLabel = mnist.map((digit) => {
      const keys = new Set<number>();
      for (let i = 0; i < digit.length; i++) keys.add(imageKey(digit.raw.slice(i * PIXELS, (i + 1) * PIXELS)));
      return keys;
    });
    const d = await mnistDataset({ trainSize: 30, heldOutSize: 30, seed: 5 });
    for (const split of [d.train, d.heldOut]) {
      for (let k = 0; k < split.size; k++) {
        const key = imageKey(split.inputs.subarray(k * PIXELS, (k + 1) * PIXELS));
        expect(byLabel[split.targets[k]!]!.has(key)).toBe(true);
      }
    }
  });

  it('is deterministic for a seed, reorders for another seed, and never shares an image between splits', async () => {
    const a = await mnistDataset({ trainSize: 300, heldOutSize: 200, seed: 3 });
    const b = await mnistDataset({ trainSize: 300, heldOutSize: 200, seed: 3 });
    const c = await mnistDataset({ trainSize: 300, heldOutSize: 200, seed: 4 });
    expect(same(b.train.inputs, a.train.inputs)).toBe(true);
    expect(same(b.train.targets, a.train.targets)).toBe(true);
    expect(same(b.heldOut.inputs, a.heldOut.inputs)).toBe(true);
    expect(same(c.train.targets, a.train.targets)).toBe(false);
    const trainKeys = new Set<number>();
    for (let k = 0; k < a.train.size; k++) trainKeys.add(imageKey(a.train.inputs.subarray(k * PIXELS, (k + 1) * PIXELS)));
    for (let k = 0; k < a.heldOut.size; k++) expect(trainKeys.has(imageKey(a.heldOut.inputs.subarray(k * PIXELS, (k + 1) * PIXELS)))).toBe(false);
  });

  it('keeps the held-out split fixed when only trainSize changes', async () => {
    const small = await mnistDataset({ trainSize: 50, heldOutSize: 40, seed: 9 });
    const large = await mnistDataset({ trainSize: 150, heldOutSize: 40, seed: 9 });
    expect(same(large.heldOut.inputs, small.heldOut.inputs)).toBe(true);
    expect(same(large.train.inputs.subarray(0, 50 * PIXELS), small.train.inputs)).toBe(true);
  });

  it('throws DataError when asked for more digits than the package ships', async () => {
    await expect(mnistDataset({ trainSize: 9500, heldOutSize: 600 })).rejects.toThrow(DataError);
    await expect(mnistDataset({ trainSize: 9500, heldOutSize: 600 })).rejects.toThrow(/only 10000 exist/);
  });
});
