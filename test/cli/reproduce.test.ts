import { main } from '@flatsparse/cli';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtCli } from './cli-process.js';
import { recordingIo } from './recording-io.js';

const ARMS = ['vanilla', 'M1 input', 'M1 output', 'M2 restricted-LN', 'M3 JSReLU', 'sparsified input', 'sparsified output'];

interface Comparison {
  arm: string;
  seeds: number[];
  exploratory: boolean;
  perSeed: { seed: number; reference: number; arm: number; densityReduction: number }[];
  densityReduction: { mean: number; p: number; pHolm: number; family: number; ci: [number, number] };
  sparsityGain: number;
  verdict: string;
}

interface Arm {
  arm: string;
  inferenceActivationSparsity: { mean: number; values: number[] };
  inferenceDerivativeSparsity: { mean: number };
  perSeed: { seed: number; inferenceActivationSparsity: number }[];
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
      const comparisons: Comparison[] = task.comparisons;
      expect(comparisons.map((c) => c.arm)).toEqual(ARMS.slice(1));
      for (const arm of arms) {
        const s = arm.inferenceActivationSparsity.mean;
        const c = comparisons.find((x) => x.arm === arm.arm);
        if (c) {
          // Recompute the primary endpoint from the per-seed sparsities, independently of the code: 1 - d_arm / d_vanilla, paired by seed.
          expect(c.seeds).toEqual([0, 1]);
          expect(c.exploratory).toBe(true);
          const reductions = c.seeds.map((seed) => {
            const a = arm.perSeed.find((x) => x.seed === seed)!.inferenceActivationSparsity;
            const v = vanilla.perSeed.find((x) => x.seed === seed)!.inferenceActivationSparsity;
            return 1 - (1 - a) / (1 - v);
          });
          c.perSeed.forEach((p, k) => expect(p.densityReduction).toBeCloseTo(reductions[k]!, 12));
          expect(c.densityReduction.mean).toBeCloseTo((reductions[0]! + reductions[1]!) / 2, 12);
          expect(c.densityReduction.family).toBe(6);
          expect(c.densityReduction.pHolm).toBeGreaterThanOrEqual(c.densityReduction.p);
        }
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
      for (const c of comparisons) {
        const claim = task.claims.find((x: { claim: string }) => x.claim.startsWith(`${c.arm} lowers inference activation density`));
        expect(claim.test).toMatch(/^paired t over 2 paired seeds, exploratory; Holm over the 6 arm comparisons/);
        expect(claim.verdict).toBe(c.densityReduction.pHolm < 0.05 ? (c.densityReduction.mean > 0 ? 'supported' : 'not supported') : 'inconclusive');
      }
      const headline = task.claims.find((x: { claim: string }) => x.claim.startsWith('Headline (sparsified output)'));
      const all = comparisons[5]!.densityReduction;
      const want = all.mean >= 0.36 && all.pHolm < 0.05 ? 'supported' : all.ci[1] < 0.36 ? 'not supported' : 'inconclusive';
      expect(headline.verdict).toBe(want);
      expect(task.claims.some((x: { claim: string }) => x.claim.includes('ratio AS_K / c0'))).toBe(false);
      expect(task.claims.find((x: { kind: string }) => x.kind === 'self-check').claim).toMatch(/^Self-check: for ReLU/);
    }
    const md = await readFile(join(out, 'reproduction.md'), 'utf8');
    expect(md).toContain('### vit-mnist (authors recipe)');
    expect(md).toContain('| arm | LN scale mean | LN scale min | LN at bound |');
    expect(md).toMatch(/\| Headline \(sparsified output\): .* \| \*\*(supported|not supported|inconclusive)\*\* \| primary endpoint, paired t/);
    expect(md).toContain('| arm | pairs | density reduction [95% t CI] |');
    expect(md).toContain("| arm | AS_K | c0 | authors' c0 |");
    expect(md).toMatch(/Inference activation sparsity \(%\) per seed:\n\n\| seed \| vanilla \| M1 input/);
    const html = await readFile(join(out, 'reproduction.html'), 'utf8');
    expect(html).toContain('<figure class="fs-chart" data-title="vit-mnist: held-out activation sparsity">');
    expect(html).toContain('<figure class="fs-chart" data-title="gpt-moby-dick: MLP LayerNorm scale (mean)">');
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
