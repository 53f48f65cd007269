import { main } from '@flatsparse/cli';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, startCli, type CliProcess } from './cli-process.js';
import { recordingIo } from './recording-io.js';
import { cleanup, configFile, history, modelBytes, runJson, tempDir, tinyConfig } from './run-dir-fixtures.js';

// A run long enough to be interrupted mid-training (without checkpoints of its own: the interrupt
// writes one); for SIGTERM, a large held-out split, so that the closing evaluation of a stopped run
// takes a while and the second signal arrives during it.
const CONFIG = tinyConfig({ steps: 40 }).replace(', checkpointEvery: 3', '');
const SLOW_STOP = tinyConfig({ steps: 100 }).replace(', checkpointEvery: 3', '').replace('heldOutSize: 16', 'heldOutSize: 4000').replace('evalEvery: 4', 'evalEvery: 1000, evalBatchSize: 8');

/** Polls `check` until it holds; fails if `child` ends first. */
async function until(check: () => Promise<boolean>, child: CliProcess): Promise<void> {
  let ended = false;
  void child.ended.then(() => (ended = true));
  while (!(await check())) {
    if (ended) throw new Error(`the CLI ended first:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const made: string[] = [];
let bin: string;
let dir: string;
let configPath: string;
let slowPath: string;
afterAll(() => cleanup(made));
beforeAll(async () => {
  bin = await builtCli();
  dir = await tempDir('fs-signal-', made);
  configPath = await configFile(dir, 'c.yaml', CONFIG);
  slowPath = await configFile(dir, 'slow.yaml', SLOW_STOP);
}, 300_000);

describe('SIGINT and SIGTERM stop a run with a checkpoint, and --resume goes on', () => {
  it('SIGINT: finishes the step, writes a checkpoint, marks the run interrupted, prints how to resume, exits 130; the resumed run equals an uninterrupted one', async () => {
    const runDir = join(dir, 'int');
    const child = startCli(bin, ['run', configPath, '--out', runDir], dir);
    await child.waitFor(/step\s+\d+\/40/);
    child.child.kill('SIGINT');
    const { code, output } = await child.ended;
    expect(code, output).toBe(130);
    const run = await runJson(runDir);
    expect(run.status).toBe('interrupted');
    const steps = run.completedSteps as number;
    expect(steps).toBeGreaterThan(0);
    expect(steps).toBeLessThan(40);
    expect(output).toContain(`interrupted by SIGINT after ${steps} of 40 steps; checkpoint ${join(runDir, 'checkpoints', `step-${String(steps).padStart(8, '0')}`)}`);
    expect(output).toContain(`resume with: flatsparse run ${configPath} --resume ${runDir}`);
    expect(await readFile(join(runDir, 'checkpoints', 'latest'), 'utf8')).toBe(`step-${String(steps).padStart(8, '0')}\n`);
    const report = await readFile(join(runDir, 'report.html'), 'utf8');
    expect(report).toContain(`Run interrupted after ${steps} step(s)`);
    expect(report).toContain('(run interrupted, not final)');
    expect(report).not.toContain('Final values');
    expect(await readdir(runDir)).not.toContain('model.safetensors');

    const io = recordingIo();
    expect(await main(['run', configPath, '--resume', runDir, '--quiet'], io), io.text()).toBe(0);
    expect((await runJson(runDir)).status).toBe('completed');
    expect(await readFile(join(runDir, 'report.html'), 'utf8')).toContain('Final values');
    const reference = join(dir, 'reference');
    expect(await main(['run', configPath, '--out', reference, '--quiet'], recordingIo())).toBe(0);
    expect(await history(runDir)).toEqual(await history(reference));
    expect((await modelBytes(runDir)).equals(await modelBytes(reference))).toBe(true);
  });

  it('SIGTERM exits 143 after a checkpoint; a second signal exits at once, leaving the run resumable', async () => {
    const runDir = join(dir, 'term');
    const child = startCli(bin, ['run', slowPath, '--out', runDir], dir);
    await child.waitFor(/step\s+\d+\/100/);
    child.child.kill('SIGTERM');
    // The first signal stops training, writes the checkpoint, then evaluates 4000 examples; the second lands in that.
    await until(async () => (await readFile(join(runDir, 'checkpoints', 'latest'), 'utf8').catch(() => '')) !== '', child);
    child.child.kill('SIGTERM');
    const { code, output } = await child.ended;
    expect(code, output).toBe(143);
    expect(output).toMatch(/SIGTERM again: exiting at once/);
    expect(output).not.toMatch(/resume with:/);
    const latest = (await readFile(join(runDir, 'checkpoints', 'latest'), 'utf8')).trim();
    expect(latest).toMatch(/^step-\d{8}$/);
    const io = recordingIo();
    expect(await main(['run', slowPath, '--resume', runDir, '--quiet'], io), io.text()).toBe(0);
    expect(io.text()).toContain(`resuming ${runDir} from step ${Number(latest.slice(5))}`);
    expect((await runJson(runDir)).status).toBe('completed');
  });
});
