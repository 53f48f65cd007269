import { ConfigError, DataError } from '@flatsparse/plugin-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetFromConfig } from './config.js';
import { imageArrayDataset } from './image-array.js';

/** Writes a version 1.0 .npy file by hand: magic, version, uint16 header length, padded dict, raw data. */
async function saveNpy(file: string, descr: string, shape: readonly number[], body: Uint8Array): Promise<string> {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) head[10 + i] = header.charCodeAt(i);
  await writeFile(file, Buffer.concat([head, body]));
  return file;
}

const bytesOf = (a: Float32Array | Float64Array | Int32Array | BigInt64Array) => new Uint8Array(a.buffer);

/** n <= 256 distinct 4x4 uint8 images whose first pixel is their index, and labels i % k. */
function pattern(n: number, k: number) {
  const u8 = Uint8Array.from({ length: n * 16 }, (_, j) => (j % 16 === 0 ? j / 16 : (Math.floor(j / 16) * 7 + (j % 16) * 13) % 256));
  const labels = Int32Array.from({ length: n }, (_, i) => i % k);
  return { u8, labels };
}

describe('imageArrayDataset', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flatsparse-images-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const at = (name: string) => join(dir, name);

  it('reads uint8 images [N, H, W] and int64 labels from .npy, scales to [0, 1], adds a channel axis, and splits disjointly', async () => {
    const { u8, labels } = pattern(40, 4);
    const x = await saveNpy(at('u8.npy'), '|u1', [40, 4, 4], u8);
    const y = await saveNpy(at('y64.npy'), '<i8', [40], bytesOf(BigInt64Array.from(labels, (v) => BigInt(v))));
    const d = await imageArrayDataset({ inputs: x, labels: y, heldOutSize: 10, seed: 3 });
    expect(d).toMatchObject({ name: 'npy', kind: 'image', classes: 4 });
    expect(d.train.inputShape).toEqual([4, 4, 1]);
    expect(d.train.size).toBe(30);
    expect(d.heldOut.size).toBe(10);
    // Recover each served example's original index from its first pixel, and check pixels and label.
    const seen = new Set<number>();
    for (const split of [d.train, d.heldOut]) {
      for (let k = 0; k < split.size; k++) {
        const i = Math.round(split.inputs[k * 16]! * 255);
        expect(seen.has(i)).toBe(false);
        seen.add(i);
        expect(split.targets[k]).toBe(i % 4);
        for (let p = 0; p < 16; p++) expect(split.inputs[k * 16 + p]).toBeCloseTo(u8[i * 16 + p]! / 255, 6);
      }
    }
    expect(seen.size).toBe(40);
  });

  it('reads float32 and float64 images with uint8 or int32 labels, and explicit held-out files', async () => {
    const n = 12;
    const images = Float32Array.from({ length: n * 8 }, (_, j) => (j % 9) / 8);
    const x = await saveNpy(at('f32.npy'), '<f4', [n, 2, 2, 2], bytesOf(images));
    const y = await saveNpy(at('yu8.npy'), '|u1', [n], Uint8Array.from({ length: n }, (_, i) => i % 3));
    const hx = await saveNpy(at('f64.npy'), '<f8', [5, 2, 2, 2], bytesOf(Float64Array.from({ length: 40 }, (_, j) => j / 40)));
    const hy = await saveNpy(at('yi32.npy'), '<i4', [5], bytesOf(Int32Array.from([0, 1, 2, 0, 1])));
    const d = await imageArrayDataset({ inputs: x, labels: y, heldOutInputs: hx, heldOutLabels: hy, seed: 1 });
    expect(d.classes).toBe(3);
    expect(d.train.size).toBe(n);
    expect(d.train.inputShape).toEqual([2, 2, 2]);
    expect(Array.from(d.heldOut.inputs)).toEqual(Array.from({ length: 40 }, (_, j) => Math.fround(j / 40)));
    expect(Array.from(d.heldOut.targets)).toEqual([0, 1, 2, 0, 1]);
    // Training examples are a permutation of the file's examples.
    const key = (a: Float32Array, k: number) => `${Array.from(a.subarray(k * 8, (k + 1) * 8)).join(',')}`;
    const fileKeys = Array.from({ length: n }, (_, k) => key(images, k)).sort();
    expect(Array.from({ length: n }, (_, k) => key(d.train.inputs as Float32Array, k)).sort()).toEqual(fileKeys);
  });

  it('accepts typed arrays already in memory, and is deterministic for a seed', async () => {
    const { u8, labels } = pattern(30, 3);
    const opts = { inputs: { data: u8, shape: [30, 4, 4] }, labels: { data: labels, shape: [30] }, heldOutSize: 6, trainSize: 20 };
    const a = await imageArrayDataset({ ...opts, seed: 5 });
    const b = await imageArrayDataset({ ...opts, seed: 5 });
    const c = await imageArrayDataset({ ...opts, seed: 6 });
    expect(a.name).toBe('image-array');
    expect(a.train.size).toBe(20);
    expect(b.train.inputs).toEqual(a.train.inputs);
    expect(b.heldOut.targets).toEqual(a.heldOut.targets);
    expect(c.train.inputs).not.toEqual(a.train.inputs);
  });

  it('is reachable from a config with source npy (paths only)', async () => {
    const { u8, labels } = pattern(20, 2);
    const x = await saveNpy(at('cfg-x.npy'), '|u1', [20, 4, 4], u8);
    const y = await saveNpy(at('cfg-y.npy'), '<i4', [20], bytesOf(labels));
    const d = await datasetFromConfig({ source: 'npy', inputs: x, labels: y, heldOutSize: 5 });
    expect(d.train.size + d.heldOut.size).toBe(20);
    await expect(datasetFromConfig({ source: 'npy', inputs: { data: u8, shape: [20, 4, 4] }, labels: y })).rejects.toThrow(ConfigError);
  });

  describe('errors name the file and what is wrong', () => {
    async function expectDataError(run: () => Promise<unknown>, source: string | RegExp, message: RegExp): Promise<void> {
      const error = await run().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      if (typeof source === 'string') expect((error as DataError).source).toBe(source);
      else expect((error as DataError).source).toMatch(source);
      expect((error as DataError).message).toMatch(message);
      expect((error as DataError).fix).toBeTruthy();
    }
    const u8 = () => pattern(10, 2).u8;
    const goodLabels = () => saveNpy(at('ok-y.npy'), '<i4', [10], bytesOf(pattern(10, 2).labels));

    it('missing file', async () => {
      await expectDataError(async () => imageArrayDataset({ inputs: at('missing.npy'), labels: await goodLabels() }), at('missing.npy'), /does not exist/);
    });
    it('unsupported dtype', async () => {
      const x = await saveNpy(at('i16.npy'), '<i2', [10, 4, 4], new Uint8Array(320));
      await expectDataError(async () => imageArrayDataset({ inputs: x, labels: await goodLabels() }), x, /unsupported dtype '<i2'/);
    });
    it('images of an integer dtype other than uint8', async () => {
      const x = await saveNpy(at('i32img.npy'), '<i4', [10, 4, 4], new Uint8Array(640));
      await expectDataError(async () => imageArrayDataset({ inputs: x, labels: await goodLabels() }), x, /images have dtype int32/);
    });
    it('float labels', async () => {
      const x = await saveNpy(at('x10.npy'), '|u1', [10, 4, 4], u8());
      const y = await saveNpy(at('yf.npy'), '<f4', [10], bytesOf(new Float32Array(10)));
      await expectDataError(() => imageArrayDataset({ inputs: x, labels: y }), y, /labels have dtype float32/);
    });
    it('shape mismatch between inputs and labels', async () => {
      const x = await saveNpy(at('x10b.npy'), '|u1', [10, 4, 4], u8());
      const y = await saveNpy(at('y9.npy'), '<i4', [9], bytesOf(new Int32Array(9)));
      await expectDataError(() => imageArrayDataset({ inputs: x, labels: y }), x, /has 10 images but .*y9\.npy has 9 labels/);
    });
    it('one-hot labels', async () => {
      const x = await saveNpy(at('x10c.npy'), '|u1', [10, 4, 4], u8());
      const y = await saveNpy(at('onehot.npy'), '<i4', [10, 2], bytesOf(new Int32Array(20)));
      await expectDataError(() => imageArrayDataset({ inputs: x, labels: y }), y, /labels must have shape \[N\]/);
    });
    it('images without an example axis', async () => {
      const x = await saveNpy(at('flat.npy'), '|u1', [160], u8());
      await expectDataError(async () => imageArrayDataset({ inputs: x, labels: await goodLabels() }), x, /must have shape \[N, H, W\]/);
    });
    it('float pixels outside [0, 1]', async () => {
      const x = await saveNpy(at('big.npy'), '<f4', [10, 4, 4], bytesOf(Float32Array.from({ length: 160 }, (_, j) => (j === 37 ? 255 : 0.5))));
      await expectDataError(async () => imageArrayDataset({ inputs: x, labels: await goodLabels() }), x, /value 255 at flat index 37 is outside \[0, 1\]/);
    });
    it('labels outside the declared classes, and negative labels', async () => {
      const x = await saveNpy(at('x10d.npy'), '|u1', [10, 4, 4], u8());
      const y = await saveNpy(at('y-range.npy'), '<i4', [10], bytesOf(Int32Array.from({ length: 10 }, (_, i) => i)));
      await expectDataError(() => imageArrayDataset({ inputs: x, labels: y, classes: 5 }), y, /label 5 at index 5 is outside \[0, 5\)/);
      const neg = await saveNpy(at('y-neg.npy'), '<i4', [10], bytesOf(Int32Array.from({ length: 10 }, (_, i) => (i === 2 ? -1 : 0))));
      await expectDataError(() => imageArrayDataset({ inputs: x, labels: neg }), neg, /label -1 at index 2/);
    });
    it('held-out inputs without held-out labels, and held-out images of another shape', async () => {
      const x = await saveNpy(at('x10e.npy'), '|u1', [10, 4, 4], u8());
      const y = await goodLabels();
      await expectDataError(() => imageArrayDataset({ inputs: x, labels: y, heldOutInputs: x }), x, /must be given together/);
      const hx = await saveNpy(at('hx-shape.npy'), '|u1', [2, 2, 2], new Uint8Array(8));
      const hy = await saveNpy(at('hy-shape.npy'), '<i4', [2], bytesOf(new Int32Array(2)));
      await expectDataError(() => imageArrayDataset({ inputs: x, labels: y, heldOutInputs: hx, heldOutLabels: hy }), hx, /held-out images have shape \[2, 2, 1\], training images \[4, 4, 1\]/);
      await expectDataError(() => imageArrayDataset({ inputs: x, labels: y, heldOutInputs: x, heldOutLabels: y, trainSize: 11 }), x, /trainSize is 11.*only 10/);
    });
    it('more examples asked than the file holds', async () => {
      const x = await saveNpy(at('x10f.npy'), '|u1', [10, 4, 4], u8());
      await expectDataError(async () => imageArrayDataset({ inputs: x, labels: await goodLabels(), trainSize: 8, heldOutSize: 3 }), x, /only 10 exist/);
    });
    it('an in-memory array whose shape does not match its length', async () => {
      await expectDataError(() => imageArrayDataset({ inputs: { data: new Uint8Array(10), shape: [2, 2, 2] }, labels: { data: new Int32Array(2), shape: [2] } }), /in-memory Uint8Array/, /needs 8 values, but data has 10/);
    });
    it('a wrong option is a ConfigError at its key', async () => {
      const error = await imageArrayDataset({ inputs: 42 as unknown as string, labels: 'y.npy' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).path).toBe('inputs');
    });
  });
});
