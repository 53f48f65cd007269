import { DataError, type Dataset } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { makeSplit } from './make-split.js';
import { seededPermutation } from './split-indices.js';

/** Byte-level vocabulary: every UTF-8 byte value. */
export const BYTE_VOCABULARY = 256;

const count = z.union([z.number().int().min(1), z.literal('all')], { error: "must be a positive integer or 'all'" });

/** Options shared by the byte-level text sources (Moby Dick, text files). */
export const byteWindowOptionsShape = {
  /** Tokens per example; a window holds seqLen + 1 bytes. */
  seqLen: z.number().int().min(1).default(64),
  /** Distance in bytes between the starts of candidate windows (default: seqLen). */
  stride: z.number().int().min(1).optional(),
  /** Fraction of the text, at its end, reserved for held-out windows. */
  heldOutFraction: z.number().gt(0).lt(1).default(0.1),
  /** Seed of the training order and of the held-out subset. */
  seed: z.number().int().default(0),
};

/** Number of windows per split: a positive integer or 'all'. */
export const windowCountSchema = count;

/** Parsed options of a byte-window data set. */
export interface ByteWindowOptions {
  readonly seqLen: number;
  readonly stride?: number | undefined;
  readonly heldOutFraction: number;
  readonly seed: number;
  readonly trainSize: number | 'all';
  readonly heldOutSize: number | 'all';
}

/** Names for a byte-window data set: its `name`, the source named in errors, and the provenance text. */
export interface ByteWindowMeta {
  /** Dataset.name. */
  readonly name: string;
  /** What DataErrors name (a package or a file path). */
  readonly source: string;
  /** Where the bytes came from (licence, version), the start of Dataset.source. */
  readonly description: string;
  /** Vocabulary size (Dataset.classes) when the stream holds token ids rather than bytes (default 256). */
  readonly vocab?: number;
}

/** A text data set that also says where each window starts in the byte stream (for provenance). */
export interface WindowedTextDataset extends Dataset {
  /** Byte offset of each example's window, per split, in the order the examples are served. */
  readonly windows: { readonly train: Int32Array; readonly heldOut: Int32Array };
  /** First byte of the held-out tail; every training window ends before it. */
  readonly boundary: number;
}

/**
 * Cuts a byte stream into next-byte prediction windows of seqLen + 1 bytes (inputs: the first seqLen,
 * targets: the same shifted by one). Training windows lie entirely before `boundary`, held-out windows
 * entirely after it, so no byte is in both splits. Training windows come in a seeded random order; the
 * held-out windows are a seeded subset kept in text order.
 */
export function byteWindowDataset(bytes: Uint8Array | Int32Array, opts: ByteWindowOptions, meta: ByteWindowMeta): WindowedTextDataset {
  const source = meta.source;
  const windowLen = opts.seqLen + 1;
  const unit = (meta.vocab ?? BYTE_VOCABULARY) === BYTE_VOCABULARY ? 'bytes' : 'tokens';
  const stride = opts.stride ?? opts.seqLen;
  if (bytes.length < windowLen) {
    throw new DataError(source, `the text has ${bytes.length} ${unit}, shorter than one window of seqLen + 1 = ${windowLen} ${unit}.`, {
      received: bytes.length,
      expected: `at least ${windowLen} ${unit} (and in practice many windows)`,
      fix: 'lower seqLen or supply more text.',
    });
  }
  // The tail is the last floor(length * heldOutFraction) bytes (the epsilon absorbs 360 * 0.1 = 36.000...01-style error).
  const boundary = bytes.length - Math.floor(bytes.length * opts.heldOutFraction + 1e-9);
  const trainCount = windowsIn(boundary, windowLen, stride);
  const heldCount = windowsIn(bytes.length - boundary, windowLen, stride);
  for (const [part, n, len] of [['training part (the first', trainCount, boundary], ['held-out part (the last', heldCount, bytes.length - boundary]] as const) {
    if (n === 0) {
      throw new DataError(source, `the ${part} ${len} ${unit}) is shorter than one window of ${windowLen} ${unit}.`, {
        received: { bytes: bytes.length, seqLen: opts.seqLen, heldOutFraction: opts.heldOutFraction },
        expected: `each part at least ${windowLen} ${unit} long`,
        fix: 'lower seqLen, adjust heldOutFraction, or supply more text.',
      });
    }
  }
  const trainSize = resolveCount(opts.trainSize, trainCount, 'trainSize', source, stride);
  const heldSize = resolveCount(opts.heldOutSize, heldCount, 'heldOutSize', source, stride);
  const trainStarts = seededPermutation(trainCount, opts.seed).slice(0, trainSize).map((k) => k * stride);
  const heldStarts = seededPermutation(heldCount, opts.seed ^ 0x5bd1e995)
    .slice(0, heldSize)
    .sort()
    .map((k) => boundary + k * stride);
  return {
    name: meta.name,
    kind: 'text',
    classes: meta.vocab ?? BYTE_VOCABULARY,
    train: windowSplit(bytes, trainStarts, opts.seqLen),
    heldOut: windowSplit(bytes, heldStarts, opts.seqLen),
    source: `${meta.description}; ${bytes.length} ${unit}, seqLen ${opts.seqLen}, stride ${stride}, held-out tail from ${unit === 'bytes' ? 'byte' : 'token'} ${boundary}, seed ${opts.seed}`,
    windows: { train: trainStarts, heldOut: heldStarts },
    boundary,
  };
}

function windowsIn(length: number, windowLen: number, stride: number): number {
  return length < windowLen ? 0 : Math.floor((length - windowLen) / stride) + 1;
}

function resolveCount(asked: number | 'all', available: number, key: string, source: string, stride: number): number {
  if (asked === 'all') return available;
  if (asked > available) {
    throw new DataError(source, `${key} is ${asked}, but that part of the text holds only ${available} windows at stride ${stride}.`, {
      received: asked,
      expected: `${key} <= ${available} (or 'all')`,
      fix: `lower ${key}, lower the stride (overlapping windows), or supply more text.`,
    });
  }
  return asked;
}

function windowSplit(bytes: Uint8Array | Int32Array, starts: Int32Array, seqLen: number) {
  const inputs = new Int32Array(starts.length * seqLen);
  const targets = new Int32Array(starts.length * seqLen);
  starts.forEach((start, k) => {
    inputs.set(bytes.subarray(start, start + seqLen), k * seqLen);
    targets.set(bytes.subarray(start + 1, start + 1 + seqLen), k * seqLen);
  });
  return makeSplit(inputs, [seqLen], targets, [seqLen]);
}
