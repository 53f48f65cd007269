import { DataError, parseOptions, type Dataset, type DataSplit } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { gatherSplit } from './make-split.js';
import { readNpy, type NpyArray, type NpyDtype } from './npy.js';
import { seededPermutation, splitIndices } from './split-indices.js';

/** An array already in memory: typed data in C order and its shape (dtype inferred from the typed array if absent). */
export interface InMemoryArray {
  readonly data: Float32Array | Float64Array | Uint8Array | Int32Array;
  readonly shape: readonly number[];
  readonly dtype?: NpyDtype;
}

const typed = z.custom<InMemoryArray['data']>(
  (v) => v instanceof Float32Array || v instanceof Float64Array || v instanceof Uint8Array || v instanceof Int32Array,
  { message: 'must be a Float32Array, Float64Array, Uint8Array or Int32Array' },
);
const arraySource = z.union([
  z.string().min(1, 'must be a path to a .npy file'),
  z.object({ data: typed, shape: z.array(z.number().int().min(0)), dtype: z.enum(['float32', 'float64', 'uint8', 'int32', 'int64']).optional() }),
], { error: 'must be a path to a .npy file or an in-memory array { data, shape }' });

/** Keys shared by imageArrayDataset's options and the 'npy' config (split sizes, classes, seed). */
export const imageArraySplitShape = {
  trainSize: z.number().int().min(1).optional(),
  heldOutSize: z.number().int().min(1).optional(),
  classes: z.number().int().min(2).optional(),
  seed: z.number().int().default(0),
  name: z.string().min(1).optional(),
};

/** Options of imageArrayDataset: each array is a .npy path or an in-memory array. */
export const imageArrayOptionsSchema = z
  .object({ inputs: arraySource, labels: arraySource, heldOutInputs: arraySource.optional(), heldOutLabels: arraySource.optional(), ...imageArraySplitShape })
  .strict();

/** Options of imageArrayDataset as a user writes them. */
export type ImageArrayOptions = z.input<typeof imageArrayOptionsSchema>;

type Source = z.output<typeof arraySource>;

/**
 * Bring your own images: inputs [N, H, W] or [N, H, W, C] (float32/float64 in [0, 1], or uint8 scaled
 * by 1/255) and integer labels [N] (int32/int64/uint8), from .npy files or typed arrays. Without
 * explicit held-out arrays, `heldOutSize` examples (default 10%) are held out by a seeded permutation.
 */
export async function imageArrayDataset(options: ImageArrayOptions, path = ''): Promise<Dataset> {
  const o = parseOptions(imageArrayOptionsSchema, options, { path: path, fix: 'See "Bring your own data" in the @flatsparse/data README.' });
  const train = await loadPair(o.inputs, o.labels);
  const held = o.heldOutInputs !== undefined || o.heldOutLabels !== undefined ? await loadHeldOut(o.heldOutInputs, o.heldOutLabels, train.inputShape) : undefined;
  const maxLabel = Math.max(...[train, held].filter((s) => s !== undefined).map((s) => s.targets.reduce((m, v) => Math.max(m, v), 0)));
  const classes = o.classes ?? Math.max(2, maxLabel + 1);
  for (const split of [train, held]) if (split !== undefined) checkLabels(split, classes);
  let trainSplit: DataSplit;
  let heldSplit: DataSplit;
  if (held === undefined) {
    const heldOutSize = o.heldOutSize ?? Math.max(1, Math.round(train.size * 0.1));
    const idx = splitIndices(train.size, heldOutSize, o.seed, o.trainSize, train.label);
    trainSplit = gatherSplit(train.inputs, train.inputShape, train.targets, [], idx.train);
    heldSplit = gatherSplit(train.inputs, train.inputShape, train.targets, [], idx.heldOut);
  } else {
    const trainSize = o.trainSize ?? train.size;
    const heldOutSize = o.heldOutSize ?? held.size;
    for (const [key, asked, have, label] of [['trainSize', trainSize, train.size, train.label], ['heldOutSize', heldOutSize, held.size, held.label]] as const) {
      if (asked > have) throw new DataError(label, `${key} is ${asked}, but the file holds only ${have} examples.`, { received: asked, expected: `${key} <= ${have}`, fix: `lower ${key} or leave it out to use every example.` });
    }
    trainSplit = gatherSplit(train.inputs, train.inputShape, train.targets, [], seededPermutation(train.size, o.seed).slice(0, trainSize));
    heldSplit = gatherSplit(held.inputs, held.inputShape, held.targets, [], Int32Array.from({ length: heldOutSize }, (_, i) => i));
  }
  const fromFiles = typeof o.inputs === 'string';
  return {
    name: o.name ?? (fromFiles ? 'npy' : 'image-array'),
    kind: 'image',
    classes,
    train: trainSplit,
    heldOut: heldSplit,
    source: `${train.label}${held === undefined ? '' : ` + held-out ${held.label}`}, seed ${o.seed}`,
  };
}

interface LoadedPair {
  readonly inputs: Float32Array;
  readonly inputShape: readonly number[];
  readonly targets: Int32Array;
  readonly size: number;
  readonly label: string;
  readonly labelsLabel: string;
}

async function loadHeldOut(inputs: Source | undefined, labels: Source | undefined, shape: readonly number[]): Promise<LoadedPair> {
  if (inputs === undefined || labels === undefined) {
    throw new DataError(describe(inputs ?? labels!, 'held-out array'), 'heldOutInputs and heldOutLabels must be given together.', {
      received: { heldOutInputs: inputs === undefined ? 'missing' : 'given', heldOutLabels: labels === undefined ? 'missing' : 'given' },
      fix: 'pass both held-out files, or neither (then heldOutSize examples are held out of the training files).',
    });
  }
  const pair = await loadPair(inputs, labels);
  if (pair.inputShape.join(',') !== shape.join(',')) {
    throw new DataError(pair.label, `held-out images have shape [${pair.inputShape.join(', ')}], training images [${shape.join(', ')}].`, {
      received: pair.inputShape,
      expected: `[${shape.join(', ')}]`,
      fix: 'give training and held-out images the same height, width and channels.',
    });
  }
  return pair;
}

async function loadPair(inputsSource: Source, labelsSource: Source): Promise<LoadedPair> {
  const label = describe(inputsSource, 'inputs');
  const labelsLabel = describe(labelsSource, 'labels');
  const x = await load(inputsSource, label);
  const y = await load(labelsSource, labelsLabel);
  if (x.shape.length < 2 || x.shape.length > 4) {
    throw new DataError(label, `images must have shape [N, H, W] or [N, H, W, C] (or [N, D]); got [${x.shape.join(', ')}].`, { received: x.shape, fix: 'reshape so that the first axis counts examples.' });
  }
  if (!(y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1))) {
    throw new DataError(labelsLabel, `labels must have shape [N] (one class id per example); got [${y.shape.join(', ')}].`, { received: y.shape, fix: 'store class ids, not one-hot rows: labels.argmax(axis=1).astype(np.int32).' });
  }
  const n = x.shape[0]!;
  if (y.shape[0] !== n) {
    throw new DataError(label, `has ${n} images but ${labelsLabel} has ${y.shape[0]} labels.`, { received: { images: n, labels: y.shape[0] }, expected: 'as many labels as images', fix: 'save matching inputs and labels (same first axis).' });
  }
  const rest = x.shape.slice(1);
  return { inputs: toUnitImages(x, label), inputShape: rest.length === 2 ? [...rest, 1] : rest, targets: toLabels(y, labelsLabel), size: n, label, labelsLabel };
}

async function load(source: Source, label: string): Promise<NpyArray> {
  if (typeof source === 'string') return readNpy(source, label);
  const count = source.shape.reduce((a, b) => a * b, 1);
  if (count !== source.data.length) {
    throw new DataError(label, `shape [${source.shape.join(', ')}] needs ${count} values, but data has ${source.data.length}.`, { received: source.data.length, expected: `${count} values`, fix: 'pass the shape of the array (first axis: examples).' });
  }
  return { data: source.data, shape: source.shape, dtype: source.dtype ?? inferDtype(source.data) };
}

function inferDtype(data: InMemoryArray['data']): NpyDtype {
  return data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : data instanceof Uint8Array ? 'uint8' : 'int32';
}

function toUnitImages(x: NpyArray, label: string): Float32Array {
  if (x.dtype === 'uint8') return Float32Array.from(x.data, (v) => v / 255);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new DataError(label, `images have dtype ${x.dtype}; images must be float32/float64 in [0, 1] or uint8 in [0, 255].`, { received: x.dtype, fix: 'save images as uint8 (0-255) or as float32 divided by 255.' });
  }
  const out = Float32Array.from(x.data);
  const bad = out.findIndex((v) => !(v >= 0 && v <= 1));
  if (bad >= 0) {
    throw new DataError(label, `image value ${x.data[bad]} at flat index ${bad} is outside [0, 1].`, { received: x.data[bad], expected: 'float pixels in [0, 1]', fix: 'scale pixels to [0, 1] (for example divide by 255), or save them as uint8.' });
  }
  return out;
}

function toLabels(y: NpyArray, label: string): Int32Array {
  if (y.dtype !== 'int32' && y.dtype !== 'int64' && y.dtype !== 'uint8') {
    throw new DataError(label, `labels have dtype ${y.dtype}; labels must be int32, int64 or uint8 class ids.`, { received: y.dtype, fix: 'save labels with labels.astype(np.int32).' });
  }
  return Int32Array.from(y.data);
}

function checkLabels(split: LoadedPair, classes: number): void {
  const bad = split.targets.findIndex((v) => v < 0 || v >= classes);
  if (bad >= 0) {
    throw new DataError(split.labelsLabel, `label ${split.targets[bad]} at index ${bad} is outside [0, ${classes}).`, { received: split.targets[bad], expected: `class ids 0..${classes - 1}`, fix: 'relabel classes as 0..K-1, or raise the classes option.' });
  }
}

function describe(source: Source, role: string): string {
  return typeof source === 'string' ? source : `${role} (in-memory ${source.data.constructor.name} [${source.shape.join(', ')}])`;
}
