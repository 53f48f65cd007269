#!/usr/bin/env node
/**
 * Memory of the token-file data source against file size: generates nanoGPT-style token files
 * (train.bin of 20 MB and of 2 GB, uint16 ids below GPT-2's 50257, val.bin of 2 MB) in a temporary
 * folder, then, in a fresh Node process per file, loads the data set (N batches of B windows of seqLen + 1
 * tokens, read at their offsets) and walks it batch by batch, and prints the process's peak RSS. Then
 * the same with scan: 'full' (every token of both files checked before the windows are read).
 * Needs packages/data built (`pnpm build`). Options: --sizes 20,2048 (MB), --batches N (default 64),
 * --batch B (default 32), --seqLen T (default 256), --keep (leave the files). See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const DATA = new URL('../packages/data/dist/index.js', import.meta.url);

if (process.argv[2] === '--child') {
  // One measurement: load the data set, walk its batches, report peak RSS (KiB -> MiB) and times.
  const [dir, batches, batch, seqLen, scan] = process.argv.slice(3);
  const { tokenFileDataset } = await import(DATA.href);
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const data = await tokenFileDataset({ dir, vocab: 50257, seqLen: Number(seqLen), trainSize: Number(batches) * Number(batch), heldOutSize: Number(batch), scan, seed: 1 });
  const loadMs = performance.now() - t0;
  let checksum = 0;
  const per = Number(batch) * Number(seqLen);
  for (let b = 0; b < Number(batches); b++) {
    const inputs = data.train.inputs.subarray(b * per, (b + 1) * per);
    checksum = (checksum + inputs[0] + inputs[per - 1]) % 1e9;
  }
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ loadMs, peakRssMiB: peak, startRssMiB: before / 2 ** 20, tokens: data.tokens.train, windows: data.train.size, checksum }));
  process.exit(0);
}

if (!existsSync(fileURLToPath(DATA))) {
  console.error('packages/data is not built: run `pnpm build` (or `pnpm --filter @flatsparse/data build`) first.');
  process.exit(1);
}
const sizes = option('sizes', '20,2048').split(',').map(Number);
const batches = Number(option('batches', '64'));
const batch = Number(option('batch', '32'));
const seqLen = Number(option('seqLen', '256'));
const root = await mkdtemp(join(tmpdir(), 'flatsparse-tokens-bench-'));

/** Writes `bytes` bytes of uint16 little-endian ids below 50257 (xorshift), 8 MiB at a time. */
async function writeTokens(path, bytes) {
  const handle = await open(path, 'w');
  const chunk = Buffer.alloc(8 << 20);
  let state = 0x9e3779b9 ^ bytes;
  try {
    for (let written = 0; written < bytes; written += chunk.length) {
      const n = Math.min(chunk.length, bytes - written);
      for (let i = 0; i < n; i += 2) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        chunk.writeUInt16LE((state >>> 0) % 50257, i);
      }
      await handle.write(chunk, 0, n);
    }
  } finally {
    await handle.close();
  }
}

const rows = [];
try {
  for (const mb of sizes) {
    const dir = join(root, `${mb}mb`);
    await mkdir(dir);
    const t0 = performance.now();
    await writeTokens(join(dir, 'train.bin'), mb * 2 ** 20);
    await writeTokens(join(dir, 'val.bin'), 2 * 2 ** 20);
    console.error(`generated ${mb} MB train.bin in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const scan of ['windows', 'full']) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dir, String(batches), String(batch), String(seqLen), scan], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(child.stderr || child.stdout);
      const r = JSON.parse(child.stdout.trim().split('\n').pop());
      rows.push({ mb, scan, ...r });
      console.error(`${mb} MB, scan ${scan}: peak RSS ${r.peakRssMiB.toFixed(1)} MiB, load ${(r.loadMs / 1000).toFixed(2)} s`);
    }
    if (!process.argv.includes('--keep')) await rm(dir, { recursive: true, force: true });
  }
} finally {
  if (!process.argv.includes('--keep')) await rm(root, { recursive: true, force: true });
}

console.log(`\ntoken-file: ${batches} batches x ${batch} windows of seqLen ${seqLen} (+1) from train.bin, ${batch} from val.bin; Node ${process.version}`);
console.log('| train.bin | scan | tokens | peak RSS (MiB) | load time (s) |');
console.log('|---:|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.mb >= 1024 ? `${(r.mb / 1024).toFixed(0)} GiB` : `${r.mb} MiB`} | ${r.scan} | ${r.tokens} | ${r.peakRssMiB.toFixed(1)} | ${(r.loadMs / 1000).toFixed(2)} |`);
