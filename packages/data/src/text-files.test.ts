import { ConfigError, DataError } from '@flatsparse/plugin-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textFileDataset } from './text-files.js';

describe('textFileDataset', () => {
  let dir = '';
  const text = 'The quick brown fox jumps over the lazy dog. Ünïcödé bytes: ½ → ✓. '.repeat(20);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flatsparse-text-'));
    await writeFile(join(dir, 'a.txt'), text);
    await writeFile(join(dir, 'b.txt'), 'second file\n'.repeat(30));
    await writeFile(join(dir, 'short.txt'), 'tiny');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const at = (name: string) => join(dir, name);

  it('cuts the file bytes into windows: inputs are UTF-8 bytes, targets the next bytes', async () => {
    const bytes = new TextEncoder().encode(text);
    const d = await textFileDataset({ path: at('a.txt'), seqLen: 8, stride: 5 });
    expect(d).toMatchObject({ name: 'text-files', kind: 'text', classes: 256 });
    expect(d.train.inputShape).toEqual([8]);
    const boundary = bytes.length - Math.floor(bytes.length * 0.1);
    expect(d.boundary).toBe(boundary);
    // 'all' by default: every start k*5 whose window of 9 bytes fits on its side of the boundary.
    expect(d.train.size).toBe(Math.floor((boundary - 9) / 5) + 1);
    expect(d.heldOut.size).toBe(Math.floor((bytes.length - boundary - 9) / 5) + 1);
    for (const [split, starts] of [[d.train, d.windows.train], [d.heldOut, d.windows.heldOut]] as const) {
      for (let k = 0; k < split.size; k++) {
        const s = starts[k]!;
        expect(Array.from(split.inputs.subarray(k * 8, (k + 1) * 8))).toEqual(Array.from(bytes.subarray(s, s + 8)));
        expect(Array.from(split.targets.subarray(k * 8, (k + 1) * 8))).toEqual(Array.from(bytes.subarray(s + 1, s + 9)));
      }
    }
    expect(Math.max(...d.windows.train) + 9).toBeLessThanOrEqual(Math.min(...d.windows.heldOut));
    // Held-out windows come in text order.
    expect([...d.windows.heldOut]).toEqual([...d.windows.heldOut].sort((p, q) => p - q));
  });

  it('concatenates several files in order', async () => {
    const d = await textFileDataset({ paths: [at('a.txt'), at('b.txt')], seqLen: 16, trainSize: 10, heldOutSize: 3 });
    const all = new Uint8Array([...new TextEncoder().encode(text), ...new TextEncoder().encode('second file\n'.repeat(30))]);
    expect(d.train.size).toBe(10);
    expect(d.heldOut.size).toBe(3);
    const s = d.windows.heldOut[0]!;
    expect(s).toBeGreaterThanOrEqual(all.length - Math.floor(all.length * 0.1));
    expect(Array.from(d.heldOut.inputs.subarray(0, 16))).toEqual(Array.from(all.subarray(s, s + 16)));
  });

  it('is deterministic for a seed and reorders for another', async () => {
    const a = await textFileDataset({ path: at('a.txt'), seqLen: 4, seed: 1 });
    const b = await textFileDataset({ path: at('a.txt'), seqLen: 4, seed: 1 });
    const c = await textFileDataset({ path: at('a.txt'), seqLen: 4, seed: 2 });
    expect(b.train.inputs).toEqual(a.train.inputs);
    expect(c.windows.train).not.toEqual(a.windows.train);
  });

  it('throws DataError naming the file when it is missing', async () => {
    const error = await textFileDataset({ path: at('nope.txt') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).source).toBe(at('nope.txt'));
    expect((error as DataError).message).toMatch(/does not exist/);
  });

  it('throws DataError when the text is shorter than one window, or a part holds no window', async () => {
    await expect(textFileDataset({ path: at('short.txt'), seqLen: 8 })).rejects.toThrow(/has 4 bytes, shorter than one window of seqLen \+ 1 = 9 bytes/);
    await expect(textFileDataset({ path: at('b.txt'), seqLen: 64 })).rejects.toThrow(/held-out part \(the last 36 bytes\) is shorter than one window of 65 bytes/);
    await expect(textFileDataset({ path: at('b.txt'), seqLen: 64, heldOutFraction: 0.9 })).rejects.toThrow(/training part \(the first 36 bytes\)/);
    await expect(textFileDataset({ path: at('b.txt'), seqLen: 8, trainSize: 1000 })).rejects.toThrow(DataError);
  });

  it('throws ConfigError for neither or both of path and paths', async () => {
    for (const options of [{}, { path: at('a.txt'), paths: [at('b.txt')] }]) {
      const error = await textFileDataset(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).path).toBe('path');
    }
  });
});
