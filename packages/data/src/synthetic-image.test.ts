import { ConfigError, type DataSplit } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { syntheticImageDataset } from './synthetic-image.js';

/** Held-out accuracy of a nearest-class-mean classifier whose means are estimated from the training split. */
function nearestMeanAccuracy(train: DataSplit, heldOut: DataSplit, classes: number): number {
  const P = train.inputs.length / train.size;
  const means = new Float64Array(classes * P);
  const counts = new Float64Array(classes);
  for (let i = 0; i < train.size; i++) {
    const y = train.targets[i]!;
    counts[y]!++;
    for (let p = 0; p < P; p++) means[y * P + p]! += train.inputs[i * P + p]!;
  }
  for (let k = 0; k < classes; k++) for (let p = 0; p < P; p++) means[k * P + p]! /= counts[k]!;
  let correct = 0;
  for (let i = 0; i < heldOut.size; i++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let k = 0; k < classes; k++) {
      let d = 0;
      for (let p = 0; p < P; p++) d += (heldOut.inputs[i * P + p]! - means[k * P + p]!) ** 2;
      if (d < bestDistance) [best, bestDistance] = [k, d];
    }
    if (best === heldOut.targets[i]) correct++;
  }
  return correct / heldOut.size;
}

describe('syntheticImageDataset', () => {
  it('serves images in [0, 1] of the asked shape, with balanced labels in range', () => {
    const d = syntheticImageDataset({ classes: 5, imageSize: 6, channels: 3, trainSize: 100, heldOutSize: 40, seed: 2 });
    expect(d).toMatchObject({ name: 'synthetic-image', kind: 'image', classes: 5 });
    expect(d.train.inputShape).toEqual([6, 6, 3]);
    expect(d.train.targetShape).toEqual([]);
    expect(d.train.inputs.length).toBe(100 * 108);
    expect(d.heldOut.size).toBe(40);
    expect(d.prototypes.length).toBe(5 * 108);
    for (const split of [d.train, d.heldOut]) {
      expect(split.inputs.every((v) => v >= 0 && v <= 1)).toBe(true);
      const counts = [0, 0, 0, 0, 0];
      for (const y of split.targets) counts[y]!++;
      expect(counts).toEqual(Array(5).fill(split.size / 5));
    }
    expect(d.prototypes.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('is fully determined by its seed, and the held-out split does not depend on trainSize', () => {
    const a = syntheticImageDataset({ trainSize: 50, heldOutSize: 20, seed: 4 });
    const b = syntheticImageDataset({ trainSize: 50, heldOutSize: 20, seed: 4 });
    const c = syntheticImageDataset({ trainSize: 50, heldOutSize: 20, seed: 5 });
    const bigger = syntheticImageDataset({ trainSize: 80, heldOutSize: 20, seed: 4 });
    expect(b.train.inputs).toEqual(a.train.inputs);
    expect(b.heldOut.targets).toEqual(a.heldOut.targets);
    expect(c.train.inputs).not.toEqual(a.train.inputs);
    expect(c.train.targets).not.toEqual(a.train.targets);
    expect(bigger.heldOut.inputs).toEqual(a.heldOut.inputs);
  });

  it('is learnable but not trivial: nearest class mean beats chance (10%) widely, yet is not perfect', () => {
    const d = syntheticImageDataset({ trainSize: 1000, heldOutSize: 300, seed: 1 });
    const accuracy = nearestMeanAccuracy(d.train, d.heldOut, d.classes);
    expect(accuracy).toBeGreaterThan(0.6);
    expect(accuracy).toBeLessThan(0.99);
    // More pixel noise makes it harder.
    const noisy = syntheticImageDataset({ trainSize: 1000, heldOutSize: 300, seed: 1, noise: 1.2 });
    expect(nearestMeanAccuracy(noisy.train, noisy.heldOut, noisy.classes)).toBeLessThan(accuracy);
  });

  it('has no two identical examples across the splits', () => {
    const d = syntheticImageDataset({ imageSize: 4, trainSize: 200, heldOutSize: 100 });
    const key = (s: DataSplit, k: number) => Array.from(s.inputs.subarray(k * 16, (k + 1) * 16)).join(',');
    const train = new Set(Array.from({ length: d.train.size }, (_, k) => key(d.train, k)));
    for (let k = 0; k < d.heldOut.size; k++) expect(train.has(key(d.heldOut, k))).toBe(false);
  });

  it('rejects bad options with a ConfigError at the key', () => {
    expect(() => syntheticImageDataset({ classes: 1 })).toThrow(ConfigError);
    try {
      syntheticImageDataset({ noise: -1 });
    } catch (e) {
      expect((e as ConfigError).path).toBe('noise');
    }
    expect.assertions(2);
  });
});
