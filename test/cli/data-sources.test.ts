import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, startCli } from './cli-process.js';
import { cleanup, configFile, tempDir } from './run-dir-fixtures.js';

/** An 8x8 RGBA image: a bright square in the top-left quarter for class 0, bottom-right for class 1, with seeded noise. */
function rgba(label: number, index: number): Buffer {
  const data = Buffer.alloc(8 * 8 * 4);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const inside = label === 0 ? x < 4 && y < 4 : x >= 4 && y >= 4;
      const v = (inside ? 200 : 30) + ((index * 31 + x * 7 + y * 13) % 40);
      data.fill(v, (y * 8 + x) * 4, (y * 8 + x) * 4 + 3);
      data[(y * 8 + x) * 4 + 3] = 255;
    }
  }
  return data;
}

async function imageFolder(dir: string): Promise<string> {
  for (let i = 0; i < 12; i++) {
    await mkdir(join(dir, 'a'), { recursive: true });
    await mkdir(join(dir, 'b'), { recursive: true });
    const png = new PNG({ width: 8, height: 8 });
    rgba(0, i).copy(png.data);
    await writeFile(join(dir, 'a', `${i}.png`), PNG.sync.write(png));
    await writeFile(join(dir, 'b', `${i}.jpg`), jpeg.encode({ data: rgba(1, i), width: 8, height: 8 }, 95).data);
  }
  return dir;
}

async function tokenFiles(dir: string, vocab: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const write = (n: number, offset: number) => {
    const b = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) b.writeUInt16LE((i * 5 + offset) % vocab, i * 2);
    return b;
  };
  await writeFile(join(dir, 'train.bin'), write(4000, 0));
  await writeFile(join(dir, 'val.bin'), write(600, 3));
  return dir;
}

const TRAIN = 'train: { steps: 6, batchSize: 8, lr: 0.01, logEvery: 2, evalEvery: 3, checkpointEvery: 3 }';

function imageConfig(dir: string): string {
  return `
name: image-folder-tiny
seed: 1
model: { kind: vit, patch: 4, d: 8, depth: 1, heads: 2, mlpWidth: 8 }
data: { source: image-folder, dir: '${dir}', channels: 1, heldOutFraction: 0.25, seed: 2 }
metrics: [activation-sparsity]
${TRAIN}
`;
}

function tokenConfig(dir: string): string {
  return `
name: token-file-tiny
seed: 1
model: { kind: gpt, d: 8, depth: 1, heads: 2, mlpWidth: 16 }
data: { source: token-file, dir: '${dir}', vocab: 64, seqLen: 8, trainSize: 64, heldOutSize: 16, scan: full }
metrics: [activation-sparsity]
${TRAIN}
`;
}

async function jsonl(runDir: string): Promise<{ split: string; step: number; loss: number }[]> {
  return (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
}

const made: string[] = [];
let bin: string;
let dir: string;
beforeAll(async () => {
  bin = await builtCli();
  dir = await tempDir('fs-data-sources-', made);
}, 300_000);
afterAll(() => cleanup(made));

describe('data sources from disk through the CLI', () => {
  it('trains a tiny ViT on an image folder of PNG and JPEG files', async () => {
    const images = await imageFolder(join(dir, 'images'));
    const config = await configFile(dir, 'image.yaml', imageConfig(images));
    const runDir = join(dir, 'image-run');
    const { code, output } = await startCli(bin, ['run', config, '--out', runDir, '--quiet'], dir).ended;
    expect(code, output).toBe(0);
    const records = await jsonl(runDir);
    expect(records.filter((r) => r.split === 'train').length).toBeGreaterThan(0);
    expect(records.filter((r) => r.split === 'heldOut').length).toBeGreaterThan(0);
    for (const r of records) expect(Number.isFinite(r.loss)).toBe(true);
  }, 180_000);

  it('trains a tiny GPT on nanoGPT token files', async () => {
    const tokens = await tokenFiles(join(dir, 'tokens'), 64);
    const config = await configFile(dir, 'tokens.yaml', tokenConfig(tokens));
    const runDir = join(dir, 'token-run');
    const { code, output } = await startCli(bin, ['run', config, '--out', runDir, '--quiet'], dir).ended;
    expect(code, output).toBe(0);
    const records = await jsonl(runDir);
    expect(records.filter((r) => r.split === 'train').length).toBeGreaterThan(0);
    for (const r of records) expect(Number.isFinite(r.loss)).toBe(true);
  }, 180_000);

  it("trains a tiny GPT on a text file with GPT-2's BPE", async () => {
    const text = join(dir, 'corpus.txt');
    await writeFile(text, 'It was the best of times, it was the worst of times, it was the age of wisdom. '.repeat(40));
    const config = await configFile(dir, 'text.yaml', `
name: text-gpt2-tiny
seed: 1
model: { kind: gpt, d: 8, depth: 1, heads: 2, mlpWidth: 16 }
data: { source: text, path: '${text}', tokenizer: gpt2, seqLen: 8 }
metrics: [activation-sparsity]
${TRAIN}
`);
    const runDir = join(dir, 'text-run');
    const { code, output } = await startCli(bin, ['run', config, '--out', runDir, '--quiet'], dir).ended;
    expect(code, output).toBe(0);
    const records = await jsonl(runDir);
    expect(records.filter((r) => r.split === 'train').length).toBeGreaterThan(0);
    // The GPT's vocabulary is GPT-2's, taken from the data: a saved tensor has 50257 rows.
    const model = await readFile(join(runDir, 'model.safetensors'));
    const header = JSON.parse(model.subarray(8, 8 + Number(model.readBigUInt64LE(0))).toString('utf8')) as Record<string, { shape?: number[] }>;
    expect(Object.values(header).some((t) => t.shape?.includes(50257))).toBe(true);
  }, 180_000);

  it('refuses bad data with a coded error naming the file, before training starts', async () => {
    const images = await imageFolder(join(dir, 'bad-images'));
    await writeFile(join(images, 'b', '5.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 1, 2, 3]));
    // Not --quiet: the CLI would print 'backend: ...' once the backend starts; it never gets there, and makes no run directory.
    const imageRun = await startCli(bin, ['run', await configFile(dir, 'bad-image.yaml', imageConfig(images)), '--out', join(dir, 'bad-image-run')], dir).ended;
    expect(imageRun.code).not.toBe(0);
    expect(imageRun.output).toContain(`[E_DATA] Data source '${join(images, 'b', '5.jpg')}': the image cannot be decoded: corrupt JPEG`);
    expect(imageRun.output).not.toMatch(/backend: /);
    expect(existsSync(join(dir, 'bad-image-run'))).toBe(false);

    const tokens = await tokenFiles(join(dir, 'bad-tokens'), 64);
    await writeFile(join(tokens, 'val.bin'), Buffer.alloc(1201));
    const tokenRun = await startCli(bin, ['run', await configFile(dir, 'bad-tokens.yaml', tokenConfig(tokens)), '--out', join(dir, 'bad-token-run'), '--quiet'], dir).ended;
    expect(tokenRun.code).not.toBe(0);
    expect(tokenRun.output).toContain(`[E_DATA] Data source '${join(tokens, 'val.bin')}': the file is 1201 bytes long, an odd length`);
    expect(existsSync(join(dir, 'bad-token-run'))).toBe(false);
  }, 180_000);
});
