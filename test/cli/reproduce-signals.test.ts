import { main } from '@flatsparse/cli';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, startCli } from './cli-process.js';
import { recordingIo } from './recording-io.js';
import { cleanup, history, runJson, tempDir } from './run-dir-fixtures.js';

const made: string[] = [];
let bin: string;
let dir: string;
afterAll(() => cleanup(made));
beforeAll(async () => {
  bin = await builtCli();
  dir = await tempDir('fs-repro-signal-', made);
}, 300_000);

describe('flatsparse reproduce under SIGTERM (a scheduler preempting it)', () => {
  it('stops the run in progress with a checkpoint, exits 143 and says how to continue; the same command then finishes as if never stopped', async () => {
    const args = ['reproduce', '--quick', '--tasks', 'vit-mnist', '--arms', 'm3-jsrelu', '--seeds', '1', '--steps', '100'];
    const out = join(dir, 'stopped');
    const child = startCli(bin, [...args, '--out', out], dir);
    const first = join(out, 'vit-mnist', 'vanilla', 'seed-0');
    // Wait until the first run has logged a few records, then preempt it.
    for (;;) {
      const lines = (await readFile(join(first, 'metrics.jsonl'), 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
      if (lines.length >= 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.child.kill('SIGTERM');
    const { code, output } = await child.ended;
    expect(code, output).toBe(143);
    const run = await runJson(first);
    expect(run.status).toBe('interrupted');
    const steps = run.completedSteps as number;
    expect(steps).toBeGreaterThan(0);
    expect(steps).toBeLessThan(100);
    expect(output).toContain(`${first} stopped after ${steps} of 100 steps (checkpoint ${join(first, 'checkpoints', `step-${String(steps).padStart(8, '0')}`)})`);
    expect(output).toContain(`continue with: flatsparse ${[...args, '--out', out].join(' ')}`);

    const io = recordingIo();
    expect(await main([...args, '--out', out], io), io.text()).toBe(0);
    expect((await runJson(first)).status).toBe('completed');
    const reference = join(dir, 'reference');
    expect(await main([...args, '--out', reference], recordingIo())).toBe(0);
    for (const arm of ['vanilla', 'm3-jsrelu']) {
      expect(await history(join(out, 'vit-mnist', arm, 'seed-0')), arm).toEqual(await history(join(reference, 'vit-mnist', arm, 'seed-0')));
    }
    expect(await readFile(join(out, 'reproduction.md'), 'utf8')).toContain('M3 JSReLU');
  }, 300_000);
});
