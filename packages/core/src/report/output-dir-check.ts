import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { RunFileError } from '../errors.js';
import { fileSystemError } from '../io/fs-errors.js';

/** f_type of pseudo file systems (Linux statfs magic numbers): files there are the kernel's, not data. */
const PSEUDO: Readonly<Record<number, string>> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x1373: 'devtmpfs',
  0x1cd1: 'devpts',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0xcafe4a11: 'bpf',
  0x6165676c: 'pstore',
  0x62656570: 'configfs',
  0xde5e81e4: 'efivarfs',
  0xf97cff8c: 'selinuxfs',
  0x65735543: 'fusectl',
  0x42494e4d: 'binfmt_misc',
  0x19800202: 'mqueue',
};
/** Below this much free space a disk counts as full: a run could not write even its records. */
const MIN_FREE = 64 << 10;

/** The path itself if it exists, else its nearest existing ancestor, with what it is. */
async function nearestExisting(path: string): Promise<{ path: string; isDirectory: boolean }> {
  for (let p = path; ; p = dirname(p)) {
    const info = await stat(p).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : err));
    if (info instanceof Error) {
      if (info.code === 'ENOTDIR') continue;
      throw fileSystemError(info, p, 'use the run directory under');
    }
    if (info !== undefined) return { path: p, isDirectory: info.isDirectory() };
    if (dirname(p) === p) return { path: p, isDirectory: true };
  }
}

/**
 * Checks, before anything is created, that a run directory can be made and written at `dir`: not a
 * file, not under a file, not in a pseudo file system such as /proc or /sys (where Node's recursive
 * mkdir never returns), writable (not read-only, permission), with free space. RunFileError
 * (E_RUN_FILE) naming the directory, what is wrong and a fix; nothing is written.
 */
export async function checkOutputDir(dir: string): Promise<void> {
  const target = resolve(dir);
  const found = await nearestExisting(target);
  const other = 'choose another directory with --out (runs/<name> inside the project is the default).';
  if (!found.isDirectory) {
    const what = found.path === target ? 'it is a file, not a directory.' : `'${found.path}' is a file, so no directory can be made under it (ENOTDIR).`;
    throw new RunFileError(dir, 'use the run directory', what, { fix: `move the file away, or ${other}`, systemCode: 'ENOTDIR' });
  }
  const fs = await statfs(found.path).catch(() => undefined);
  const pseudo = fs === undefined ? undefined : PSEUDO[fs.type];
  const prefix = ['/proc', '/sys'].find((p) => target === p || target.startsWith(p + sep));
  if (pseudo !== undefined || prefix !== undefined) {
    throw new RunFileError(dir, 'use the run directory', `it is in ${pseudo === undefined ? prefix : `a ${pseudo}`} pseudo file system, whose files are the kernel's, not data (Node's recursive mkdir does not return there).`, { fix: other });
  }
  try {
    await access(found.path, constants.W_OK);
  } catch (err) {
    throw fileSystemError(err, dir, found.path === target ? 'write into the run directory' : 'create the run directory');
  }
  if (fs !== undefined && fs.bavail * fs.bsize < MIN_FREE) {
    throw new RunFileError(dir, 'write the run directory', `the disk holding '${found.path}' is full (${fs.bavail * fs.bsize} bytes free, ENOSPC).`, { fix: `free disk space, or ${other}`, systemCode: 'ENOSPC' });
  }
}
