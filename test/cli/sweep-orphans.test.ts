import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, startCli } from './cli-process.js';
import { cleanup, configFile, history, runJson, tempDir, tinyConfig } from './run-dir-fixtures.js';
import { waitUntil } from './wait-until.js';

// A local sweep whose parent is SIGKILLed: its tasks stop with a checkpoint instead of training on as
// orphans, and the next submission resumes them; a task still alive when the next submission starts is
// waited for, never run twice beside it; two submissions at once are refused.
const BASE = tinyConfig({ steps: 400, checkpointEvery: 20, extra: 'backend: wasm' }).replace('evalEvery: 4', 'evalEvery: 100');
const SWEEP = (out: string) => `
name: orphans
base: ./base.yaml
out: ${out}
axes:
  seed: [0, 1]
`;
const LOCK = '.flatsparse-lock';

const made: string[] = [];
let bin: string;
let dir: string;
afterAll(() => cleanup(made));
beforeAll(async () => {
  bin = await builtCli();
  dir = await tempDir('fs-orphans-', made);
  await configFile(dir, 'base.yaml', BASE);
}, 300_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The run directories of a sweep's output folder (one per run id). */
async function runDirs(out: string): Promise<string[]> {
  return (await readdir(out)).filter((n) => !n.startsWith('.') && !n.startsWith('results')).map((n) => join(out, n));
}

/** A run directory holds one complete run of 400 steps: no failure marker, no duplicate or missing step. */
async function expectOneCompleteRun(runDir: string): Promise<void> {
  const names = await readdir(runDir);
  expect(names).toContain('result.json');
  expect(names).not.toContain('failure.json');
  expect(names).not.toContain('sweep-failure.json');
  expect(names).not.toContain(LOCK);
  expect(await runJson(runDir)).toMatchObject({ status: 'completed', completedSteps: 400 });
  const records = (await history(runDir)) as { step: number; split: string }[];
  expect(records.filter((r) => r.split === 'train').map((r) => r.step)).toEqual(Array.from({ length: 200 }, (_, i) => 2 * i + 1));
  expect(records.filter((r) => r.split === 'heldOut').map((r) => r.step)).toEqual([99, 199, 299, 399]);
}

describe('local sweeps never orphan or duplicate a run', () => {
  it('SIGKILL to the sweep: its tasks stop with a checkpoint; resubmitting resumes them; nothing is lost, mixed or duplicated', async () => {
    const sweep = await configFile(dir, 'killed.yaml', SWEEP('killed-out'));
    const out = join(dir, 'killed-out');
    const parent = startCli(bin, ['sweep', 'submit', sweep, '--jobs', '2'], dir);
    // Both tasks own their run directories and have checkpointed.
    let owners: number[] = [];
    await waitUntil('both tasks to train', async () => {
      if (!existsSync(out)) return false;
      const dirs = await runDirs(out);
      if (dirs.length !== 2 || !dirs.every((d) => existsSync(join(d, 'checkpoints', 'latest')) && existsSync(join(d, LOCK)))) return false;
      owners = await Promise.all(dirs.map(async (d) => (JSON.parse(await readFile(join(d, LOCK), 'utf8')) as { pid: number }).pid));
      return true;
    }, 120);
    expect(owners).not.toContain(parent.child.pid);
    parent.child.kill('SIGKILL');
    await parent.ended;
    // The orphans notice their parent is gone and stop (with a checkpoint) instead of training on.
    await waitUntil('the orphaned tasks to stop', () => owners.every((pid) => !alive(pid)), 60);
    for (const d of await runDirs(out)) {
      const run = await runJson(d);
      expect(run.status).toBe('interrupted');
      expect(run.completedSteps as number).toBeLessThan(400);
      expect(await readFile(join(out, '.sweep', 'logs', (await readdir(join(out, '.sweep', 'logs'))).find((l) => l.includes(d.split('/').at(-1)!))!), 'utf8')).toContain('is gone: stopping with a checkpoint');
    }
    const again = startCli(bin, ['sweep', 'submit', sweep, '--jobs', '2'], dir);
    const end = await again.ended;
    expect(end.code, end.output).toBe(0);
    for (const d of await runDirs(out)) {
      await expectOneCompleteRun(d);
      expect((await runJson(d)).resumes).toEqual([expect.objectContaining({ fromStep: expect.any(Number) })]);
    }
    const status = startCli(bin, ['sweep', 'status', sweep], dir);
    expect((await status.ended).output).toContain('2 runs: 2 done');
  }, 300_000);

  it('a task still running when the sweep is submitted again is waited for, not duplicated; a second submission at once is refused', async () => {
    const sweep = await configFile(dir, 'live.yaml', SWEEP('live-out'));
    const out = join(dir, 'live-out');
    // A task of an earlier submission, still training (as if its parent died and it had not stopped yet).
    const earlier = startCli(bin, ['sweep', 'run-task', sweep, '0'], dir);
    await waitUntil('the earlier task to checkpoint', async () => existsSync(out) && (await runDirs(out)).some((d) => existsSync(join(d, 'checkpoints', 'latest'))), 120);
    const submit = startCli(bin, ['sweep', 'submit', sweep, '--jobs', '2'], dir);
    await waitUntil('the submission to take the sweep', () => existsSync(join(out, '.sweep', LOCK)), 60);
    const second = startCli(bin, ['sweep', 'submit', sweep], dir);
    const refused = await second.ended;
    expect(refused.code, refused.output).toBe(2);
    expect(refused.output).toMatch(new RegExp(`\\[E_RUN_LOCKED\\] The sweep '${join(out, '.sweep')}' is being written by another process: pid ${submit.child.pid}`));
    const [first, end] = await Promise.all([earlier.ended, submit.ended]);
    expect(first.code, first.output).toBe(0);
    expect(end.code, end.output).toBe(0);
    const logs = await readdir(join(out, '.sweep', 'logs'));
    const log0 = await readFile(join(out, '.sweep', 'logs', logs.find((l) => l.startsWith('0-'))!), 'utf8');
    expect(log0).toMatch(/is being written by pid \d+ on \S+ \(flatsparse sweep run-task .* 0 \(run \w+\)\); waiting for it to end/);
    expect(log0).toMatch(/was already done/);
    for (const d of await runDirs(out)) {
      await expectOneCompleteRun(d);
      expect((await runJson(d)).resumes).toBeUndefined();
    }
    expect(existsSync(join(out, '.sweep', LOCK))).toBe(false);
  }, 300_000);
});
