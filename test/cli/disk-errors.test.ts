import { main } from '@flatsparse/cli';
import { decodeSafetensors } from '@flatsparse/core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';
import { cleanup, configFile, snapshot, tempDir, tinyConfig } from './run-dir-fixtures.js';

const made: string[] = [];
const mounts: string[] = [];
afterAll(async () => {
  for (const m of mounts.splice(0)) execFileSync('umount', [m]);
  await cleanup(made);
});

async function flatsparse(...argv: string[]): Promise<{ code: number; text: string }> {
  const io = recordingIo();
  const code = await main(argv, io);
  return { code, text: io.text() };
}

/** Mounts a small tmpfs (a disk that can be full or read-only); undefined where mounting is not allowed (not root). */
async function smallDisk(options: string): Promise<string | undefined> {
  const at = join(await tempDir('fs-disk-', made), 'mnt');
  await mkdir(at);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  mounts.push(at);
  return at;
}

/** Every file below `dir`, recursively. */
async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Whether a tmpfs can be mounted here (root with CAP_SYS_ADMIN), decided when the file is collected. */
function canMount(): boolean {
  const at = mkdtempSync(join(tmpdir(), 'fs-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', at], { stdio: 'ignore' });
    execFileSync('umount', [at]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(at, { recursive: true, force: true });
  }
}
const mountable = canMount();
const isRoot = process.getuid?.() === 0;
let dir: string;
let config: string;
beforeAll(async () => {
  dir = await tempDir('fs-disk-', made);
  config = await configFile(dir, 'c.yaml', tinyConfig({ steps: 6 }));
  if (!mountable) console.warn('disk-errors: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): the full and read-only disk cases skip');
  if (isRoot) console.warn('disk-errors: running as root, which may write anywhere: the permission case skips');
});

describe('file and disk failures are coded errors with the path and a fix', () => {
  it('an --out that is a file, or under a file, is refused before anything is written', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'keep me');
    const onFile = await flatsparse('run', config, '--out', file, '--quiet');
    expect(onFile.code).toBe(2);
    expect(onFile.text).toContain(`[E_RUN_FILE] Cannot use the run directory '${file}': it is a file, not a directory.`);
    const under = await flatsparse('run', config, '--out', join(file, 'run'), '--quiet');
    expect(under.code).toBe(2);
    expect(under.text).toContain(`'${file}' is a file, so no directory can be made under it (ENOTDIR)`);
    expect(under.text).toMatch(/Fix: move the file away, or choose another directory with --out/);
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });

  it.each(['/proc/flatsparse-test/run', '/sys/flatsparse-test'])('an --out in a pseudo file system (%s) is refused before mkdir', async (out) => {
    const { code, text } = await flatsparse('run', config, '--out', out, '--quiet');
    expect(code).toBe(2);
    expect(text).toMatch(new RegExp(`Cannot use the run directory '${out}': it is in a (proc|sysfs|/proc|/sys) pseudo file system`));
  });

  it.skipIf(isRoot)('an --out in a directory without write permission is refused (EACCES)', async () => {
    const locked = join(dir, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o555);
    const { code, text } = await flatsparse('run', config, '--out', join(locked, 'run'), '--quiet');
    expect(code).toBe(2);
    expect(text).toMatch(/Cannot create the run directory '.*locked\/run': permission denied \(EACCES\)/);
  });

  it.skipIf(!mountable)('an --out on a read-only disk is refused (EROFS)', async () => {
    const ro = (await smallDisk('ro,size=64k'))!;
    const { code, text } = await flatsparse('run', config, '--out', join(ro, 'run'), '--quiet');
    expect(code).toBe(2);
    expect(text).toContain(`[E_RUN_FILE] Cannot create the run directory '${join(ro, 'run')}': the file system is read-only (EROFS). Fix: write to a writable disk`);
  });

  it.skipIf(!mountable)('a full disk: refused before the run when already full; mid-run, E_RUN_FILE with no half-written file, and the run resumes once there is space', async () => {
    const disk = (await smallDisk('size=2m'))!;
    await writeFile(join(disk, 'filler'), Buffer.alloc(2000 * 1024));
    const full = await flatsparse('run', config, '--out', join(disk, 'run'), '--quiet');
    expect(full.code).toBe(2);
    expect(full.text).toMatch(/Cannot write the run directory '.*': the disk holding '.*' is full \(\d+ bytes free, ENOSPC\)/);
    expect(await readdir(disk)).toEqual(['filler']);

    // About 1 MiB free; every checkpoint of this model takes about 0.6 MiB, and two exist until the older is pruned.
    await truncate(join(disk, 'filler'), 1024 * 1024);
    const big = await configFile(dir, 'big.yaml', tinyConfig({ d: 64, steps: 12, train: ', keepCheckpoints: 1' }).replace('mlpWidth: 8', 'mlpWidth: 256'));
    const runDir = join(disk, 'run');
    const failed = await flatsparse('run', big, '--out', runDir, '--quiet');
    expect(failed.code).toBe(2);
    expect(failed.text).toMatch(/\[E_RUN_FILE\] Cannot write '.*checkpoints\/step-\d{8}(\/[a-z.]+)?': no space is left on the device \(ENOSPC\)\. .*Fix: free disk space/);
    const left = await files(runDir);
    expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    for (const f of left.filter((f) => f.endsWith('.safetensors'))) {
      const bytes = new Uint8Array(await readFile(f));
      expect(() => decodeSafetensors(bytes, f)).not.toThrow();
    }
    for (const line of (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    expect(JSON.parse(await readFile(join(runDir, 'failure.json'), 'utf8'))).toMatchObject({ code: 'E_RUN_FILE' });

    await rm(join(disk, 'filler'));
    const resumed = await flatsparse('run', big, '--resume', runDir, '--quiet');
    expect(resumed.code, resumed.text).toBe(0);
    expect(resumed.text).toMatch(/resuming .* from step [1-9]/);
  });
});

describe('truncated or corrupt safetensors files are refused before any work, and flatness keeps what it finished', () => {
  let runDir: string;
  beforeAll(async () => {
    runDir = join(dir, 'run');
    expect((await flatsparse('run', config, '--out', runDir, '--quiet')).code).toBe(0);
  });

  it('eval of a model.safetensors 4 bytes short: E_CHECKPOINT naming the file', async () => {
    const copy = join(dir, 'short.safetensors');
    await copyFile(join(runDir, 'model.safetensors'), copy);
    await truncate(copy, (await readFile(copy)).length - 4);
    const { code, text } = await flatsparse('eval', runDir, '--weights', copy);
    expect(code).toBe(2);
    expect(text).toContain(`[E_CHECKPOINT] Checkpoint '${copy}': is truncated:`);
  });

  it('flatness on a run with a truncated checkpoint fails before the first estimate; a checkpoint that fails mid-way keeps the estimates finished before it', async () => {
    const broken = join(dir, 'broken');
    await mkdir(broken);
    execFileSync('cp', ['-r', runDir + '/.', broken]);
    const model = join(broken, 'checkpoints', 'step-00000006', 'model.safetensors');
    await truncate(model, (await readFile(model)).length - 4);
    const before = await snapshot(broken);
    const early = await flatsparse('flatness', broken, '--estimators', 'hessian-trace', '--batch', '4');
    expect(early.code).toBe(2);
    expect(early.text).toContain(`Checkpoint '${model}': is truncated`);
    expect(await snapshot(broken)).toEqual(before);

    // A checkpoint of another model: a valid file whose shapes do not fit, found only when it is loaded.
    const other = join(dir, 'other');
    expect((await flatsparse('run', await configFile(dir, 'other.yaml', tinyConfig({ steps: 6, d: 12 })), '--out', other, '--quiet')).code).toBe(0);
    await copyFile(join(other, 'checkpoints', 'step-00000006', 'model.safetensors'), model);
    const late = await flatsparse('flatness', broken, '--estimators', 'hessian-trace', '--batch', '4');
    expect(late.code).toBe(2);
    expect(late.text).toMatch(/kept the estimates of the 1 checkpoint\(s\) that finished/);
    const kept = (await readFile(join(broken, 'flatness-checkpoints.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { step: number; estimator: string });
    expect(kept.map((r) => [r.step, r.estimator])).toEqual([[3, 'hessian-trace']]);
  });
});
