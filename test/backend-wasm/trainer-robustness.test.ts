import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { NonFiniteStepError, readCheckpoint, Trainer, type TrainerRecord } from '@flatsparse/core';
import { type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import { PluginHost, PluginNonFiniteError } from '@flatsparse/plugin-api/host';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { tinySetup } from '../support/tiny-model.js';

const state = await useBackend(wasmBackend());
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const plugin = (name: string, rest: Partial<Plugin>): Plugin => ({ name, version: '0.0.0', apiVersion: '^0.7.0', ...rest });

/** Every path under a directory, recursively. */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(path);
    if (entry.isDirectory()) out.push(...(await walk(path)));
  }
  return out;
}

/** A plugin whose loss term poisons one step: NaN loss and gradients, or a finite loss with a NaN gradient. */
function poison(badStep: number, kind: 'loss' | 'gradient'): Plugin {
  return plugin('poison', {
    contributes: {
      regularizers: [
        {
          name: 'poison',
          lossTerm: ({ step, model }) => {
            const w = model.params.get('head.weight')!;
            if (step !== badStep) return tf.mul(tf.sum(w), 0) as tf.Scalar;
            // sqrt(0) has value 0 but an infinite derivative: the loss stays finite, the gradient does not.
            return (kind === 'loss' ? tf.mul(tf.sum(w), Number.NaN) : tf.sqrt(tf.sub(tf.sum(w), tf.sum(w)))) as tf.Scalar;
          },
        },
      ],
    },
  });
}

describe.skipIf(!state.available)('Trainer robustness', () => {
  it('stops on a non-finite loss term with PluginNonFiniteError naming the plugin, the step and the last checkpoint, corrupting nothing', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'flatsparse-nan-'));
    dirs.push(runDir);
    const { model, dataset } = tinySetup();
    const snapshots = new Map<number, number[][]>();
    const ends: { reason: string; error?: unknown }[] = [];
    const watcher = plugin('watcher', {
      hooks: {
        afterStep: ({ step, model: m }) => void snapshots.set(step, [...m.params.values()].map((v) => Array.from(v.dataSync()))),
        end: (payload) => void ends.push(payload),
      },
    });
    const host = await PluginHost.create([poison(3, 'loss'), watcher]);
    const records: TrainerRecord[] = [];
    const error = await new Trainer({ model, dataset, host, steps: 10, batchSize: 8, lr: 0.05, logEvery: 1, checkpointEvery: 2, runDir, sink: { write: (r) => void records.push(r) } })
      .run()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginNonFiniteError);
    expect(error).toMatchObject({ code: 'E_PLUGIN_NON_FINITE', plugin: 'poison', event: "lossTerm 'poison'", step: 3 });
    expect((error as Error).message).toMatch(/step 3.*step-00000002/);
    expect(ends).toEqual([{ step: 4, reason: 'failed', error }]);
    // Records only for the good steps; the parameters are those after the last good step, and finite.
    expect(records.map((r) => r.step)).toEqual([0, 1, 2]);
    expect(snapshots.get(3)).toEqual(snapshots.get(2));
    expect([...model.params.values()].map((v) => Array.from(v.dataSync()))).toEqual(snapshots.get(2));
    for (const v of model.params.values()) expect(Array.from(v.dataSync()).every(Number.isFinite)).toBe(true);
    // The checkpoint written before is intact and loadable; nothing temporary is left behind.
    const paths = await walk(runDir);
    expect(paths.filter((p) => p.includes('.tmp'))).toEqual([]);
    expect((await readdir(join(runDir, 'checkpoints'))).sort()).toEqual(['latest', 'step-00000002']);
    const ckpt = await readCheckpoint(runDir);
    expect(ckpt.state.step).toBe(2);
    expect(Array.from(ckpt.model.get('head.weight')!.data)).toEqual(snapshots.get(1)![[...model.params.keys()].indexOf('head.weight')]);
    expect(JSON.parse(await readFile(join(ckpt.dir, 'state.json'), 'utf8')).step).toBe(2);
    model.dispose();
    await host.dispose();
  });

  it('detects a non-finite gradient with a finite loss at the next logging step, naming the bad step', async () => {
    const { model, dataset } = tinySetup();
    const snapshots = new Map<number, number[][]>();
    const watcher = plugin('watcher', { hooks: { afterStep: ({ step, model: m }) => void snapshots.set(step, [...m.params.values()].map((v) => Array.from(v.dataSync()))) } });
    const host = await PluginHost.create([poison(2, 'gradient'), watcher]);
    const records: TrainerRecord[] = [];
    const error = await new Trainer({ model, dataset, host, steps: 12, batchSize: 8, lr: 0.05, logEvery: 5, sink: { write: (r) => void records.push(r) } })
      .run()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteStepError);
    expect((error as NonFiniteStepError).step).toBe(2);
    expect((error as NonFiniteStepError).lastCheckpoint).toBeUndefined();
    expect(records).toEqual([]);
    expect([...snapshots.keys()]).toEqual([0, 1, 2, 3, 4]);
    for (const s of [2, 3, 4]) expect(snapshots.get(s)).toEqual(snapshots.get(1));
    model.dispose();
    await host.dispose();
  });

  it('leaks no tensors over 200 steps: the count is constant after warm-up and back at baseline after the run', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'flatsparse-leak-'));
    dirs.push(runDir);
    const { model, dataset } = tinySetup({ blocks: 2 });
    const counts: number[] = [];
    const energy: SparsityMetric = { name: 'energy', needsGradients: true, compute: (c) => ({ dp: tf.sum(tf.square(c.dp!)) as tf.Scalar }) };
    const active: SparsityMetric = { name: 'active', compute: (c) => ({ value: tf.mean(tf.cast(tf.greater(c.a, 0), 'float32')) as tf.Scalar }) };
    const host = await PluginHost.create([
      plugin('counter', { hooks: { beforeForward: () => void counts.push(tf.memory().numTensors) } }),
      plugin('reg', {
        contributes: {
          regularizers: [
            {
              name: 'l2',
              weight: () => 1e-3,
              lossTerm: ({ captures }) => tf.addN(captures.map((c) => tf.mean(tf.square(c.x)))) as tf.Scalar,
              project: (m) => void m.params.get('blocks.0.ln.scale')!.assign(tf.maximum(m.params.get('blocks.0.ln.scale')!, 0.5)),
            },
          ],
        },
      }),
    ]);
    const baseline = tf.memory().numTensors;
    const summary = await new Trainer({
      model,
      dataset,
      host,
      steps: 200,
      batchSize: 8,
      lr: { kind: 'cosine', lr: 0.01, warmupSteps: 10 },
      clipNorm: 1,
      labelSmoothing: 0.1,
      logEvery: 10,
      evalEvery: 50,
      checkpointEvery: 100,
      runDir,
      metrics: [
        { name: 'energy', metric: energy },
        { name: 'active', metric: active },
      ],
    }).run();
    expect(summary.steps).toBe(200);
    expect(counts).toHaveLength(200);
    const steady = counts.slice(2);
    expect(Math.max(...steady)).toBe(Math.min(...steady));
    expect(tf.memory().numTensors).toBe(baseline);
    model.dispose();
    await host.dispose();
  });
});
