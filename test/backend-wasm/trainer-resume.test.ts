import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { CheckpointError, Trainer, type TrainerOptions, type TrainerRecord } from '@flatsparse/core';
import { type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import { PluginHost } from '@flatsparse/plugin-api/host';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { TINY, tinyDataset, tinyModel, tinySetup } from '../support/tiny-model.js';

const state = await useBackend(wasmBackend());
const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flatsparse-trainer-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/**
 * A stateful plugin: adds a trainable table at 'modelBuilt' and an MLP input transform using it, scaled
 * by a step counter kept in plugin state (saved in checkpoints). Resuming without its state or without
 * its parameter would change the results.
 */
function tablePlugin(): Plugin & { count: number } {
  const p: Plugin & { count: number } = {
    name: 'table',
    version: '0.0.0',
    apiVersion: '^0.7.0',
    count: 0,
    hooks: {
      modelBuilt: ({ model }) => {
        const table = tf.tidy(() => model.addParam('table.rows', tf.zeros([TINY.tokens, TINY.d])));
        model.addMlpTransform(0, 'input', (x) => tf.add(x, tf.mul(table, 1 + 0.1 * p.count)));
      },
      afterStep: () => void (p.count += 1),
    },
    saveState: () => ({ count: p.count }),
    loadState: (s) => void (p.count = (s as { count: number }).count),
  };
  return p;
}

const active: SparsityMetric = { name: 'active', compute: (c) => ({ value: tf.mean(tf.cast(tf.greater(c.a, 0), 'float32')) as tf.Scalar }) };

async function run(overrides: Partial<TrainerOptions> & { modelSeed?: number; seed?: number }) {
  const { modelSeed, ...rest } = overrides;
  const model = tinyModel({ ...TINY, seed: modelSeed ?? 7 });
  const dataset = tinyDataset({ ...TINY, seed: 1, trainSize: 20, heldOutSize: 10 });
  const host = await PluginHost.create([tablePlugin()]);
  const records: TrainerRecord[] = [];
  const summary = await new Trainer({
    model,
    dataset,
    host,
    steps: 8,
    batchSize: 8,
    lr: { kind: 'cosine', lr: 0.05, warmupSteps: 2 },
    optimizer: { weightDecay: 0.05 },
    clipNorm: 1,
    logEvery: 1,
    metrics: [{ name: 'act', metric: active }],
    sink: { write: (r) => void records.push(r) },
    ...rest,
  }).run();
  const params = new Map([...model.params].map(([name, v]) => [name, Array.from(v.dataSync())]));
  model.dispose();
  await host.dispose();
  return { summary, records, params };
}

const withoutTime = (records: TrainerRecord[]) => records.map(({ wallMs, ...r }) => (void wallMs, r));

describe.skipIf(!state.available)('Trainer checkpoints and determinism', () => {
  it('the same config and seed give bit-identical runs; another data seed gives another run', async () => {
    const a = await run({ seed: 3 });
    const b = await run({ seed: 3 });
    const c = await run({ seed: 4 });
    expect(withoutTime(b.records)).toEqual(withoutTime(a.records));
    expect([...b.params]).toEqual([...a.params]);
    expect(a.params.get('table.rows')!.some((x) => x !== 0)).toBe(true);
    expect(c.records[0]!.loss).not.toBe(a.records[0]!.loss);
  });

  it('resuming from a checkpoint at step k reproduces the uninterrupted run bit for bit', async () => {
    const dirA = await tempDir();
    const a = await run({ runDir: dirA, checkpointEvery: 3, keepCheckpoints: 2, seed: 5 });
    const ckpts = join(dirA, 'checkpoints');
    expect(a.summary.checkpoints.map((d) => d.slice(-13))).toEqual(['step-00000003', 'step-00000006', 'step-00000008']);
    expect((await readdir(ckpts)).sort()).toEqual(['latest', 'step-00000006', 'step-00000008']);
    expect((await readFile(join(ckpts, 'latest'), 'utf8')).trim()).toBe('step-00000008');
    const saved = JSON.parse(await readFile(join(ckpts, 'step-00000006', 'state.json'), 'utf8'));
    expect(saved).toMatchObject({ format: 1, step: 6, optimizerStep: 6, plugins: { table: { count: 6 } } });
    expect(saved.sampler.epoch).toBe(3);

    // A model built from another seed: everything must come from the checkpoint.
    const dirB = await tempDir();
    const b = await run({ runDir: dirB, checkpointEvery: 3, seed: 5, modelSeed: 99, resumeFrom: join(ckpts, 'step-00000006') });
    expect([...b.params]).toEqual([...a.params]);
    const after = (r: TrainerRecord[]) => withoutTime(r.filter((x) => x.step >= 6));
    expect(after(b.records)).toEqual(after(a.records));
    expect(b.records.filter((r) => r.split === 'train').map((r) => r.step)).toEqual([6, 7]);
    expect(b.summary.steps).toBe(8);
    expect(b.summary.finalHeldOut).toEqual({ ...a.summary.finalHeldOut, wallMs: b.summary.finalHeldOut!.wallMs });

    // Given the run directory, resume picks checkpoints/latest (step 8: nothing left to do).
    const c = await run({ seed: 5, resumeFrom: dirA, modelSeed: 42 });
    expect(c.summary.steps).toBe(8);
    expect([...c.params]).toEqual([...a.params]);
  });

  it('refuses checkpoints that do not match the model or are incomplete, naming the path', async () => {
    const dir = await tempDir();
    await run({ runDir: dir, checkpointEvery: 4, steps: 4 });
    const ckpt = join(dir, 'checkpoints', 'step-00000004');
    const { dataset } = tinySetup();
    const attempt = async (path: string, d: number = TINY.d) => {
      const model = tinyModel({ ...TINY, d, seed: 1 });
      const host = await PluginHost.create([tablePlugin()]);
      try {
        await new Trainer({ model, dataset, host, steps: 6, batchSize: 8, lr: 0.01, resumeFrom: path }).run();
      } finally {
        model.dispose();
        await host.dispose();
      }
    };
    await expect(attempt(ckpt, 6)).rejects.toThrow(CheckpointError);
    await expect(attempt(ckpt, 6)).rejects.toThrow(/model\.safetensors.*shape/);
    const broken = join(dir, 'broken');
    await cp(ckpt, broken, { recursive: true });
    await rm(join(broken, 'optimizer.safetensors'));
    await expect(attempt(broken)).rejects.toThrow(/optimizer\.safetensors/);
    await expect(attempt(join(dir, 'nowhere'))).rejects.toThrow(CheckpointError);
    // Writing into a run directory that already has that checkpoint fails instead of overwriting it.
    await expect(run({ runDir: dir, checkpointEvery: 4, steps: 4 })).rejects.toThrow(/already exists/);
  });
});
