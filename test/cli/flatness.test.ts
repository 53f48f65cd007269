import { main } from '@flatsparse/cli';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';

// A tiny ViT trained 12 steps with two estimators scheduled (every 6 steps and at checkpoints), then
// `flatsparse flatness` on its checkpoints: the estimates of a checkpoint must equal the estimates the
// run took at that step (same fixed batch, same seed, same parameters).
const yaml = `
name: tiny-flatness
seed: 3
model: { kind: vit, patch: 4, d: 16, depth: 2, heads: 2, mlpWidth: 32 }
activation: relu
data: { source: synthetic-image, classes: 3, imageSize: 8, trainSize: 96, heldOutSize: 48 }
metrics: [activation-sparsity, derivative-sparsity]
estimators:
  - { name: hessian-trace, options: { probes: 4, params: 'blocks\\.1\\.mlp\\.value' }, every: 6 }
  - { name: average-sharpness, options: { samples: 4, sigma: 0.01 }, atCheckpoints: true }
flatness: { batchSize: 16 }
train: { steps: 12, batchSize: 16, lr: 0.003, logEvery: 4, evalEvery: 6, checkpointEvery: 6 }
`;

interface Flat {
  step: number;
  estimator: string;
  figures: Record<string, number>;
  cost: { forwardPasses: number; backwardPasses: number };
  randomness?: { seed: number; probes: number };
  method?: { hvp: string; reason: string };
  batch: { size: number; split: string };
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const lines = async (file: string): Promise<Flat[]> => (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Flat);

describe('flatness estimators in a pipeline and on checkpoints', () => {
  it('runs them on schedule, writes flatness.jsonl and their curves into the report, and re-evaluates checkpoints identically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-flatness-'));
    dirs.push(dir);
    await writeFile(join(dir, 'c.yaml'), yaml);
    const runDir = join(dir, 'run');
    const io = recordingIo();
    expect(await main(['run', join(dir, 'c.yaml'), '--out', runDir, '--quiet'], io), io.text()).toBe(0);

    const during = await lines(join(runDir, 'flatness.jsonl'));
    const at = (name: string) => during.filter((r) => r.estimator === name).map((r) => r.step);
    expect(at('hessian-trace')).toEqual([0, 6, 12]); // before the first step, every 6, and at the end
    expect(at('average-sharpness')).toEqual([6, 12]); // at the two checkpoints (the end is one of them)
    const trace = during.find((r) => r.estimator === 'hessian-trace')!;
    expect(trace.randomness).toEqual({ seed: 3, probes: 4 });
    expect(trace.method?.hvp).toBe('exact'); // double backward with second-order-safe gradients, verified by 'auto'
    expect(trace.method?.reason).toMatch(/exact/);
    expect(trace.cost.backwardPasses).toBeGreaterThanOrEqual(8);
    expect(trace.batch).toEqual({ size: 16, split: 'heldOut' });
    const html = await readFile(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('Flatness estimators and sparsity');
    expect(html).toContain('<figure class="fs-chart" data-title="hessian-trace.trace">');
    expect(html).toContain('<figure class="fs-chart" data-title="average-sharpness.averageSharpness">');
    expect(html).toContain('<figure class="fs-chart" data-title="activation-sparsity.value">');

    const io2 = recordingIo();
    expect(await main(['flatness', runDir], io2), io2.text()).toBe(0);
    const after = await lines(join(runDir, 'flatness-checkpoints.jsonl'));
    expect(after.map((r) => `${r.step}:${r.estimator}`)).toEqual(['6:hessian-trace', '6:average-sharpness', '12:hessian-trace', '12:average-sharpness']);
    for (const r of after) {
      const same = during.find((d) => d.step === r.step && d.estimator === r.estimator)!;
      for (const [name, value] of Object.entries(same.figures)) expect(r.figures[name], `${r.estimator}.${name} at step ${r.step}`).toBeCloseTo(value, 6);
    }
    expect(io2.text()).toMatch(/hessian-trace\s+trace=/);
    expect(await readFile(join(runDir, 'flatness-checkpoints.html'), 'utf8')).toContain('<figure class="fs-chart" data-title="hessian-trace.trace">');

    const io3 = recordingIo();
    expect(await main(['flatness', runDir, '--estimators', 'hessian-eigenvalues', '--checkpoint', join(runDir, 'checkpoints', 'step-00000012')], io3), io3.text()).toBe(0);
    const eig = await lines(join(runDir, 'flatness-checkpoints.jsonl'));
    expect(eig.map((r) => `${r.step}:${r.estimator}`)).toEqual(['12:hessian-eigenvalues']);
    expect(eig[0]!.figures.lambda1Residual).toBeGreaterThanOrEqual(0);
  });

  it('rejects an unknown estimator and a run without checkpoints before any work, naming the fix', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-flatness-bad-'));
    dirs.push(dir);
    await writeFile(join(dir, 'c.yaml'), yaml.replace('hessian-trace', 'hessian-trace-typo'));
    const io = recordingIo();
    expect(await main(['run', join(dir, 'c.yaml'), '--out', join(dir, 'run')], io)).toBe(2);
    expect(io.text()).toMatch(/estimators\.0.*hessian-trace-typo.*built-in estimator plugins: .*hessian-trace/s);

    await writeFile(join(dir, 'd.yaml'), yaml.replace(', checkpointEvery: 6', '').replace(/estimators:[\s\S]*?flatness:.*\n/, ''));
    const runDir = join(dir, 'run2');
    expect(await main(['run', join(dir, 'd.yaml'), '--out', runDir, '--quiet'], recordingIo())).toBe(0);
    const io2 = recordingIo();
    expect(await main(['flatness', runDir], io2)).toBe(2);
    expect(io2.text()).toMatch(/E_CHECKPOINT.*no checkpoints.*checkpointEvery/s);
  });
});
