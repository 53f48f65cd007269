import { DataError } from '@flatsparse/plugin-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetFromConfig } from './config.js';
import { firstInvalidUtf8, GPT2_VOCABULARY, textDataset } from './text.js';

let root: string;
let file: string;
const TEXT = 'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse. '.repeat(20);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'flatsparse-text-'));
  file = join(root, 'moby.txt');
  await writeFile(file, TEXT);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('textDataset', () => {
  it('tokenizes with bytes (vocabulary 256) like text-files', async () => {
    const data = await textDataset({ path: file, seqLen: 12, tokenizer: 'bytes' });
    expect(data).toMatchObject({ name: 'text', kind: 'text', classes: 256 });
    expect(data.train.inputShape).toEqual([12]);
    const start = data.windows.train[0]!;
    expect(Array.from(data.train.inputs.subarray(0, 12))).toEqual(Array.from(Buffer.from(TEXT).subarray(start, start + 12)));
  });

  it("tokenizes with GPT-2's byte-level BPE (vocabulary 50257), int32 windows and shifted targets", async () => {
    const data = await textDataset({ path: file, seqLen: 8, tokenizer: 'gpt2' });
    expect(data.classes).toBe(GPT2_VOCABULARY);
    expect(data.train.inputs).toBeInstanceOf(Int32Array);
    expect(data.train.inputShape).toEqual([8]);
    expect(data.train.targetShape).toEqual([8]);
    // GPT-2 ids: ' Call' 4889, ' me' 502, ' Ishmael' 1148 21720 417 (the text repeats, so every window holds some).
    const all = [...data.train.inputs, ...data.heldOut.inputs];
    for (const id of [4889, 502, 1148, 21720, 417]) expect(all).toContain(id);
    expect(Math.max(...all)).toBeLessThan(GPT2_VOCABULARY);
    expect(Array.from(data.train.targets.subarray(0, 7))).toEqual(Array.from(data.train.inputs.subarray(1, 8)));
    // Far fewer tokens than bytes.
    const bytes = await textDataset({ path: file, seqLen: 8 });
    expect(data.boundary).toBeLessThan(bytes.boundary / 3);
  });

  it('is deterministic by seed with training windows before the held-out tail', async () => {
    const a = await textDataset({ path: file, seqLen: 8, tokenizer: 'gpt2', seed: 5 });
    const b = await textDataset({ path: file, seqLen: 8, tokenizer: 'gpt2', seed: 5 });
    const c = await textDataset({ path: file, seqLen: 8, tokenizer: 'gpt2', seed: 6 });
    expect(b.train.inputs).toEqual(a.train.inputs);
    expect(c.windows.train).not.toEqual(a.windows.train);
    for (const s of a.windows.train) expect(s + 9).toBeLessThanOrEqual(a.boundary);
    for (const s of a.windows.heldOut) expect(s).toBeGreaterThanOrEqual(a.boundary);
  });

  it('is the text source of data configs', async () => {
    const data = await datasetFromConfig({ source: 'text', paths: [file, file], tokenizer: 'gpt2', seqLen: 6, trainSize: 4, heldOutSize: 2 });
    expect(data.classes).toBe(GPT2_VOCABULARY);
    expect([data.train.size, data.heldOut.size]).toEqual([4, 2]);
  });

  it('names a file that is not UTF-8 and the byte offset of the first invalid sequence (gpt2 only)', async () => {
    const bad = join(root, 'latin1.txt');
    await writeFile(bad, Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait '.repeat(30))]));
    const error = await textDataset({ paths: [file, bad], tokenizer: 'gpt2', seqLen: 4 }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).code).toBe('E_DATA');
    expect((error as DataError).message).toContain(`Data source '${bad}': the file is not valid UTF-8: the first invalid byte sequence is at byte offset 3.`);
    await expect(textDataset({ path: bad, tokenizer: 'bytes', seqLen: 4 })).resolves.toBeDefined();
    const short = join(root, 'short.txt');
    await writeFile(short, 'Call me Ishmael.');
    const tooShort = await textDataset({ path: short, tokenizer: 'gpt2', seqLen: 8 }).then(() => undefined, (e: unknown) => e);
    expect((tooShort as DataError).message).toContain(`Data source '${short}': the text has 6 tokens, shorter than one window of seqLen + 1 = 9 tokens.`);
    const missing = await textDataset({ path: join(root, 'none.txt') }).then(() => undefined, (e: unknown) => e);
    expect((missing as DataError).message).toContain('does not exist');
  });

  it('finds the first invalid UTF-8 sequence', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo €'))).toBe(Buffer.from('héllo €').length);
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xc3]))).toBe(1); // truncated
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0x80]))).toBe(1); // stray continuation
    expect(firstInvalidUtf8(Uint8Array.from([0xc0, 0x80]))).toBe(0); // overlong
    expect(firstInvalidUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
  });
});
