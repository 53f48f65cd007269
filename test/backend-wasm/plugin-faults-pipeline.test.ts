import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { runPipeline, type PipelineSpec, type RunFailure, type RunWarning } from '@flatsparse/core';
import { type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import { syntheticImageDataset } from '@flatsparse/data';
import { builtinPlugins } from '@flatsparse/plugins';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const plugin = (name: string, rest: Partial<Plugin>): Plugin => ({ name, version: '0.0.0', apiVersion: '^0.7.0', ...rest });
const dataset = syntheticImageDataset({ classes: 3, imageSize: 8, trainSize: 64, heldOutSize: 16 });

/** A tiny ViT pipeline (8x8 images, 2 blocks) on wasm with the given plugins, metrics and train settings. */
function spec(plugins: readonly Plugin[], rest: Partial<PipelineSpec> = {}): PipelineSpec {
  return {
    backends: [wasmBackend()],
    backend: 'wasm',
    seed: 1,
    plugins,
    dataset,
    model: { kind: 'vit', config: { patch: 4, d: 16, depth: 2, heads: 2, mlpWidth: 32 } },
    activation: 'relu',
    ...rest,
    train: { steps: 6, batchSize: 16, lr: 0.01, logEvery: 2, ...rest.train },
  };
}

const relu = () => builtinPlugins.get('relu')!.factory(undefined);

describe.skipIf(!state.available)('plugin faults in a pipeline run', () => {
  it('a fault leaves failure.json and a report showing it, keeps the checkpoints, and the run resumes from them', async () => {
    const runDir = join(await mkdtemp(join(tmpdir(), 'flatsparse-faults-')), 'run');
    dirs.push(runDir);
    let broken = true;
    const writer = plugin('writer', {
      hooks: {
        afterStep: ({ step, model }) => {
          if (!broken || step !== 4) return;
          const w = model.params.get('head.weight')!;
          tf.tidy(() => w.assign(tf.mul(w, 2)));
        },
      },
    });
    const error = await runPipeline(spec([relu(), writer], { runDir, train: { steps: 6, batchSize: 16, lr: 0.01, logEvery: 2, checkpointEvery: 2 } })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_PLUGIN_OWNERSHIP', plugin: 'writer', event: 'afterStep', step: 4 });
    const failure = JSON.parse(await readFile(join(runDir, 'failure.json'), 'utf8')) as RunFailure;
    expect(failure).toMatchObject({ code: 'E_PLUGIN_OWNERSHIP', plugin: 'writer', event: 'afterStep', step: 4, completedSteps: 4, lastCheckpoint: join(runDir, 'checkpoints', 'step-00000004') });
    expect(failure.message).toBe((error as Error).message);
    expect(await readFile(join(runDir, 'report.html'), 'utf8')).toContain("Run failed: E_PLUGIN_OWNERSHIP (plugin 'writer' in 'afterStep' at step 4)");
    expect((await readdir(join(runDir, 'checkpoints'))).sort()).toEqual(['latest', 'step-00000002', 'step-00000004']);
    expect((await readdir(runDir)).filter((n) => n.includes('.tmp'))).toEqual([]);

    broken = false;
    const resumed = await runPipeline(spec([relu(), writer], { runDir, resumeFrom: runDir, train: { steps: 6, batchSize: 16, lr: 0.01, logEvery: 2, checkpointEvery: 2 } }));
    expect(resumed.summary.steps).toBe(6);
    expect(await readdir(runDir)).not.toContain('failure.json');
    const warnings = JSON.parse(await readFile(join(runDir, 'warnings.json'), 'utf8')) as RunWarning[];
    expect(warnings).toEqual([expect.objectContaining({ code: 'E_PLUGIN_OWNERSHIP', plugin: 'writer', step: 4, action: `the run stopped after 4 step(s) and was resumed from ${failure.lastCheckpoint}` })]);
    const records = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { step: number; split: string });
    expect(records.filter((r) => r.split === 'train').map((r) => r.step)).toEqual([1, 3, 5]);
  });

  it("faults.metrics 'disable' drops a NaN metric, warns through onWarning and warnings.json, and the run completes", async () => {
    const runDir = join(await mkdtemp(join(tmpdir(), 'flatsparse-faults-')), 'run');
    dirs.push(runDir);
    const nan: SparsityMetric = { name: 'nan-metric', compute: (c) => ({ value: tf.div(tf.sum(c.a), 0) as tf.Scalar }) };
    const seen: RunWarning[] = [];
    const result = await runPipeline(
      spec([relu(), plugin('nan-plugin', { contributes: { metrics: [nan] } }), builtinPlugins.get('activation-sparsity')!.factory(undefined)], {
        runDir,
        metrics: ['nan-metric', 'activation-sparsity'],
        onWarning: (w) => void seen.push(w),
        train: { steps: 6, batchSize: 16, lr: 0.01, logEvery: 2, faults: { metrics: 'disable' } },
      }),
    );
    expect(result.summary.steps).toBe(6);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ code: 'E_PLUGIN_NON_FINITE', plugin: 'nan-plugin', event: 'metric compute', step: 1, action: "metric 'nan-metric' disabled for the rest of the run" });
    expect(result.summary.warnings).toEqual(seen);
    expect(JSON.parse(await readFile(join(runDir, 'warnings.json'), 'utf8'))).toEqual(seen);
    for (const r of result.records) expect(Object.keys(r.figures)).toEqual(['activation-sparsity.value']);
    const html = await readFile(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('Warnings');
    expect(html).toContain("metric 'nan-metric' disabled for the rest of the run");
  });

  it('every built-in plugin together trips none of the fault checks (parameters added in modelBuilt, projections, SAM)', async () => {
    const options: Record<string, unknown> = { 'l1-activation': { weight: 1e-3 } };
    const plugins = [...builtinPlugins].map(([name, b]) => b.factory(options[name]));
    const metrics = [...builtinPlugins].filter(([, b]) => b.kind === 'metric').map(([name]) => name);
    expect(metrics.length).toBeGreaterThanOrEqual(4);
    const baseline = tf.memory().numTensors;
    const result = await runPipeline(spec(plugins, { metrics, train: { steps: 4, batchSize: 16, lr: 0.01, logEvery: 1, evalEvery: 2 } }));
    expect(result.summary.steps).toBe(4);
    expect(result.summary.warnings).toBeUndefined();
    expect(result.records.filter((r) => r.split === 'train')).toHaveLength(4);
    for (const r of result.records) for (const f of Object.values(r.figures)) expect(f.perLayer.every(Number.isFinite)).toBe(true);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
