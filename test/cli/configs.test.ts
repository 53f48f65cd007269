import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../packages/cli/src/config/load-config.js';
import { resolveConfig } from '../../packages/cli/src/config/resolve-config.js';
import { demoConfig } from '../../packages/cli/src/demo-config.js';
import { loadSweep } from '../../packages/cli/src/sweep/load-sweep.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'configs');

describe('shipped configs', () => {
  it.each(readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)))('%s validates and resolves to a pipeline', async (file) => {
    const config = await loadConfigFile(join(dir, file));
    const spec = await resolveConfig(config, { backends: [], configDir: dir });
    expect(spec.plugins.length).toBeGreaterThan(0);
    expect(spec.metrics!.length).toBe(config.metrics.length);
    expect(spec.train.steps).toBe(config.train.steps);
  });

  it('the demo config validates for any step count', () => {
    for (const steps of [3, 30, 300]) expect(parseConfig(demoConfig(steps)).train.steps).toBe(steps);
  });
});

describe('shipped sweep files', () => {
  const runsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'runs');
  const files = [...readdirSync(runsDir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(runsDir, f)), join(dir, '..', 'packages', 'cli', 'sweeps', 'reproduce.yaml')];

  it.each(files)('%s expands into valid runs', async (file) => {
    const sweep = await loadSweep(file, { out: '/tmp/flatsparse-sweep-check' });
    expect(sweep.runs.length).toBeGreaterThan(1);
  });

  it("the reproduction gives its confirmatory arms 10 seeds and the others 3, on both tasks", async () => {
    const sweep = await loadSweep(join(dir, '..', 'packages', 'cli', 'sweeps', 'reproduce.yaml'), { out: '/tmp/flatsparse-sweep-check' });
    const count = (task: string, arm: string) => sweep.runs.filter((r) => r.labels['task'] === task && r.labels['arm'] === arm).length;
    for (const task of ['vit-mnist', 'gpt-moby-dick']) {
      for (const arm of ['vanilla', 'm3-jsrelu', 'sparsified-output']) expect(count(task, arm), `${task} ${arm}`).toBe(10);
      for (const arm of ['m1-input', 'm1-output', 'm2-restricted-ln', 'sparsified-input']) expect(count(task, arm), `${task} ${arm}`).toBe(3);
    }
  });

  it("the control trains the independent implementation's recipe", async () => {
    const sweep = await loadSweep(join(runsDir, 'control-independent.yaml'), { out: '/tmp/flatsparse-sweep-check' });
    expect(sweep.runs.map((r) => [r.config.seed, r.config.data])).toEqual([
      [0, expect.objectContaining({ source: 'mnist', trainSize: 8000, heldOutSize: 2000, seed: 0 })],
      [1, expect.objectContaining({ source: 'mnist', trainSize: 8000, heldOutSize: 2000, seed: 1 })],
    ]);
    const c = sweep.runs[0]!.config;
    expect(c.model).toMatchObject({ kind: 'vit', patch: 7, d: 64, depth: 4, mlpWidth: 256, init: 'pytorch' });
    expect(c.train).toMatchObject({ steps: 5000, batchSize: 64, lr: { kind: 'cosine', lr: 0.002, warmupSteps: 40 }, labelSmoothing: 0.1, clipNorm: 1, optimizer: expect.objectContaining({ weightDecay: 0.3, decay: 'all' }) });
    expect(c.train.augment).toBeUndefined();
  });
});
