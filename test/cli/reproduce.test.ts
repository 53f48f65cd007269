import { main } from '@flatsparse/cli';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtCli } from './cli-process.js';
import { recordingIo } from './recording-io.js';

const ARMS = ['vanilla', 'M1 input', 'M1 output', 'M2 restricted-LN', 'M3 JSReLU', 'sparsified input', 'sparsified output'];

interface Arm {
  arm: string;
  inferenceActivationSparsity: { mean: number; values: number[] };
  inferenceDerivativeSparsity: { mean: number };
  vsVanilla: { inferenceSparsityGain: number; inferenceDensityReduction: number; trainSparsityGain: number };
  diagnostics: Record<string, { mean: number; n: number }>;
  curves: Record<string, [number, number][]>;
}

describe('flatsparse reproduce --quick (the authors recipe)', () => {
  it('runs every arm on both tasks, with the diagnostics that show which method acted, and verdicts consistent with the runs', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'fs-repro-')), 'r');
    const io = recordingIo();
    expect(await main(['reproduce', '--quick', '--seeds', '2', '--out', out], io)).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.map((t: { task: string }) => t.task)).toEqual(['vit-mnist', 'gpt-moby-dick']);
    for (const task of summary) {
      expect(task.recipe).toBe('authors');
      const arms: Arm[] = task.arms;
      expect(arms.map((a) => a.arm)).toEqual(ARMS);
      const vanilla = arms[0]!;
      for (const arm of arms) {
        // Recompute the relative changes from the reported sparsities, independently of the code.
        const s = arm.inferenceActivationSparsity.mean;
        const v = vanilla.inferenceActivationSparsity.mean;
        expect(arm.vsVanilla.inferenceSparsityGain).toBeCloseTo(s / v - 1, 10);
        expect(arm.vsVanilla.inferenceDensityReduction).toBeCloseTo(1 - (1 - s) / (1 - v), 10);
        expect(arm.inferenceActivationSparsity.values).toHaveLength(2);
        expect(s).toBeGreaterThan(0);
        expect(s).toBeLessThan(1);
        expect(arm.curves['asK']!.length).toBeGreaterThan(1);
        expect(arm.curves['inferenceActivationSparsity']!.length).toBeGreaterThan(1);
        // ReLU arms: derivative sparsity equals activation sparsity.
        if (!arm.arm.includes('JSReLU') && !arm.arm.startsWith('sparsified')) expect(Math.abs(arm.inferenceDerivativeSparsity.mean - s)).toBeLessThan(1e-3);
        const d = arm.diagnostics;
        // Every arm logs the LayerNorm scales; with M2 the scales are never below the bound 1.
        expect(d['lnScaleMean']!.n).toBe(2);
        if (arm.arm.includes('M2') || arm.arm.startsWith('sparsified')) expect(d['lnScaleMin']!.mean).toBeGreaterThanOrEqual(1 - 1e-6);
        // The zeroth-bias figures exist in the M1 arms only.
        expect(d['zerothBiasMeanAbs']!.n).toBe(arm.arm.includes('M1') || arm.arm.startsWith('sparsified') ? 2 : 0);
        // J-SquaredReLU's slope on active entries is 1 + p > 1; ReLU's is exactly 1.
        if (arm.arm.includes('JSReLU') || arm.arm.startsWith('sparsified')) expect(d['activeSlope']!.mean).toBeGreaterThan(1);
        else expect(d['activeSlope']!.mean).toBeCloseTo(1, 6);
        expect(d['activationRatio']!.mean).toBeGreaterThan(0);
      }
      for (const arm of arms.slice(1)) {
        const claim = task.claims.find((c: { claim: string }) => c.claim.startsWith(`${arm.arm} makes inference activations sparser`));
        const p = Number(/p = ([0-9.]+)|p < 0\.001/.exec(claim.evidence)?.[1] ?? (claim.evidence.includes('p < 0.001') ? 0 : Number.NaN));
        const diff = arm.inferenceActivationSparsity.mean - vanilla.inferenceActivationSparsity.mean;
        expect(claim.verdict).toBe(p < 0.05 ? (diff > 0 ? 'supported' : 'not supported') : 'inconclusive');
      }
      const headline = task.claims.find((c: { claim: string }) => c.claim.startsWith('Headline (sparsified output)'));
      const all = arms[6]!.vsVanilla;
      expect(headline.verdict).toBe(all.inferenceSparsityGain >= 0.36 && all.trainSparsityGain >= 0.5 ? 'supported' : 'not supported');
    }
    const md = await readFile(join(out, 'reproduction.md'), 'utf8');
    expect(md).toContain('### vit-mnist (authors recipe)');
    expect(md).toContain('| arm | LN scale mean | LN scale min | LN at bound |');
    expect(md).toMatch(/\| Headline \(sparsified output\): .* \| \*\*(supported|not supported)\*\* \|/);
    const html = await readFile(join(out, 'reproduction.html'), 'utf8');
    expect(html).toContain('aria-label="vit-mnist: held-out activation sparsity"');
    expect(html).toContain('aria-label="gpt-moby-dick: MLP LayerNorm scale (mean)"');
  }, 600_000);

  it('keeps the short recipe of flatsparse 0.2 as a named alternative, and runs only the arms asked for (with vanilla)', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'fs-repro-short-')), 'r');
    const io = recordingIo();
    expect(await main(['reproduce', '--quick', '--recipe', 'short', '--tasks', 'vit-mnist', '--arms', 'm3-jsrelu', '--ramp', '0.25', '--out', out], io)).toBe(0);
    const [task] = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(task.recipe).toBe('short');
    expect(task.ramp).toBe(0.25);
    expect(task.arms.map((a: Arm) => a.arm)).toEqual(['vanilla', 'M3 JSReLU']);
    const config = JSON.parse(await readFile(join(out, 'vit-mnist', 'm3-jsrelu', 'seed-0', 'config.json'), 'utf8'));
    expect(config.model.init).toBe('normal');
    expect(config.activation).toEqual({ name: 'j-squared-relu', options: { mix: { steps: 10 } } });
  }, 300_000);

  it('rejects unknown tasks, arms and recipes, naming the accepted ones', async () => {
    for (const [args, pattern] of [
      [['--tasks', 'imagenet'], /unknown task 'imagenet'.*vit-mnist, gpt-moby-dick/],
      [['--arms', 'm9'], /unknown arm 'm9'.*vanilla, m1-input, m1-output/],
      [['--recipe', 'long'], /unknown recipe 'long'.*authors or short/],
    ] as const) {
      const io = recordingIo();
      expect(await main(['reproduce', '--quick', ...args], io)).toBe(2);
      expect(io.text()).toMatch(pattern);
    }
  });
});

describe('flatsparse reproduce --jobs (runs trained at once, through the local sweep engine)', () => {
  it('trains the same runs as the sequential loop, reuses them on a second call and rejects a bad --jobs', async () => {
    await builtCli(); // the children run the built CLI
    const args = ['reproduce', '--quick', '--tasks', 'vit-mnist', '--arms', 'm3-jsrelu', '--seeds', '2'];
    const seqOut = join(await mkdtemp(join(tmpdir(), 'fs-repro-seq-')), 'r');
    const parOut = join(await mkdtemp(join(tmpdir(), 'fs-repro-par-')), 'r');
    expect(await main([...args, '--out', seqOut], recordingIo())).toBe(0);
    const io = recordingIo();
    expect(await main([...args, '--jobs', '2', '--out', parOut], io)).toBe(0);
    expect(io.text()).toContain('training 4 runs, 2 at a time');
    const seq = JSON.parse(await readFile(join(seqOut, 'summary.json'), 'utf8'))[0];
    const par = JSON.parse(await readFile(join(parOut, 'summary.json'), 'utf8'))[0];
    expect(par.arms.map((a: Arm) => a.arm)).toEqual(['vanilla', 'M3 JSReLU']);
    for (const [i, arm] of (par.arms as Arm[]).entries()) {
      // Same seeds, same configs: the same figures (up to the summation order of another thread count).
      const want = (seq.arms as Arm[])[i]!.inferenceActivationSparsity.values;
      arm.inferenceActivationSparsity.values.forEach((v, k) => expect(Math.abs(v - want[k]!)).toBeLessThan(2e-3));
    }
    // Every run has its result file (all 40 steps) and its child's log.
    for (const arm of ['vanilla', 'm3-jsrelu'])
      for (const seed of [0, 1]) {
        const result = JSON.parse(await readFile(join(parOut, 'vit-mnist', arm, `seed-${seed}`, 'result.json'), 'utf8'));
        expect([result.steps, result.labels.arm, result.labels.seed]).toEqual([40, arm, String(seed)]);
      }
    expect(await readdir(join(parOut, '.sweep', 'logs'))).toHaveLength(4);
    const again = recordingIo();
    expect(await main([...args, '--jobs', '2', '--out', parOut], again)).toBe(0);
    expect(again.text().match(/\(reused\)/g)).toHaveLength(4);
    expect(again.text()).not.toMatch(/training \d+ runs/);
    const bad = recordingIo();
    expect(await main([...args, '--jobs', '0', '--out', parOut], bad)).toBe(2);
    expect(bad.text()).toMatch(/--jobs.*positive integer/s);
  }, 600_000);
});

describe('the arms differ from vanilla only where they should', () => {
  it("changes only the activation, the method plugins and the method's own metric", async () => {
    const { ARMS: arms } = await import('../../packages/cli/src/reproduce/arms.js');
    const { TASKS } = await import('../../packages/cli/src/reproduce/tasks.js');
    for (const task of TASKS) {
      const base = task.config(0, { quick: false, recipe: 'authors' });
      const vanilla = arms[0]!.apply(base);
      for (const arm of arms) {
        const config = arm.apply(base, { mixSteps: 5, upliftSteps: 5 });
        const { activation, plugins, metrics, ...rest } = config as Record<string, unknown>;
        const { activation: va, plugins: vp, metrics: vm, ...vrest } = vanilla as Record<string, unknown>;
        expect(rest, arm.name).toEqual(vrest);
        expect((metrics as string[]).slice(0, (vm as string[]).length)).toEqual(vm);
        const added = (metrics as string[]).slice((vm as string[]).length);
        const names = (plugins as (string | { name: string })[]).map((p) => (typeof p === 'string' ? p : p.name));
        expect(added).toEqual(names.includes('zeroth-bias') ? ['zeroth-bias'] : []);
        expect(vp).toEqual([]);
        expect(va).toBe('relu');
        const wantsM3 = arm.name.includes('JSReLU') || arm.name.startsWith('sparsified');
        expect(typeof activation === 'string' ? activation : (activation as { name: string }).name).toBe(wantsM3 ? 'j-squared-relu' : 'relu');
        expect(names.includes('restricted-layer-norm')).toBe(arm.name.includes('M2') || arm.name.startsWith('sparsified'));
        expect(names.includes('zeroth-bias')).toBe(arm.name.includes('M1') || arm.name.startsWith('sparsified'));
      }
    }
  });
});
