import { DataError } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { readBytes, requirePackage, resolvePackageFile } from './node-io.js';

describe('node-io', () => {
  it('requirePackage throws DataError saying how to install a package that is not there', async () => {
    const error = await requirePackage('flatsparse-no-such-package', 'mnist', 'pnpm add flatsparse-no-such-package').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).source).toBe('mnist');
    expect((error as DataError).message).toMatch(/'flatsparse-no-such-package' is not installed/);
    expect((error as DataError).fix).toBe('install it: pnpm add flatsparse-no-such-package');
  });

  it('resolvePackageFile throws DataError for a missing package file, and finds an installed one', async () => {
    await expect(resolvePackageFile('flatsparse-no-such-package/package.json', 'x', 'pnpm add it')).rejects.toThrow(DataError);
    expect(await resolvePackageFile('mnist/package.json', 'mnist', 'pnpm add mnist')).toMatch(/mnist[\\/]package\.json$/);
  });

  it('readBytes reads a file and names a missing one', async () => {
    const bytes = await readBytes(new URL('./node-io.ts', import.meta.url).pathname, 'self');
    expect(new TextDecoder().decode(bytes)).toContain('export async function readBytes');
    await expect(readBytes('/definitely/not/here.txt', 'src')).rejects.toThrow(/'\/definitely\/not\/here.txt' does not exist/);
  });
});
