import { DataError } from '@flatsparse/plugin-api';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetFromConfig } from './config.js';
import { tokenFileDataset } from './token-file.js';

/** uint16 little-endian token ids, as nanoGPT's np.uint16 .tofile() writes them. */
function tokens(ids: ArrayLike<number>): Buffer {
  const buffer = Buffer.alloc(ids.length * 2);
  for (let i = 0; i < ids.length; i++) buffer.writeUInt16LE(ids[i]!, i * 2);
  return buffer;
}

async function writeTokenDir(name: string, train: Buffer | undefined, val: Buffer | undefined): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  if (train !== undefined) await writeFile(join(dir, 'train.bin'), train);
  if (val !== undefined) await writeFile(join(dir, 'val.bin'), val);
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
const VOCAB = 1000;
// Token i of train.bin is i % 997 (so a window's content gives away its offset), val.bin is 500 + i % 300.
const TRAIN = Array.from({ length: 5000 }, (_, i) => i % 997);
const VAL = Array.from({ length: 800 }, (_, i) => 500 + (i % 300));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'flatsparse-token-file-'));
  good = await writeTokenDir('good', tokens(TRAIN), tokens(VAL));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('tokenFileDataset', () => {
  it('reads windows of seqLen + 1 tokens as int32 inputs and next-token targets [seqLen]', async () => {
    const data = await tokenFileDataset({ dir: good, vocab: VOCAB, seqLen: 16, trainSize: 40, heldOutSize: 10 });
    expect(data).toMatchObject({ name: 'token-file', kind: 'text', classes: VOCAB, tokens: { train: 5000, heldOut: 800 } });
    expect(data.train.inputShape).toEqual([16]);
    expect(data.train.targetShape).toEqual([16]);
    expect(data.train.inputs).toBeInstanceOf(Int32Array);
    expect(data.train.targets).toBeInstanceOf(Int32Array);
    expect([data.train.size, data.heldOut.size]).toEqual([40, 10]);
    for (let k = 0; k < 40; k++) {
      const start = data.windows.train[k]!;
      expect(start >= 0 && start <= 5000 - 17).toBe(true);
      expect(Array.from(data.train.inputs.subarray(k * 16, k * 16 + 16))).toEqual(TRAIN.slice(start, start + 16));
      expect(Array.from(data.train.targets.subarray(k * 16, k * 16 + 16))).toEqual(TRAIN.slice(start + 1, start + 17));
    }
    for (let k = 0; k < 10; k++) {
      const start = data.windows.heldOut[k]!;
      expect(Array.from(data.heldOut.inputs.subarray(k * 16, k * 16 + 16))).toEqual(VAL.slice(start, start + 16));
    }
  });

  it('samples windows deterministically by seed; the splits come from different files', async () => {
    const a = await tokenFileDataset({ dir: good, vocab: VOCAB, seqLen: 8, trainSize: 30, heldOutSize: 5, seed: 7 });
    const b = await tokenFileDataset({ dir: good, vocab: VOCAB, seqLen: 8, trainSize: 30, heldOutSize: 5, seed: 7 });
    const c = await tokenFileDataset({ dir: good, vocab: VOCAB, seqLen: 8, trainSize: 30, heldOutSize: 5, seed: 8 });
    expect(b.windows).toEqual(a.windows);
    expect(b.train.inputs).toEqual(a.train.inputs);
    expect(c.windows.train).not.toEqual(a.windows.train);
    // train.bin ids are < 997 and val.bin ids >= 500 with a different pattern: no held-out window equals a training window.
    const trainWindows = new Set(Array.from({ length: 30 }, (_, k) => a.train.inputs.subarray(k * 8, k * 8 + 8).join(',')));
    for (let k = 0; k < 5; k++) expect(trainWindows.has(a.heldOut.inputs.subarray(k * 8, k * 8 + 8).join(','))).toBe(false);
  });

  it('reads a 3 GiB file by windows, never whole (a whole read of it would exceed the largest Buffer a file read may fill)', async () => {
    // A sparse file: 3 GiB long, no disk blocks, every token 0.
    const dir = await writeTokenDir('sparse', Buffer.alloc(0), tokens(VAL));
    await truncate(join(dir, 'train.bin'), 3 * 2 ** 30);
    const before = process.memoryUsage().rss;
    const data = await tokenFileDataset({ dir, vocab: VOCAB, seqLen: 32, trainSize: 256, heldOutSize: 8, seed: 2 });
    expect(data.tokens.train).toBe(3 * 2 ** 29);
    expect(Math.max(...data.windows.train)).toBeGreaterThan(2 ** 30); // offsets beyond 2 GiB are drawn and read
    expect(data.train.inputs.every((v) => v === 0)).toBe(true);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
  });

  it('is the token-file source of data configs', async () => {
    const data = await datasetFromConfig({ source: 'token-file', dir: good, vocab: VOCAB, seqLen: 4, trainSize: 3, heldOutSize: 2 });
    expect(data.train.inputShape).toEqual([4]);
    expect(data.heldOut.size).toBe(2);
  });

  it('names a missing train.bin or val.bin', async () => {
    const noVal = await writeTokenDir('no-val', tokens(TRAIN), undefined);
    expect((await dataError(tokenFileDataset({ dir: noVal, vocab: VOCAB }))).message).toContain(`Data source '${join(noVal, 'val.bin')}': the file '${join(noVal, 'val.bin')}' does not exist.`);
    const noTrain = await writeTokenDir('no-train', undefined, tokens(VAL));
    expect((await dataError(tokenFileDataset({ dir: noTrain, vocab: VOCAB }))).source).toBe(join(noTrain, 'train.bin'));
  });

  it('names a file of odd byte length and its length', async () => {
    const dir = await writeTokenDir('odd', tokens(TRAIN), Buffer.concat([tokens(VAL), Buffer.from([1])]));
    const error = await dataError(tokenFileDataset({ dir, vocab: VOCAB }));
    expect(error.source).toBe(join(dir, 'val.bin'));
    expect(error.message).toContain('the file is 1601 bytes long, an odd length');
    expect(error.received).toBe(1601);
  });

  it('names a file shorter than one window', async () => {
    const dir = await writeTokenDir('short', tokens(TRAIN), tokens([1, 2, 3]));
    expect((await dataError(tokenFileDataset({ dir, vocab: VOCAB, seqLen: 8 }))).message).toContain('the file holds 3 tokens, fewer than one window of seqLen + 1 = 9.');
  });

  it('names the file and byte offset of a token id beyond the vocabulary, in the windows read or anywhere with scan: full', async () => {
    // Every token of val.bin from 200 on is out of range: the windows read find one.
    const bad = VAL.map((v, i) => (i >= 200 ? 4000 : v));
    const dir = await writeTokenDir('beyond', tokens(TRAIN), tokens(bad));
    const error = await dataError(tokenFileDataset({ dir, vocab: VOCAB, seqLen: 8, heldOutSize: 50 }));
    expect(error.source).toBe(join(dir, 'val.bin'));
    expect(error.message).toMatch(/token id 4000 at byte offset (\d+) \(token (\d+)\) is not below the vocabulary size 1000\./);
    const offset = Number(/byte offset (\d+)/.exec(error.message)![1]);
    expect(offset >= 400 && offset % 2 === 0).toBe(true);
    // One bad id at token 4321 of train.bin: a few windows may miss it, the full scan finds exactly it.
    const one = TRAIN.slice();
    one[4321] = 65535;
    const dir2 = await writeTokenDir('beyond-one', tokens(one), tokens(VAL));
    const full = await dataError(tokenFileDataset({ dir: dir2, vocab: VOCAB, seqLen: 8, trainSize: 2, scan: 'full' }));
    expect(full.message).toContain(`Data source '${join(dir2, 'train.bin')}': token id 65535 at byte offset 8642 (token 4321) is not below the vocabulary size 1000.`);
    await expect(tokenFileDataset({ dir: dir2, vocab: 65536, seqLen: 8, trainSize: 2, scan: 'full' })).resolves.toBeDefined();
  });
});
