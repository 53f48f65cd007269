import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FlatsparseError } from '@flatsparse/plugin-api';
import { fileSystemError } from './fs-errors.js';

/**
 * One writer per run directory. A run directory is owned by the process holding its lock file,
 * `.flatsparse-lock`: JSON naming the process (pid, its start time), the host (name, boot id, PID
 * namespace), when it was taken, the command and a random token. It is created complete or not at
 * all (written to a temporary file, then hard-linked into place: link() fails when the name exists,
 * atomically, on local disks and on NFS, where O_EXCL was long unreliable), before anything else is
 * written, and removed when the owner ends (released, or at process exit). A lock whose owner is
 * dead is stale: on the owner's host that is decided at once (no process with that pid and start
 * time, or the machine rebooted); from another host, by the lock's heartbeat: the owner touches the
 * file every `heartbeatMs`, and one untouched for `staleAfterMs` is stale. A stale lock is taken over
 * under a second lock (`.flatsparse-lock.takeover`), so two processes that find it stale at once
 * cannot both take it.
 */

/** The lock file's name in a run directory (not a run file: --overwrite keeps it). */
export const LOCK_FILE = '.flatsparse-lock';
const TAKEOVER_FILE = `${LOCK_FILE}.takeover`;

/** What a lock file says about its owner. */
export interface LockOwner {
  readonly pid: number;
  /** The process's start time in clock ticks since boot (Linux /proc), to tell a reused pid. */
  readonly pidStart?: string;
  readonly host: string;
  /** The kernel's boot id (Linux): a lock of this host from before a reboot is stale. */
  readonly bootId?: string;
  /** The PID namespace (Linux): pids of another container on the same host cannot be checked. */
  readonly pidNamespace?: string;
  /** When it was taken (ISO 8601). */
  readonly since: string;
  readonly command: string;
  readonly token: string;
}

/** How a lock's owner stands, seen from this process. */
export type OwnerState =
  | { readonly state: 'live'; readonly how: string }
  | { readonly state: 'dead'; readonly how: string };

/** Lock timing; defaults: heartbeat every 20 s, stale after 5 minutes without one (FLATSPARSE_LOCK_STALE_S). */
export interface LockTiming {
  readonly heartbeatMs?: number;
  readonly staleAfterMs?: number;
}

/** How to take a lock. */
export interface AcquireOptions extends LockTiming {
  /** What the owner is doing, recorded in the lock (default: this process's command line). */
  readonly command?: string;
  /** Wait this long for a live owner to finish (polling), instead of refusing at once. */
  readonly waitMs?: number;
  /** Called once when the lock is held by a live owner and this process starts waiting for it. */
  readonly onWait?: (owner: LockOwner) => void;
  /** Called when a stale lock of a dead owner was taken over. */
  readonly onTakeover?: (previous: LockOwner, how: string) => void;
  /** What the directory is, in messages (default 'run directory'). */
  readonly what?: string;
}

/** A held lock. */
export interface RunLock {
  readonly dir: string;
  readonly path: string;
  readonly owner: LockOwner;
  /** Whether another process took the lock over (it judged this owner dead: no heartbeat for too long). */
  readonly lost: boolean;
  /** Removes the lock if it is still this process's; idempotent. */
  release(): Promise<void>;
}

/** A run directory (or sweep) is owned by another live process. */
export class RunLockedError extends FlatsparseError {
  readonly owner: LockOwner;
  readonly dir: string;
  constructor(dir: string, owner: LockOwner, how: string, what = 'run directory', waitedMs = 0) {
    super('E_RUN_LOCKED', `The ${what} '${dir}' is being written by another process: pid ${owner.pid} on ${owner.host}, since ${owner.since} (${how}), running: ${owner.command}.${waitedMs > 0 ? ` Waited ${Math.round(waitedMs / 1000)} s for it to end.` : ''}`, {
      received: dir,
      expected: `a ${what} no other process writes`,
      fix: `let that run finish (or stop it: kill ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`}; it stops with a checkpoint, and --resume continues it), or write this run elsewhere with --out <new dir>. If that process is gone and its host cannot be reached, its lock goes stale ${Math.round(staleAfter() / 1000)} s after its last heartbeat; remove ${join(dir, LOCK_FILE)} by hand only when you are sure no process writes there.`,
    });
    this.owner = owner;
    this.dir = dir;
  }
}

/** This process lost its lock to another process (which judged it dead). */
export class RunLockLostError extends FlatsparseError {
  constructor(dir: string, by: LockOwner | undefined) {
    super('E_RUN_LOCK_LOST', `The lock of '${dir}' was taken over by ${by === undefined ? 'another process' : `pid ${by.pid} on ${by.host} (${by.command})`}: this run stopped writing, because two writers would mix their runs.`, {
      fix: 'this process went without a heartbeat for longer than the stale limit (suspended, or its disk unreachable): check which run now owns the directory; raise FLATSPARSE_LOCK_STALE_S where runs stall for minutes.',
    });
  }
}

function staleAfter(timing?: LockTiming): number {
  if (timing?.staleAfterMs !== undefined) return timing.staleAfterMs;
  const env = Number(process.env['FLATSPARSE_LOCK_STALE_S']);
  return Number.isFinite(env) && env > 0 ? env * 1000 : 300_000;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A process's start time in ticks (field 22 of /proc/<pid>/stat, after the command in parentheses). */
function pidStart(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

let self: Omit<LockOwner, 'since' | 'command' | 'token'> | undefined;
/** This process as a lock owner (host facts read once). */
function thisProcess(): Omit<LockOwner, 'since' | 'command' | 'token'> {
  if (self === undefined) {
    const start = pidStart(process.pid);
    const boot = readProc('/proc/sys/kernel/random/boot_id');
    const ns = pidNamespace();
    self = { pid: process.pid, host: hostname(), ...(start === undefined ? {} : { pidStart: start }), ...(boot === undefined ? {} : { bootId: boot }), ...(ns === undefined ? {} : { pidNamespace: ns }) };
  }
  return self;
}

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a lock's owner is alive, seen from here: on the same host (name, boot and PID namespace),
 * from its pid and start time; otherwise from the age of its heartbeat (`mtimeMs`, the lock file's).
 */
export function ownerState(owner: LockOwner, mtimeMs: number, timing?: LockTiming, now = Date.now()): OwnerState {
  const me = thisProcess();
  if (owner.host === me.host && owner.bootId !== undefined && me.bootId !== undefined && owner.bootId !== me.bootId) return { state: 'dead', how: `${owner.host} rebooted since it was taken` };
  const sameHost = owner.host === me.host && owner.bootId === me.bootId && owner.pidNamespace === me.pidNamespace;
  if (sameHost) {
    if (!pidExists(owner.pid)) return { state: 'dead', how: `no process ${owner.pid} on this host` };
    if (owner.pidStart !== undefined && me.pidStart !== undefined) {
      const start = pidStart(owner.pid);
      if (start !== undefined && start !== owner.pidStart) return { state: 'dead', how: `process ${owner.pid} is another process now (the pid was reused)` };
    }
    return { state: 'live', how: `process ${owner.pid} is running on this host` };
  }
  const age = now - mtimeMs;
  const limit = staleAfter(timing);
  if (age > limit) return { state: 'dead', how: `its heartbeat stopped ${Math.round(age / 1000)} s ago, more than the stale limit of ${Math.round(limit / 1000)} s (another host: its process cannot be checked from here)` };
  return { state: 'live', how: `another host; last heartbeat ${Math.max(0, Math.round(age / 1000))} s ago` };
}

/** The lock of `dir` and its file's modification time (the heartbeat), if there is one; an unreadable lock is reported as such. */
export async function readLock(dir: string): Promise<{ owner: LockOwner; mtimeMs: number } | { damaged: string; mtimeMs: number } | undefined> {
  const path = join(dir, LOCK_FILE);
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mtimeMs)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileSystemError(err, path, 'read the lock');
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string' || typeof owner.token !== 'string') return { damaged: 'it lacks pid, host or token', mtimeMs };
    return { owner, mtimeMs };
  } catch {
    return { damaged: 'it is not JSON', mtimeMs };
  }
}

/** Links `tmp` to `path`; false when `path` exists. On NFS a lost reply is detected by the link count. */
async function linkExclusive(tmp: string, path: string): Promise<boolean> {
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    const links = await stat(tmp).then((s) => s.nlink, () => 0);
    if (links === 2) return true;
    throw fileSystemError(err, path, 'create the lock');
  }
}

/** Creates `path` holding `text`, complete, or returns false when it exists. */
async function createExclusive(path: string, text: string): Promise<boolean> {
  // Not named like an atomic write's leftover (those are removed on resume, and this one may be another
  // process's, about to be linked).
  const tmp = `${path}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, text);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fileSystemError(err, path, 'create the lock');
  }
  try {
    return await linkExclusive(tmp, path);
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Locks held by this process, removed synchronously at exit (a SIGKILL leaves them: they are stale then). */
const held = new Map<string, string>();
let exitHook = false;
function removeAtExit(path: string, token: string): void {
  held.set(path, token);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const [p, t] of held) {
      try {
        if ((JSON.parse(readFileSync(p, 'utf8')) as LockOwner).token === t) unlinkSync(p);
      } catch {
        // Gone already, or unreadable: nothing of ours to remove.
      }
    }
  });
}

/**
 * Takes the lock of `dir` (created if missing) before anything else is written there. A live owner:
 * RunLockedError (E_RUN_LOCKED) naming it, at once or after `waitMs`; a dead one (see ownerState):
 * its lock is taken over. Starts the heartbeat; `release()` (or the process's exit) removes the lock.
 */
export async function acquireRunLock(dir: string, options: AcquireOptions = {}): Promise<RunLock> {
  const path = join(dir, LOCK_FILE);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fileSystemError(err, dir, `create the ${options.what ?? 'run directory'}`);
  }
  const owner: LockOwner = { ...thisProcess(), since: new Date().toISOString(), command: options.command ?? process.argv.slice(1).join(' '), token: randomBytes(12).toString('hex') };
  const text = `${JSON.stringify(owner, null, 2)}\n`;
  const started = Date.now();
  let waiting = false;
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(path, text)) break;
    const found = await readLock(dir);
    if (found === undefined) continue;
    if ('damaged' in found) {
      // A lock is written complete before it is linked into place, so a damaged one was not written by
      // flatsparse's lock (or its disk failed): taken over once it is older than the stale limit.
      if (Date.now() - found.mtimeMs > staleAfter(options)) {
        await takeOver(dir, undefined);
        continue;
      }
      throw new FlatsparseError('E_RUN_LOCKED', `The lock of '${dir}' (${path}) cannot be read: ${found.damaged}.`, { fix: `if no process writes to '${dir}', remove ${path}.` });
    }
    const state = ownerState(found.owner, found.mtimeMs, options);
    if (state.state === 'dead') {
      if (await takeOver(dir, found.owner.token)) options.onTakeover?.(found.owner, state.how);
      continue;
    }
    const waited = Date.now() - started;
    if (options.waitMs === undefined || waited >= options.waitMs) throw new RunLockedError(dir, found.owner, state.how, options.what, waited);
    if (!waiting) {
      waiting = true;
      options.onWait?.(found.owner);
    }
    await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
  }
  removeAtExit(path, owner.token);
  return startHeartbeat(dir, path, owner, options);
}

/**
 * Removes a stale lock whose token is `token` (undefined: a damaged one), under the takeover lock so
 * that of two processes finding it stale only one removes it; the other finds the new owner's lock.
 * True when this process removed it.
 */
async function takeOver(dir: string, token: string | undefined): Promise<boolean> {
  const guard = join(dir, TAKEOVER_FILE);
  if (!(await createExclusive(guard, `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`))) {
    // Another process is taking it over; a guard left by a process killed in these few milliseconds
    // goes after a minute.
    const age = await stat(guard).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > 60_000) await unlink(guard).catch(() => undefined);
    await sleep(50);
    return false;
  }
  try {
    const found = await readLock(dir);
    if (found === undefined) return false;
    const current = 'damaged' in found ? undefined : found.owner.token;
    if (current !== token) return false;
    await unlink(join(dir, LOCK_FILE)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw fileSystemError(err, join(dir, LOCK_FILE), 'remove the stale lock');
    });
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function startHeartbeat(dir: string, path: string, owner: LockOwner, timing: LockTiming): RunLock {
  let lost = false;
  let released = false;
  const beat = async () => {
    const found = await readLock(dir).catch(() => undefined);
    if (found === undefined || 'damaged' in found || found.owner.token !== owner.token) {
      lost = true;
      clearInterval(timer);
      return;
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
  };
  const timer = setInterval(() => void beat(), timing.heartbeatMs ?? 20_000);
  timer.unref();
  return {
    dir,
    path,
    owner,
    get lost() {
      return lost;
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      held.delete(path);
      const found = await readLock(dir).catch(() => undefined);
      if (found !== undefined && !('damaged' in found) && found.owner.token === owner.token) await unlink(path).catch(() => undefined);
    },
  };
}

/** Throws RunLockLostError when `lock` was taken over (checked before a run writes). */
export async function assertLockHeld(lock: RunLock): Promise<void> {
  if (!lock.lost) return;
  const found = await readLock(lock.dir).catch(() => undefined);
  throw new RunLockLostError(lock.dir, found !== undefined && !('damaged' in found) ? found.owner : undefined);
}
