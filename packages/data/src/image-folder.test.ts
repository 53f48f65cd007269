import { DataError } from '@flatsparse/plugin-api';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetFromConfig } from './config.js';
import { imageFolderDataset } from './image-folder.js';

/** RGBA pixels of a w x h image filled with one colour (plus a small gradient so images differ by index). */
function rgba(w: number, h: number, rgb: [number, number, number], index: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    data[p * 4] = rgb[0];
    data[p * 4 + 1] = rgb[1];
    data[p * 4 + 2] = (rgb[2] + index * 7) % 256;
    data[p * 4 + 3] = 255;
  }
  return data;
}

function png(w: number, h: number, rgb: [number, number, number], index = 0): Buffer {
  const image = new PNG({ width: w, height: h });
  rgba(w, h, rgb, index).copy(image.data);
  return PNG.sync.write(image);
}

function jpg(w: number, h: number, rgb: [number, number, number], index = 0): Buffer {
  return jpeg.encode({ data: rgba(w, h, rgb, index), width: w, height: h }, 95).data;
}

/** Writes dir/<class>/<file> for each entry. */
async function writeFolder(dir: string, files: Record<string, Buffer | string>): Promise<string> {
  for (const [name, bytes] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), bytes);
  }
  return dir;
}

async function dataError(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  expect((error as DataError).code).toBe('E_DATA');
  return error as DataError;
}

let root: string;
let good: string;
const RED: [number, number, number] = [220, 20, 20];
const BLUE: [number, number, number] = [20, 20, 220];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'flatsparse-image-folder-'));
  const files: Record<string, Buffer | string> = { 'notes.txt': 'ignored', 'cat/.DS_Store': 'ignored', 'cat/readme.md': 'ignored' };
  for (let i = 0; i < 6; i++) {
    files[`cat/c${i}.png`] = png(8, 6, RED, i);
    files[`dog/d${i}.${i % 2 === 0 ? 'jpg' : 'JPEG'}`] = jpg(8, 6, BLUE, i);
  }
  good = await writeFolder(join(root, 'good'), files);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('imageFolderDataset', () => {
  it('reads PNG and JPEG class folders into [H, W, C] float32 images with classes from sorted folder names', async () => {
    const data = await imageFolderDataset({ dir: good });
    expect(data).toMatchObject({ name: 'image-folder', kind: 'image', classes: 2, classNames: ['cat', 'dog'] });
    expect(data.train.inputShape).toEqual([6, 8, 3]);
    expect(data.train.targetShape).toEqual([]);
    expect(data.train.inputs).toBeInstanceOf(Float32Array);
    expect(data.train.targets).toBeInstanceOf(Int32Array);
    expect(data.train.size + data.heldOut.size).toBe(12);
    expect(data.heldOut.size).toBe(Math.round(12 * 0.2));
    expect(data.train.inputs.length).toBe(data.train.size * 6 * 8 * 3);
    // Each example's label is its folder, and its pixels its colour (red PNG cats, blue JPEG dogs).
    data.files.train.forEach((file, k) => {
      const label = data.train.targets[k]!;
      expect(file.includes('/cat/') ? 0 : 1).toBe(label);
      const [r, , b] = data.train.inputs.subarray(k * 144, k * 144 + 3);
      if (label === 0) expect(r).toBeCloseTo(220 / 255, 5);
      else expect(b! > r!).toBe(true);
    });
    for (const v of data.train.inputs) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('converts to grayscale and resizes to a configured size', async () => {
    const data = await imageFolderDataset({ dir: good, channels: 1, size: [3, 4] });
    expect(data.train.inputShape).toEqual([3, 4, 1]);
    const k = data.files.train.findIndex((f) => f.endsWith('c0.png'));
    const luma = (0.299 * 220 + 0.587 * 20 + 0.114 * 20) / 255;
    for (const v of data.train.inputs.subarray(k * 12, (k + 1) * 12)) expect(v).toBeCloseTo(luma, 4);
    const square = await imageFolderDataset({ dir: good, size: 5 });
    expect(square.train.inputShape).toEqual([5, 5, 3]);
  });

  it('splits deterministically by seed, with disjoint splits covering every file', async () => {
    const a = await imageFolderDataset({ dir: good, seed: 3 });
    const b = await imageFolderDataset({ dir: good, seed: 3 });
    const c = await imageFolderDataset({ dir: good, seed: 4 });
    expect(b.files).toEqual(a.files);
    expect(b.train.inputs).toEqual(a.train.inputs);
    expect(c.files.train).not.toEqual(a.files.train);
    const held = new Set(a.files.heldOut);
    expect(a.files.train.some((f) => held.has(f))).toBe(false);
    expect(new Set([...a.files.train, ...a.files.heldOut]).size).toBe(12);
  });

  it('is the image-folder source of data configs', async () => {
    const data = await datasetFromConfig({ source: 'image-folder', dir: good, channels: 1, heldOutFraction: 0.5, seed: 1 });
    expect(data.train.inputShape).toEqual([6, 8, 1]);
    expect(data.heldOut.size).toBe(6);
  });

  it('names a corrupt image file', async () => {
    const dir = await writeFolder(join(root, 'corrupt'), { 'a/1.png': png(4, 4, RED), 'b/1.png': png(4, 4, BLUE), 'b/2.png': png(4, 4, BLUE).subarray(0, 40) });
    const error = await dataError(imageFolderDataset({ dir }));
    expect(error.source).toBe(join(dir, 'b/2.png'));
    expect(error.message).toContain(`Data source '${join(dir, 'b/2.png')}': the image cannot be decoded: corrupt PNG`);
    const jpegDir = await writeFolder(join(root, 'corrupt-jpeg'), { 'a/1.png': png(4, 4, RED), 'b/1.jpg': Buffer.concat([jpg(4, 4, BLUE).subarray(0, 30), Buffer.alloc(20)]) });
    expect((await dataError(imageFolderDataset({ dir: jpegDir }))).message).toContain(`'${join(jpegDir, 'b/1.jpg')}': the image cannot be decoded: corrupt JPEG`);
    const fake = await writeFolder(join(root, 'fake'), { 'a/1.png': png(4, 4, RED), 'b/1.jpg': 'not an image at all' });
    expect((await dataError(imageFolderDataset({ dir: fake }))).message).toContain('neither a PNG nor a JPEG signature');
  });

  it('names an empty class folder, a missing folder and a folder with one class', async () => {
    const dir = await writeFolder(join(root, 'empty-class'), { 'a/1.png': png(4, 4, RED), 'b/notes.txt': 'no images' });
    const error = await dataError(imageFolderDataset({ dir }));
    expect(error.message).toContain(`Data source '${join(dir, 'b')}': the class folder 'b' holds no PNG or JPEG image.`);
    expect((await dataError(imageFolderDataset({ dir: join(root, 'nope') }))).message).toContain(`the folder '${join(root, 'nope')}' does not exist.`);
    const one = await writeFolder(join(root, 'one-class'), { 'a/1.png': png(4, 4, RED) });
    expect((await dataError(imageFolderDataset({ dir: one }))).message).toContain('found 1 class folder(s)');
  });

  it('decodes grayscale and alpha PNGs and grayscale JPEGs, and refuses a folder too small to split', async () => {
    const gray = new PNG({ width: 4, height: 4, colorType: 0, inputColorType: 0, bitDepth: 8 });
    const grayBytes = PNG.sync.write(Object.assign(gray, { data: Buffer.alloc(16, 128) }), { colorType: 0, inputColorType: 0 });
    const alpha = new PNG({ width: 4, height: 4 });
    alpha.data.fill(50);
    const dir = await writeFolder(join(root, 'modes'), { 'a/gray.png': grayBytes, 'a/alpha.png': PNG.sync.write(alpha), 'b/1.jpg': jpg(4, 4, [90, 90, 90]), 'b/2.jpg': jpg(4, 4, [10, 10, 10]) });
    const data = await imageFolderDataset({ dir, channels: 1, heldOutFraction: 0.25 });
    const all = [...data.files.train, ...data.files.heldOut];
    const pixel = (file: string) => {
      const k = data.files.train.indexOf(file);
      return k >= 0 ? data.train.inputs[k * 16]! : data.heldOut.inputs[data.files.heldOut.indexOf(file) * 16]!;
    };
    expect(all.length).toBe(4);
    expect(pixel(join(dir, 'a/gray.png'))).toBeCloseTo(128 / 255, 4);
    expect(pixel(join(dir, 'a/alpha.png'))).toBeCloseTo(50 / 255, 4);
    expect(Math.abs(pixel(join(dir, 'b/1.jpg')) - 90 / 255)).toBeLessThan(0.03);
    const tiny = await writeFolder(join(root, 'tiny'), { 'a/1.png': png(4, 4, RED), 'b/1.png': png(4, 4, BLUE) });
    expect((await dataError(imageFolderDataset({ dir: tiny, heldOutFraction: 0.75 }))).message).toContain('only 2 images: holding out 2 leaves none to train on.');
  });

  it('rejects differing sizes without a size option, naming the file, and accepts them with one', async () => {
    const dir = await writeFolder(join(root, 'sizes'), { 'a/1.png': png(4, 4, RED), 'b/1.png': png(4, 4, BLUE), 'b/2.jpg': jpg(5, 4, BLUE) });
    const error = await dataError(imageFolderDataset({ dir }));
    expect(error.source).toBe(join(dir, 'b/2.jpg'));
    expect(error.message).toContain(`the image is 5x4 (width x height) but '${join(dir, 'a/1.png')}' is 4x4, and no size is set.`);
    expect(error.fix).toContain('set data.size');
    const resized = await imageFolderDataset({ dir, size: 4, heldOutFraction: 0.3 });
    expect(resized.train.inputShape).toEqual([4, 4, 3]);
  });
});
