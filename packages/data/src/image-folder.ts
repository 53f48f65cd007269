import { DataError, parseOptions, type Dataset } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { makeSplit } from './make-split.js';
import { listDir, readBytes } from './node-io.js';
import { splitIndices } from './split-indices.js';

/** The pure-JS decoders, imported when a folder is first read (importing @flatsparse/data loads nothing). */
interface Decoders {
  readonly png: typeof import('pngjs').PNG;
  readonly jpeg: typeof import('jpeg-js');
}

/** Loads pngjs and jpeg-js (CommonJS packages) once. */
export async function loadImageDecoders(): Promise<Decoders> {
  const [pngjs, jpeg] = await Promise.all([import('pngjs'), import('jpeg-js')]);
  const png = (pngjs as { PNG?: Decoders['png']; default?: { PNG: Decoders['png'] } }).PNG ?? (pngjs as { default: { PNG: Decoders['png'] } }).default.PNG;
  const jpg = ((jpeg as { default?: Decoders['jpeg'] }).default ?? jpeg) as Decoders['jpeg'];
  return { png, jpeg: jpg };
}

const FIX = 'See the image-folder card in the @flatsparse/data README.';
const EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** Options of imageFolderDataset (validated; unknown keys are rejected). */
export const imageFolderOptionsSchema = z
  .object({
    /** Folder holding one subfolder per class (class ids follow the sorted folder names). */
    dir: z.string().min(1, 'must be a path to a folder of class folders'),
    /** Size every image is resized to (bilinear): one number for a square, or [height, width]. Without it, every image must have the same size. */
    size: z.union([z.number().int().min(1), z.tuple([z.number().int().min(1), z.number().int().min(1)])]).optional(),
    /** 1: grayscale (luma of RGB), 3: RGB (alpha dropped). Must match the model's channels. */
    channels: z.union([z.literal(1), z.literal(3)]).default(3),
    /** Fraction of all images held out (at least one image). */
    heldOutFraction: z.number().gt(0).lt(1).default(0.2),
    /** Seed of the split and of the training order. */
    seed: z.number().int().default(0),
    name: z.string().min(1).default('image-folder'),
  })
  .strict();

/** Options of imageFolderDataset as a user writes them. */
export type ImageFolderOptions = z.input<typeof imageFolderOptionsSchema>;

/** One decoded image: RGBA bytes, row-major. */
interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** An image data set read from a folder, with the file of every example (for provenance and tests). */
export interface ImageFolderDataset extends Dataset {
  /** Class names, in class-id order (sorted folder names). */
  readonly classNames: readonly string[];
  /** Path of each example's file, per split, in the order the examples are served. */
  readonly files: { readonly train: readonly string[]; readonly heldOut: readonly string[] };
}

/**
 * Bring your own images from a folder: `dir/<class>/<image>.png|.jpg|.jpeg`. Class ids follow the
 * sorted class-folder names; files other than PNG/JPEG (and hidden files) are ignored. Images are
 * decoded in pure JS (pngjs, jpeg-js), converted to `channels` (1: luma 0.299R + 0.587G + 0.114B,
 * 3: RGB, alpha dropped), scaled to [0, 1], and resized to `size` by bilinear interpolation when
 * `size` is set; without it every image must have the first image's size.
 *
 * Split rule: every image, listed by (class folder, file name) in sorted order, gets an index; one
 * permutation of 0..N-1 seeded by `seed` is drawn; its first max(1, round(N * heldOutFraction))
 * indices are held out, the rest train in the permuted order. The same folder and seed always give
 * the same split, and no file is in both.
 *
 * Errors (DataError, code E_DATA, naming the file or folder): a missing folder, fewer than two class
 * folders, an empty class folder, a file that does not decode (corrupt or not the format its
 * extension says), and, without `size`, an image whose size differs from the first one's.
 */
export async function imageFolderDataset(options: ImageFolderOptions, path = ''): Promise<ImageFolderDataset> {
  const o = parseOptions(imageFolderOptionsSchema, options, { path: path, fix: FIX });
  const dir = o.dir.replace(/\/+$/, '');
  const classNames = (await listDir(dir, dir)).filter((e) => e.isDir && !e.name.startsWith('.')).map((e) => e.name).sort();
  if (classNames.length < 2) {
    throw new DataError(dir, `found ${classNames.length} class folder(s); an image folder needs one subfolder per class, at least two.`, {
      received: classNames,
      expected: 'dir/<class>/<image>.png|.jpg|.jpeg with two or more class folders',
      fix: 'put the images of each class in their own subfolder of dir.',
    });
  }
  const files: string[] = [];
  const labels: number[] = [];
  for (const [label, name] of classNames.entries()) {
    const folder = `${dir}/${name}`;
    const images = (await listDir(folder, folder)).filter((e) => !e.isDir && !e.name.startsWith('.') && EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))).map((e) => e.name).sort();
    if (images.length === 0) {
      throw new DataError(folder, `the class folder '${name}' holds no PNG or JPEG image.`, {
        received: 0,
        expected: `at least one ${EXTENSIONS.join(', ')} file`,
        fix: `add images to '${folder}' or remove the folder.`,
      });
    }
    for (const file of images) {
      files.push(`${folder}/${file}`);
      labels.push(label);
    }
  }
  // Checked before any image is decoded.
  const n = files.length;
  const heldOutSize = Math.max(1, Math.round(n * o.heldOutFraction));
  if (heldOutSize >= n) {
    throw new DataError(dir, `only ${n} images: holding out ${heldOutSize} leaves none to train on.`, { received: n, expected: 'at least two images', fix: 'add images or lower heldOutFraction.' });
  }
  const decoders = await loadImageDecoders();
  const target = o.size === undefined ? undefined : typeof o.size === 'number' ? [o.size, o.size] as const : o.size;
  let height = target?.[0];
  let width = target?.[1];
  let first = '';
  let pixels: Float32Array | undefined;
  for (const [i, file] of files.entries()) {
    const image = decodeImage(await readBytes(file, file), file, decoders);
    if (height === undefined || width === undefined) {
      height = image.height;
      width = image.width;
      first = file;
    } else if (target === undefined && (image.height !== height || image.width !== width)) {
      throw new DataError(file, `the image is ${image.width}x${image.height} (width x height) but '${first}' is ${width}x${height}, and no size is set.`, {
        received: [image.height, image.width],
        expected: `[${height}, ${width}] like the first image, or a size option`,
        fix: 'set data.size (for example size: 32 or size: [32, 48]) to resize every image, or resize the files beforehand.',
      });
    }
    const per = height * width * o.channels;
    pixels ??= new Float32Array(files.length * per);
    writePixels(image, height, width, o.channels, pixels.subarray(i * per, (i + 1) * per));
  }
  const idx = splitIndices(n, heldOutSize, o.seed, undefined, dir);
  const shape = [height!, width!, o.channels];
  const gather = (order: Int32Array) => {
    const per = shape[0]! * shape[1]! * shape[2]!;
    const x = new Float32Array(order.length * per);
    const y = new Int32Array(order.length);
    order.forEach((k, j) => {
      x.set(pixels!.subarray(k * per, (k + 1) * per), j * per);
      y[j] = labels[k]!;
    });
    return makeSplit(x, shape, y, []);
  };
  return {
    name: o.name,
    kind: 'image',
    classes: classNames.length,
    train: gather(idx.train),
    heldOut: gather(idx.heldOut),
    classNames,
    files: { train: Array.from(idx.train, (k) => files[k]!), heldOut: Array.from(idx.heldOut, (k) => files[k]!) },
    source: `image folder ${dir}: ${n} images in ${classNames.length} classes (${classNames.join(', ')}), ${shape.join('x')}${target === undefined ? '' : ' (resized)'}, heldOutFraction ${o.heldOutFraction}, seed ${o.seed}`,
  };
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

/** Decodes a PNG or JPEG (by its leading bytes) into RGBA bytes; anything else is a DataError naming the file. */
export function decodeImage(bytes: Uint8Array, file: string, decoders: Decoders): Rgba {
  const starts = (magic: number[]) => magic.every((b, i) => bytes[i] === b);
  const fail = (what: string, cause?: unknown) =>
    new DataError(file, `the image cannot be decoded: ${what}.`, {
      received: `${bytes.length} bytes starting ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}`,
      expected: 'a valid PNG or baseline/progressive JPEG file',
      fix: 'replace or delete the file (re-export it from an image editor), or move it out of the data folder.',
      cause,
    });
  if (starts(PNG_MAGIC)) {
    try {
      const png = decoders.png.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (cause) {
      throw fail(`corrupt PNG (${cause instanceof Error ? cause.message : String(cause)})`, cause);
    }
  }
  if (starts(JPEG_MAGIC)) {
    try {
      const jpg = decoders.jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxMemoryUsageInMB: 1024 });
      if (!(jpg.width > 0 && jpg.height > 0) || jpg.data.length !== jpg.width * jpg.height * 4) throw new Error('no image data');
      return { width: jpg.width, height: jpg.height, data: jpg.data };
    } catch (cause) {
      throw fail(`corrupt JPEG (${cause instanceof Error ? cause.message : String(cause)})`, cause);
    }
  }
  throw fail('its first bytes are neither a PNG nor a JPEG signature');
}

/** Writes an RGBA image, converted to `channels` and resized (bilinear, pixel centres aligned) to height x width, as [0, 1] floats. */
function writePixels(image: Rgba, height: number, width: number, channels: 1 | 3, out: Float32Array): void {
  const { data, width: w0, height: h0 } = image;
  const value = (y: number, x: number, c: number): number => {
    const p = (y * w0 + x) * 4;
    return channels === 3 ? data[p + c]! : 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  };
  const same = h0 === height && w0 === width;
  for (let y = 0; y < height; y++) {
    const sy = same ? y : Math.min(Math.max((y + 0.5) * (h0 / height) - 0.5, 0), h0 - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, h0 - 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = same ? x : Math.min(Math.max((x + 0.5) * (w0 / width) - 0.5, 0), w0 - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, w0 - 1);
      const fx = sx - x0;
      for (let c = 0; c < channels; c++) {
        const v = same
          ? value(y, x, c)
          : (1 - fy) * ((1 - fx) * value(y0, x0, c) + fx * value(y0, x1, c)) + fy * ((1 - fx) * value(y1, x0, c) + fx * value(y1, x1, c));
        out[(y * width + x) * channels + c] = Math.min(1, Math.max(0, v / 255));
      }
    }
  }
}
