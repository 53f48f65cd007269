import { DataError } from '@flatsparse/plugin-api';

/**
 * Node-only helpers, imported lazily so that importing @flatsparse/data has no side effects and
 * does not pull Node built-ins into a browser bundle until a loader that needs them is called.
 */

/** Reads a whole file as bytes; a missing, unreadable or directory path throws a DataError naming it. */
export async function readBytes(path: string, source: string): Promise<Uint8Array> {
  const { readFile } = await nodeBuiltin(() => import('node:fs/promises'), source);
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    const what =
      code === 'ENOENT' ? `the file '${path}' does not exist.`
      : code === 'EISDIR' ? `'${path}' is a directory, not a file.`
      : code === 'EACCES' ? `the file '${path}' cannot be read (permission denied).`
      : `the file '${path}' cannot be read (${code ?? 'unknown error'}).`;
    throw new DataError(source, what, {
      received: path,
      expected: 'a readable file',
      fix: 'check the path (relative paths are resolved from the current working directory) and its permissions.',
      cause,
    });
  }
}

/** Loads a CommonJS package installed next to @flatsparse/data; throws a DataError saying how to install it. */
export async function requirePackage<T>(specifier: string, source: string, install: string): Promise<T> {
  const { createRequire } = await nodeBuiltin(() => import('node:module'), source);
  const require = createRequire(import.meta.url);
  try {
    return require(specifier) as T;
  } catch (cause) {
    throw new DataError(source, `the package '${specifier}' is not installed or cannot be loaded.`, {
      received: cause instanceof Error ? cause.message.split('\n')[0] : cause,
      expected: `'${specifier}' resolvable from @flatsparse/data`,
      fix: `install it: ${install}`,
      cause,
    });
  }
}

/** Resolves a file inside an installed package (for data files a package ships). */
export async function resolvePackageFile(specifier: string, source: string, install: string): Promise<string> {
  const { createRequire } = await nodeBuiltin(() => import('node:module'), source);
  try {
    return createRequire(import.meta.url).resolve(specifier);
  } catch (cause) {
    throw new DataError(source, `cannot find '${specifier}': the package is not installed or is a different version.`, {
      received: cause instanceof Error ? cause.message.split('\n')[0] : cause,
      fix: `install it: ${install}`,
      cause,
    });
  }
}

async function nodeBuiltin<T>(load: () => Promise<T>, source: string): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    throw new DataError(source, 'this loader reads files and needs Node.js (node:fs, node:module are unavailable here).', {
      fix: 'run it under Node.js 20+, or build the data set in the browser with imageArrayDataset({ inputs, labels }) from typed arrays.',
      cause,
    });
  }
}

/** The DataError for a file or folder that could not be opened, named by its system error code. */
function unreadable(source: string, path: string, kind: 'file' | 'folder', cause: unknown): DataError {
  const code = (cause as { code?: string }).code;
  const what =
    code === 'ENOENT' ? `the ${kind} '${path}' does not exist.`
    : code === 'ENOTDIR' && kind === 'folder' ? `'${path}' is a file, not a folder.`
    : code === 'EISDIR' && kind === 'file' ? `'${path}' is a directory, not a file.`
    : `the ${kind} '${path}' cannot be read (${code ?? 'unknown error'}).`;
  return new DataError(source, what, { received: path, expected: `a readable ${kind}`, fix: 'check the path (relative paths are resolved from the current working directory) and its permissions.', cause });
}

/** Lists a directory's entries (names and whether each is a folder); a missing or unreadable one throws a DataError naming it. */
export async function listDir(path: string, source: string): Promise<{ name: string; isDir: boolean }[]> {
  const { readdir } = await nodeBuiltin(() => import('node:fs/promises'), source);
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.map((e) => ({ name: e.name, isDir: e.isDirectory() }));
  } catch (cause) {
    throw unreadable(source, path, 'folder', cause);
  }
}

/** A file opened for reads at positions: its size, and `read(offset, length)` into a fresh small buffer. */
export interface PositionalFile {
  readonly path: string;
  readonly size: number;
  /** Reads exactly `length` bytes at byte `offset` (throws a DataError naming the file when it ends early). */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens a file for positional reads (never reading it whole); a missing file throws a DataError naming it. */
export async function openPositional(path: string, source: string): Promise<PositionalFile> {
  const { open } = await nodeBuiltin(() => import('node:fs/promises'), source);
  let handle: Awaited<ReturnType<typeof open>>;
  let size: number;
  try {
    handle = await open(path, 'r');
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    size = stat.size;
  } catch (cause) {
    throw unreadable(source, path, 'file', cause);
  }
  const h = handle;
  return {
    path,
    size,
    async read(offset, length, into) {
      const buffer = into ?? new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await h.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) {
          throw new DataError(source, `the file '${path}' ended at byte ${offset + done} while reading ${length} bytes at offset ${offset} (it changed while being read?).`, { received: size, fix: 'do not rewrite the file during a run.' });
        }
        done += bytesRead;
      }
      return buffer;
    },
    close: () => h.close(),
  };
}
