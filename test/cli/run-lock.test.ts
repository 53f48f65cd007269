import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, startCli } from './cli-process.js';
import { cleanup, configFile, history, runJson, tempDir, tinyConfig } from './run-dir-fixtures.js';
import { waitUntil } from './wait-until.js';

// One run directory, one writer: whatever two processes do to one directory, no run is lost, mixed or
// duplicated, and every refusal is coded and names the owner.
const LOCK = '.flatsparse-lock';
// Long enough (a few seconds on wasm) for a second process to start while the first trains.
const LONG = (seed: number) => tinyConfig({ seed, steps: 400, checkpointEvery: 20, extra: 'backend: wasm' }).replace('evalEvery: 4', 'evalEvery: 100');

const made: string[] = [];
let bin: string;
let dir: string;
afterAll(() => cleanup(made));
beforeAll(async () => {
  bin = await builtCli();
  dir = await tempDir('fs-lock-', made);
  await configFile(dir, 'seed1.yaml', LONG(1));
  await configFile(dir, 'seed2.yaml', LONG(2));
}, 300_000);

/** The held-out records' steps and the train records' steps of a run directory. */
async function steps(runDir: string): Promise<{ train: number[]; heldOut: number[] }> {
  const records = (await history(runDir)) as { step: number; split: string }[];
  return { train: records.filter((r) => r.split === 'train').map((r) => r.step), heldOut: records.filter((r) => r.split === 'heldOut').map((r) => r.step) };
}

/** What a complete, unmixed run of LONG looks like. */
async function expectComplete(runDir: string, seed: number): Promise<void> {
  const run = await runJson(runDir);
  expect(run).toMatchObject({ status: 'completed', completedSteps: 400 });
  expect(JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'))).toMatchObject({ seed });
  const { train, heldOut } = await steps(runDir);
  expect(train).toEqual(Array.from({ length: 200 }, (_, i) => 2 * i + 1));
  expect(heldOut).toEqual([99, 199, 299, 399]);
  expect(existsSync(join(runDir, 'failure.json'))).toBe(false);
  expect(existsSync(join(runDir, LOCK))).toBe(false);
}

describe('one writer per run directory', () => {
  it.each([
    ['different configs (seeds 1 and 2)', 'seed1.yaml', 'seed2.yaml'],
    ['the same config', 'seed1.yaml', 'seed1.yaml'],
  ])('two runs started together into one --out (%s): one trains, the other is refused with E_RUN_LOCKED naming it', async (_name, a, b) => {
    const runDir = join(dir, `together-${a}-${b}`);
    const first = startCli(bin, ['run', join(dir, a), '--out', runDir], dir);
    const second = startCli(bin, ['run', join(dir, b), '--out', runDir], dir);
    const [x, y] = await Promise.all([first.ended, second.ended]);
    const codes = [x.code, y.code].sort();
    expect(codes, `${x.output}\n----\n${y.output}`).toEqual([0, 2]);
    const [winner, loser] = x.code === 0 ? [first, second] : [second, first];
    const refusal = (await loser.ended).output;
    expect(refusal).toMatch(new RegExp(`\\[E_RUN_LOCKED\\] The run directory '${runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is being written by another process: pid ${winner.child.pid} on \\S+, since \\S+ \\(process ${winner.child.pid} is running on this host\\), running: .*run .*--out`));
    expect(refusal).toMatch(/Fix: let that run finish/);
    await expectComplete(runDir, winner === first ? (a === 'seed1.yaml' ? 1 : 2) : b === 'seed1.yaml' ? 1 : 2);
  }, 180_000);

  it('--resume of a run that is still training is refused, and so is flatness on it; the live run completes untouched', async () => {
    const runDir = join(dir, 'live');
    const live = startCli(bin, ['run', join(dir, 'seed1.yaml'), '--out', runDir], dir);
    await waitUntil('the live run to write a checkpoint', () => existsSync(join(runDir, 'checkpoints', 'latest')), 120);
    const resume = startCli(bin, ['run', join(dir, 'seed1.yaml'), '--resume', runDir], dir);
    const refused = await resume.ended;
    expect(refused.code, refused.output).toBe(2);
    expect(refused.output).toContain(`[E_RUN_LOCKED] The run directory '${runDir}' is being written by another process: pid ${live.child.pid}`);
    // Estimating flatness on its checkpoints writes into it too: refused the same way.
    const flatness = await startCli(bin, ['flatness', runDir], dir).ended;
    expect(flatness.code, flatness.output).toBe(2);
    expect(flatness.output).toContain(`[E_RUN_LOCKED] The run directory '${runDir}' is being written by another process: pid ${live.child.pid}`);
    const end = await live.ended;
    expect(end.code, end.output).toBe(0);
    await expectComplete(runDir, 1);
    expect((await runJson(runDir)).resumes).toBeUndefined();
  }, 180_000);

  it('a SIGKILLed run leaves a stale lock, which the resume takes over; the run then completes', async () => {
    const runDir = join(dir, 'killed');
    const victim = startCli(bin, ['run', join(dir, 'seed2.yaml'), '--out', runDir], dir);
    await waitUntil('the run to write a checkpoint', () => existsSync(join(runDir, 'checkpoints', 'latest')), 120);
    victim.child.kill('SIGKILL');
    await victim.ended;
    const stale = JSON.parse(await readFile(join(runDir, LOCK), 'utf8')) as { pid: number };
    expect(stale.pid).toBe(victim.child.pid);
    const resume = startCli(bin, ['run', join(dir, 'seed2.yaml'), '--resume', runDir], dir);
    const end = await resume.ended;
    expect(end.code, end.output).toBe(0);
    await expectComplete(runDir, 2);
    expect((await runJson(runDir)).resumes).toEqual([expect.objectContaining({ fromStep: expect.any(Number) })]);
    expect((await readdir(runDir)).filter((n) => n.startsWith(`${LOCK}.`))).toEqual([]);
  }, 180_000);
});
