import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDirAtomic, writeFileAtomic } from './atomic-write.js';

describe('atomic writes', () => {
  it('replaces a file whole and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-aw-'));
    const path = join(dir, 'a.json');
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new content');
    expect(await readFile(path, 'utf8')).toBe('new content');
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('leaves the target untouched and cleans up when filling a directory fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-aw-'));
    const target = join(dir, 'step-1');
    await expect(
      writeDirAtomic(target, async (tmp) => {
        await writeFile(join(tmp, 'half'), 'x');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await readdir(dir)).toEqual([]);
    await writeDirAtomic(target, async (tmp) => writeFile(join(tmp, 'w'), 'ok'));
    expect(await readFile(join(target, 'w'), 'utf8')).toBe('ok');
    expect(await readdir(dir)).toEqual(['step-1']);
  });
});
