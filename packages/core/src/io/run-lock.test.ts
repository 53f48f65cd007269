import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireRunLock, LOCK_FILE, ownerState, readLock, RunLockedError, type LockOwner } from './run-lock.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fs-lock-'));
  dirs.push(d);
  return d;
}

/** The pid of a process that has ended (spawned and waited for). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

async function plantLock(dir: string, owner: Partial<LockOwner>, ageMs = 0): Promise<void> {
  const full: LockOwner = { pid: 1, host: 'elsewhere', since: new Date().toISOString(), command: 'flatsparse run other.yaml', token: 'planted', ...owner };
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(full));
  const when = new Date(Date.now() - ageMs);
  await utimes(join(dir, LOCK_FILE), when, when);
}

describe('run directory lock', () => {
  it('a second writer is refused with E_RUN_LOCKED naming the owner; after release it may take it', async () => {
    const dir = await tempDir();
    const first = await acquireRunLock(dir, { command: 'first writer' });
    const owner = (await readLock(dir)) as { owner: LockOwner };
    expect(owner.owner).toMatchObject({ pid: process.pid, host: hostname(), command: 'first writer' });
    const refused = await acquireRunLock(dir, { command: 'second writer' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RunLockedError);
    expect((refused as RunLockedError).code).toBe('E_RUN_LOCKED');
    expect((refused as Error).message).toContain(`pid ${process.pid} on ${hostname()}`);
    expect((refused as Error).message).toContain('first writer');
    await first.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const second = await acquireRunLock(dir, { command: 'second writer' });
    expect(((await readLock(dir)) as { owner: LockOwner }).owner.command).toBe('second writer');
    await second.release();
  });

  it('of many processes racing for one directory exactly one wins', async () => {
    const dir = await tempDir();
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => acquireRunLock(dir, { command: `writer ${i}` })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as RunLockedError).code).toBe('E_RUN_LOCKED');
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireRunLock>>>).value.release();
  });

  it("takes over the stale lock of a dead process on this host, once, however many find it stale together", async () => {
    const dir = await tempDir();
    const lock = await acquireRunLock(dir);
    const me = ((await readLock(dir)) as { owner: LockOwner }).owner;
    await lock.release();
    const pid = deadPid();
    await plantLock(dir, { ...me, pid, token: 'dead-owner', command: 'killed run' });
    expect(ownerState({ ...me, pid, token: 'x' }, Date.now()).state).toBe('dead');
    const takeovers: string[] = [];
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireRunLock(dir, { onTakeover: (prev, how) => takeovers.push(`${prev.command}: ${how}`) })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(takeovers.length).toBeGreaterThanOrEqual(1);
    expect(takeovers[0]).toContain(`killed run: no process ${pid} on this host`);
    expect(existsSync(join(dir, `${LOCK_FILE}.takeover`))).toBe(false);
  });

  it('a live owner on this host is live; a reused pid (another start time) is dead', async () => {
    const dir = await tempDir();
    const lock = await acquireRunLock(dir);
    const me = ((await readLock(dir)) as { owner: LockOwner }).owner;
    expect(ownerState(me, Date.now()).state).toBe('live');
    if (me.pidStart !== undefined) expect(ownerState({ ...me, pidStart: String(Number(me.pidStart) + 1) }, Date.now())).toMatchObject({ state: 'dead', how: expect.stringContaining('reused') });
    if (me.bootId !== undefined) expect(ownerState({ ...me, bootId: 'another-boot' }, Date.now())).toMatchObject({ state: 'dead', how: expect.stringContaining('rebooted') });
    await lock.release();
  });

  it('another host: live while its heartbeat is fresh, stale after the limit', async () => {
    const dir = await tempDir();
    await plantLock(dir, { host: 'node-17', pid: 4242 }, 10_000);
    const refused = await acquireRunLock(dir, { staleAfterMs: 60_000 }).catch((e: unknown) => e);
    expect((refused as RunLockedError).code).toBe('E_RUN_LOCKED');
    expect((refused as Error).message).toContain('pid 4242 on node-17');
    expect((refused as Error).message).toMatch(/last heartbeat 1\d s ago/);
    let previous: LockOwner | undefined;
    const taken = await acquireRunLock(dir, { staleAfterMs: 5_000, onTakeover: (p) => (previous = p) });
    expect(previous?.host).toBe('node-17');
    await taken.release();
  });

  it('the heartbeat keeps the lock fresh, and a lock taken over is reported lost', async () => {
    const dir = await tempDir();
    const lock = await acquireRunLock(dir, { heartbeatMs: 50 });
    const before = (await readLock(dir))!.mtimeMs;
    await new Promise((r) => setTimeout(r, 200));
    expect((await readLock(dir))!.mtimeMs).toBeGreaterThan(before);
    expect(lock.lost).toBe(false);
    // Another host judged it stale and took it: this process must stop writing.
    await rm(join(dir, LOCK_FILE));
    await plantLock(dir, { host: 'node-3', token: 'thief' });
    await new Promise((r) => setTimeout(r, 200));
    expect(lock.lost).toBe(true);
    await lock.release();
    // Release removes only its own lock.
    expect(((await readLock(dir)) as { owner: LockOwner }).owner.token).toBe('thief');
  });

  it('waits for a live owner when asked, and takes the lock once it is released', async () => {
    const dir = await tempDir();
    const first = await acquireRunLock(dir);
    const waitedFor: number[] = [];
    setTimeout(() => void first.release(), 300);
    const second = await acquireRunLock(dir, { waitMs: 10_000, onWait: (o) => waitedFor.push(o.pid) });
    expect(waitedFor).toEqual([process.pid]);
    await second.release();
    const third = await acquireRunLock(dir);
    const timedOut = await acquireRunLock(dir, { waitMs: 200 }).catch((e: unknown) => e);
    expect((timedOut as Error).message).toMatch(/Waited 0 s|Waited 1 s/);
    await third.release();
  });

  it('a damaged lock is refused with a fix while fresh, and taken over once stale', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, LOCK_FILE), '{"pid": 12');
    const refused = await acquireRunLock(dir).catch((e: unknown) => e);
    expect((refused as RunLockedError).code).toBe('E_RUN_LOCKED');
    expect((refused as Error).message).toContain('not JSON');
    const old = new Date(Date.now() - 10_000);
    await utimes(join(dir, LOCK_FILE), old, old);
    const lock = await acquireRunLock(dir, { staleAfterMs: 1_000 });
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });
});
