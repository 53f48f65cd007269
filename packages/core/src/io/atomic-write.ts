import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { RunFileError } from '../errors.js';
import { fileSystemError } from './fs-errors.js';

/**
 * Writes a file so that readers see either the old content or the complete new one, never a partial
 * file: the data goes to a temporary file in the same directory, is flushed to disk, then renamed
 * over the target (rename is atomic within a file system). A failure (a full disk, a read-only file
 * system) removes the temporary file, leaves the target as it was and throws RunFileError
 * (E_RUN_FILE) naming the target and the reason.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  return writeFileAtomicVia(path, data, basename(path));
}

/**
 * writeFileAtomic with the temporary file named after `tmpStem` instead of the target, for a target
 * whose name must not show in it (a reader that picks files by name, such as TensorBoard's
 * 'tfevents', would read a half-written one).
 */
export async function writeFileAtomicVia(path: string, data: string | Uint8Array, tmpStem: string): Promise<void> {
  const tmp = join(dirname(path), `.${tmpStem}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fileSystemError(err, path, 'write');
  }
}

/**
 * Fills a directory atomically: `fill` writes into a temporary sibling directory, which is then
 * renamed to `path` (replacing nothing: fails if `path` exists). A crash leaves only a '.tmp' sibling;
 * a failure removes it and throws (file system failures as RunFileError naming `path`).
 */
export async function writeDirAtomic(path: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true });
    await mkdir(tmp);
  } catch (err) {
    throw fileSystemError(err, path, 'write');
  }
  try {
    await fill(tmp);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    // A file that failed inside the temporary directory is named where it was to be: inside `path`.
    if (err instanceof RunFileError && (err.path === tmp || err.path.startsWith(tmp + sep))) {
      throw new RunFileError(join(path, relative(tmp, err.path)), err.operation, err.reason, { fix: err.fix, cause: err.cause, ...(err.systemCode === undefined ? {} : { systemCode: err.systemCode }) });
    }
    throw fileSystemError(err, path, 'write');
  }
}
