import { main } from '@flatsparse/cli';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoConfig, DEMO_MODEL } from '../../packages/cli/src/demo-config.js';
import { parseConfig } from '../../packages/cli/src/config/load-config.js';
import { TASKS } from '../../packages/cli/src/reproduce/tasks.js';
import { recordingIo } from './recording-io.js';

const made: string[] = [];
afterAll(async () => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));

describe('flatsparse demo', () => {
  it("is the reproduction's ViT task under the authors' recipe, with the smaller model and its own budget", () => {
    const demo = parseConfig(demoConfig(1500, 2));
    const task = parseConfig(TASKS.find((t) => t.name === 'vit-mnist')!.config(2, { quick: false, recipe: 'authors' }));
    expect(demo.model).toMatchObject(DEMO_MODEL);
    expect(demo.train.steps).toBe(1500);
    expect(demo.seed).toBe(2);
    // Everything else of the recipe is the reproduction's.
    for (const key of ['lr', 'optimizer', 'labelSmoothing', 'augment', 'clipNorm', 'batchSize'] as const) expect(demo.train[key], key).toEqual(task.train[key]);
    expect(demo.data).toEqual(task.data);
    expect(demo.metrics).toEqual(task.metrics);
  });

  it('runs vanilla and the three methods over 3 seeds and prints the comparison with its spread, the diagnostics and the verdict', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'fs-demo-')), 'demo');
    made.push(out);
    const io = recordingIo();
    expect(await main(['demo', '--steps', '12', '--out', out], io), io.text()).toBe(0);
    const text = io.text();
    for (const arm of ['vanilla', 'sparsified-output']) for (const seed of [0, 1, 2]) expect(existsSync(join(out, arm, `seed-${seed}`, 'report.html')), `${arm} ${seed}`).toBe(true);
    expect(text).toContain('12 steps, seeds vanilla 0-2; sparsified output 0-2; mean ± standard deviation over seeds');
    // The row of an arm in the table whose header starts with `header`.
    const row = (header: string, arm: string) => {
      const lines = text.split('\n');
      const start = lines.findIndex((l) => l.startsWith(header));
      expect(start, header).toBeGreaterThan(-1);
      const line = lines.slice(start).find((l) => l.startsWith(`| ${arm} |`));
      return line!.split('|').map((c) => c.trim());
    };
    // Diagnostics: M2 holds every MLP LayerNorm scale at >= 1 in the sparsified arm; JSReLU's slope on active entries exceeds ReLU's 1.
    const diag = row('| arm | LN scale mean', 'sparsified output');
    expect(Number(diag[3]!.split(' ')[0])).toBeGreaterThanOrEqual(1 - 1e-6);
    expect(Number(diag[8]!.split(' ')[0])).toBeGreaterThan(1);
    expect(row('| arm | LN scale mean', 'vanilla')[8]).toMatch(/^1\.000 ± 0\.000$/);
    expect(row('| arm | seeds |', 'vanilla')[5]).toMatch(/^\d+\.\d ± \d+\.\d%$/);
    // The primary endpoint, paired over the 3 seeds, with its interval, p and Holm p; exploratory at 3 seeds.
    const primary = row('| arm | pairs |', 'sparsified output');
    expect(primary[2]).toBe('3 (exploratory)');
    expect(primary[3]).toMatch(/^[+-]\d+\.\d% \[[+-]\d+\.\d%, [+-]\d+\.\d%\]$/);
    expect(text).toMatch(/\| sparsified output lowers inference activation density below vanilla's \(primary endpoint\)\. \| \*\*(supported|not supported|inconclusive)\*\* \| paired t over 3 paired seeds, exploratory; Holm over the 1 arm comparisons of this task \|/);
    expect(text).toMatch(/\| Headline \(sparsified output\): inference activation density at least 36 % lower .*\| \*\*(supported|not supported|inconclusive)\*\* \|/);
    expect(text).toMatch(/\| Training finds flatter minima: augmented flatness AS_K falls over the run \(vanilla, layer 1\)\. \| \*\*(supported|not supported|inconclusive)\*\* \| trend over the whole run/);
    expect(text).toMatch(/primary endpoint: inference activation density reduction [+-]\d+\.\d% with the methods \(paired over 3 seeds, 95% CI \[.*\], paired t p [=<] .*, Holm p [=<] .*\): (sparser|denser|inconclusive) \(exploratory/);
    expect(await readFile(join(out, 'demo.html'), 'utf8')).toContain('<figure class="fs-chart" data-title="demo: held-out activation sparsity">');
  }, 240_000);
});
