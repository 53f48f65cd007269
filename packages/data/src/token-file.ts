import { DataError, parseOptions, Rng, type Dataset } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { makeSplit } from './make-split.js';
import { openPositional, type PositionalFile } from './node-io.js';

const FIX = 'See the token-file card in the @flatsparse/data README.';
const BYTES_PER_TOKEN = 2;
/** Chunk size of the full scan (scan: 'full'): 1 MiB. */
const SCAN_CHUNK = 1 << 20;

/** Options of tokenFileDataset (validated; unknown keys are rejected). */
export const tokenFileOptionsSchema = z
  .object({
    /** Folder holding train.bin and val.bin (uint16 little-endian token ids, as nanoGPT's prepare.py writes them). */
    dir: z.string().min(1, 'must be a path to a folder holding train.bin and val.bin'),
    /** Vocabulary size: every token id must be below it (GPT-2's is 50257). */
    vocab: z.number().int().min(2).max(65536),
    /** Tokens per example; each window read holds seqLen + 1 tokens. */
    seqLen: z.number().int().min(1).default(64),
    /** Training windows drawn from train.bin. */
    trainSize: z.number().int().min(1).default(1024),
    /** Held-out windows drawn from val.bin. */
    heldOutSize: z.number().int().min(1).default(128),
    /** Seed of the window offsets. */
    seed: z.number().int().default(0),
    /**
     * Where token ids are checked against vocab: 'windows' (default) checks every window as it is read,
     * at no extra I/O; 'full' reads both files once, 1 MiB at a time, before any window, so an id beyond
     * the vocabulary anywhere in the files is reported at load (one sequential pass: about a second per GB from the page cache).
     */
    scan: z.enum(['windows', 'full']).default('windows'),
    name: z.string().min(1).default('token-file'),
  })
  .strict();

/** Options of tokenFileDataset as a user writes them. */
export type TokenFileOptions = z.input<typeof tokenFileOptionsSchema>;

/** A token-file data set that also says where each window starts (token offsets, per split). */
export interface TokenFileDataset extends Dataset {
  /** Token offset of each example's window in train.bin / val.bin, in the order the examples are served. */
  readonly windows: { readonly train: Float64Array; readonly heldOut: Float64Array };
  /** Token counts of train.bin and val.bin. */
  readonly tokens: { readonly train: number; readonly heldOut: number };
}

/**
 * Token files as nanoGPT writes them: `dir/train.bin` and `dir/val.bin`, flat uint16 little-endian
 * token ids. Neither file is ever read whole: each window of seqLen + 1 tokens is read at its offset
 * into a small buffer, so memory holds only the trainSize + heldOutSize windows drawn, whatever the
 * file size. Inputs are the first seqLen tokens of a window, targets the same shifted by one.
 *
 * Sampling rule (as nanoGPT's get_batch): window starts are drawn uniformly from [0, tokens - seqLen - 1]
 * by an Rng seeded with `seed` (training, from train.bin) and `seed ^ 0x5bd1e995` (held-out, from
 * val.bin), with replacement. The two splits come from different files, so they share no token.
 *
 * Errors (DataError, code E_DATA, naming the file): a missing train.bin or val.bin, an odd byte
 * length (not whole uint16 tokens: names the length), a file shorter than one window, and a token id
 * >= vocab (names the byte offset of the first one: in the windows read, or anywhere with scan: 'full').
 */
export async function tokenFileDataset(options: TokenFileOptions, path = ''): Promise<TokenFileDataset> {
  const o = parseOptions(tokenFileOptionsSchema, options, { path: path, fix: FIX });
  const dir = o.dir.replace(/\/+$/, '');
  const trainFile = await openTokenFile(`${dir}/train.bin`, o.seqLen);
  try {
    const valFile = await openTokenFile(`${dir}/val.bin`, o.seqLen);
    try {
      if (o.scan === 'full') {
        await scanFile(trainFile, o.vocab);
        await scanFile(valFile, o.vocab);
      }
      const train = await readWindows(trainFile, o.trainSize, o.seqLen, o.vocab, o.seed);
      const heldOut = await readWindows(valFile, o.heldOutSize, o.seqLen, o.vocab, o.seed ^ 0x5bd1e995);
      const tokens = { train: trainFile.size / BYTES_PER_TOKEN, heldOut: valFile.size / BYTES_PER_TOKEN };
      return {
        name: o.name,
        kind: 'text',
        classes: o.vocab,
        train: train.split,
        heldOut: heldOut.split,
        windows: { train: train.starts, heldOut: heldOut.starts },
        tokens,
        source: `token files ${dir}/train.bin (${tokens.train} tokens) and val.bin (${tokens.heldOut} tokens), uint16, vocab ${o.vocab}; ${o.trainSize} + ${o.heldOutSize} windows of seqLen ${o.seqLen}, seed ${o.seed}`,
      };
    } finally {
      await valFile.close();
    }
  } finally {
    await trainFile.close();
  }
}

async function openTokenFile(file: string, seqLen: number): Promise<PositionalFile> {
  const handle = await openPositional(file, file);
  if (handle.size % BYTES_PER_TOKEN !== 0) {
    await handle.close();
    throw new DataError(file, `the file is ${handle.size} bytes long, an odd length: a token file holds whole uint16 token ids (2 bytes each).`, {
      received: handle.size,
      expected: 'an even byte length',
      fix: 'write the tokens as np.array(ids, dtype=np.uint16).tofile(path) (as nanoGPT does); the file may be truncated.',
    });
  }
  const tokens = handle.size / BYTES_PER_TOKEN;
  if (tokens < seqLen + 1) {
    await handle.close();
    throw new DataError(file, `the file holds ${tokens} tokens, fewer than one window of seqLen + 1 = ${seqLen + 1}.`, {
      received: tokens,
      expected: `at least ${seqLen + 1} tokens`,
      fix: 'lower seqLen or supply more tokens.',
    });
  }
  return handle;
}

function badToken(file: string, offset: number, id: number, vocab: number): DataError {
  return new DataError(file, `token id ${id} at byte offset ${offset} (token ${offset / BYTES_PER_TOKEN}) is not below the vocabulary size ${vocab}.`, {
    received: id,
    expected: `token ids 0..${vocab - 1}`,
    fix: 'set data.vocab to the tokenizer\'s vocabulary size (GPT-2: 50257), or check that the file holds uint16 little-endian ids.',
  });
}

/** Reads the whole file once, SCAN_CHUNK bytes at a time, and throws at the first token id >= vocab. */
async function scanFile(file: PositionalFile, vocab: number): Promise<void> {
  const buffer = new Uint8Array(SCAN_CHUNK);
  const view = new DataView(buffer.buffer);
  for (let at = 0; at < file.size; at += SCAN_CHUNK) {
    const length = Math.min(SCAN_CHUNK, file.size - at);
    await file.read(at, length, buffer);
    for (let b = 0; b < length; b += 2) {
      const id = view.getUint16(b, true);
      if (id >= vocab) throw badToken(file.path, at + b, id, vocab);
    }
  }
}

/** Draws `count` window starts with a seeded Rng, then reads each window (seqLen + 1 tokens) at its offset. */
async function readWindows(file: PositionalFile, count: number, seqLen: number, vocab: number, seed: number) {
  const tokens = file.size / BYTES_PER_TOKEN;
  const span = tokens - seqLen; // starts 0..tokens - seqLen - 1
  const rng = new Rng(seed);
  const starts = new Float64Array(count);
  // 53 random bits per start (two 32-bit draws), so every start of even a multi-gigabyte file can be drawn.
  for (let k = 0; k < count; k++) starts[k] = Math.floor(((rng.nextUint32() >>> 11) * 4294967296 + rng.nextUint32()) / 2 ** 53 * span);
  const inputs = new Int32Array(count * seqLen);
  const targets = new Int32Array(count * seqLen);
  const windowBytes = (seqLen + 1) * BYTES_PER_TOKEN;
  const buffer = new Uint8Array(windowBytes);
  const view = new DataView(buffer.buffer);
  // Read in file order (sequential-ish I/O), write into each example's slot.
  const order = Array.from({ length: count }, (_, k) => k).sort((a, b) => starts[a]! - starts[b]!);
  for (const k of order) {
    const offset = starts[k]! * BYTES_PER_TOKEN;
    await file.read(offset, windowBytes, buffer);
    for (let t = 0; t <= seqLen; t++) {
      const id = view.getUint16(t * 2, true);
      if (id >= vocab) throw badToken(file.path, offset + t * 2, id, vocab);
      if (t < seqLen) inputs[k * seqLen + t] = id;
      if (t > 0) targets[k * seqLen + t - 1] = id;
    }
  }
  return { split: makeSplit(inputs, [seqLen], targets, [seqLen]), starts };
}
