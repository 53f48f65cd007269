import { RunFileError } from '../errors.js';

/** What a system error code means for a path, and how to fix it. */
const MEANINGS: Readonly<Record<string, { readonly what: string; readonly fix: string }>> = {
  EACCES: { what: 'permission denied', fix: 'choose a directory you may write to (for example with --out), or give yourself write permission (chmod u+w).' },
  EPERM: { what: 'the operation is not permitted', fix: 'choose a directory you may write to (for example with --out), or change its permissions.' },
  EROFS: { what: 'the file system is read-only', fix: 'write to a writable disk (for example --out runs/<name> inside the project).' },
  ENOSPC: { what: 'no space is left on the device', fix: 'free disk space (fewer checkpoints: train.keepCheckpoints) or write to another disk with --out; a run resumes from its last checkpoint with --resume <run-dir>.' },
  EDQUOT: { what: 'the disk quota is exhausted', fix: 'free space within your quota or write to another disk with --out; a run resumes from its last checkpoint with --resume <run-dir>.' },
  EFBIG: { what: 'the file is larger than the file system or a file size limit (ulimit -f) allows', fix: 'raise the limit or write to another disk with --out.' },
  ENOTDIR: { what: 'a part of the path is a file, not a directory', fix: 'choose a path whose parents are directories (or move the file away).' },
  EISDIR: { what: 'it is a directory, not a file', fix: 'name a file, or move the directory away.' },
  EEXIST: { what: 'a file or directory is in the way', fix: 'move it away or choose another path.' },
  ENOENT: { what: 'it does not exist', fix: 'check the path.' },
  ENAMETOOLONG: { what: 'the path is too long', fix: 'choose a shorter path.' },
  EMFILE: { what: 'too many files are open', fix: 'raise the open-file limit (ulimit -n) and run again.' },
  EIO: { what: 'the device reported an input/output error', fix: 'check the disk (dmesg) and write to another one with --out.' },
};

/** Whether `err` is an error of a Node file system call (it has a string code such as 'ENOSPC' and a syscall). */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!) && 'syscall' in err;
}

/**
 * The error to raise for a failed file system call on `path`: a system error becomes RunFileError
 * (E_RUN_FILE) naming the path, the operation, the meaning of the code and a fix; anything else is
 * returned unchanged (it is not a file system failure).
 */
export function fileSystemError(err: unknown, path: string, operation: string): unknown {
  if (!isSystemError(err)) return err;
  const meaning = MEANINGS[err.code];
  const what = meaning === undefined ? `${err.message}.` : `${meaning.what} (${err.code}).`;
  return new RunFileError(path, operation, what, { fix: meaning?.fix ?? 'see the system error above.', cause: err, systemCode: err.code });
}

/** Runs a file system operation on `path`; a system error it throws becomes RunFileError. */
export async function onFile<T>(path: string, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fileSystemError(err, path, operation);
  }
}
