import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { GptModel, gptArchitecture, loadModel, type GptConfig, runPipeline, vitArchitecture, type PipelineSpec } from '@flatsparse/core';
import { syntheticImageDataset, syntheticTextDataset } from '@flatsparse/data';
import type { ModelArchitecture, Plugin, TrainableModel } from '@flatsparse/plugin-api';
import { builtinPlugins } from '@flatsparse/plugins';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const relu = () => builtinPlugins.get('relu')!.factory(undefined);
const images = syntheticImageDataset({ classes: 3, imageSize: 8, trainSize: 32, heldOutSize: 8 });

/**
 * A third-party architecture: the GPT's config and layers under its own name (its models say so in
 * `kind`), counting every model it builds (what a plugin contributes is what runs).
 */
function countingModel(name: string): { architecture: ModelArchitecture; built: TrainableModel[] } {
  const built: TrainableModel[] = [];
  class Renamed extends GptModel {
    override readonly kind = name;
  }
  const architecture: ModelArchitecture<GptConfig> = {
    ...gptArchitecture,
    name,
    build(config, options) {
      const model = new Renamed(config, options);
      built.push(model);
      return model;
    },
  };
  return { architecture: architecture as ModelArchitecture, built };
}

const plugin = (name: string, models: readonly ModelArchitecture[]): Plugin => ({ name, version: '1.0.0', apiVersion: '^0.7.2', contributes: { models } });

function spec(rest: Partial<PipelineSpec>): PipelineSpec {
  return {
    backends: [wasmBackend()],
    backend: 'wasm',
    seed: 1,
    plugins: [relu()],
    dataset: images,
    model: { kind: 'vit', config: { patch: 4, d: 8, depth: 1, heads: 1, mlpWidth: 16 } },
    activation: 'relu',
    ...rest,
    train: { steps: 2, batchSize: 8, lr: 0.01, logEvery: 1 },
  };
}

describe.skipIf(!state.available)('model architectures are plugin contributions', () => {
  it('a run names a model a listed plugin contributes; run directory and model file record its kind, and loadModel rebuilds it given the architecture', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flatsparse-model-plugin-'));
    dirs.push(dir);
    const { architecture, built } = countingModel('tiny-decoder');
    const text = syntheticTextDataset({ vocabSize: 12, seqLen: 6, trainSize: 32, heldOutSize: 8 });
    const saveModelTo = join(dir, 'model.safetensors');
    const result = await runPipeline(
      spec({ plugins: [relu(), plugin('my-models', [architecture])], dataset: text, model: { kind: 'tiny-decoder', config: { d: 8, depth: 1, heads: 1, mlpWidth: 16 } }, runDir: join(dir, 'run'), saveModelTo }),
    );
    expect(result.summary.steps).toBe(2);
    expect(built).toHaveLength(1);
    expect(await readFile(join(dir, 'run', 'report.html'), 'utf8')).toContain('tiny-decoder');
    await expect(loadModel(saveModelTo, { activation: relu().contributes!.activations![0]! })).rejects.toMatchObject({ code: 'E_CHECKPOINT', received: 'tiny-decoder' });
    const loaded = await loadModel(saveModelTo, { activation: relu().contributes!.activations![0]!, models: [architecture] });
    try {
      expect(loaded.kind).toBe('tiny-decoder');
      expect([...loaded.params.keys()]).toEqual(architecture.parameters(architecture.parse(loaded.config)).map((p) => p.name));
    } finally {
      loaded.dispose();
    }
  });

  it('the data kinds an architecture declares are checked before a backend starts, naming the models that fit', async () => {
    const error = await runPipeline(spec({ model: { kind: 'gpt', config: { d: 8, depth: 1, heads: 1, mlpWidth: 16 } } })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_MODEL_CONFIG', received: 'gpt' });
    expect((error as Error).message).toMatch(/'model\.kind' does not fit the data: 'gpt' trains on text data; data set '.*' is image data/);
    expect((error as Error).message).toContain("use model.kind 'vit'");
  });

  it("an architecture whose model says another kind is refused (checkpoints record the kind)", async () => {
    const liar: ModelArchitecture = { ...(gptArchitecture as ModelArchitecture), name: 'liar' };
    const text = syntheticTextDataset({ vocabSize: 12, seqLen: 6, trainSize: 32, heldOutSize: 8 });
    const error = await runPipeline(spec({ plugins: [relu(), plugin('my-models', [liar])], dataset: text, model: { kind: 'liar', config: { d: 8, depth: 1, heads: 1, mlpWidth: 16 } } })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_MODEL_CONFIG', received: 'gpt' });
  });

  it('a listed plugin may shadow a built-in kind; an unknown kind lists the built-in and the contributed ones', async () => {
    const { architecture, built } = countingModel('vit');
    const shadow = { ...architecture, dataKinds: vitArchitecture.dataKinds, resolve: vitArchitecture.resolve, parse: vitArchitecture.parse, build: (c: unknown, o: Parameters<ModelArchitecture['build']>[1]) => { const m = (vitArchitecture as ModelArchitecture).build(c, o); built.push(m); return m; } } as ModelArchitecture;
    await runPipeline(spec({ plugins: [relu(), plugin('my-vit', [shadow])] }));
    expect(built).toHaveLength(1);
    const error = await runPipeline(spec({ plugins: [relu(), plugin('my-models', [countingModel('tiny-decoder').architecture])], model: { kind: 'resnet' } })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_CONTRIBUTION_UNKNOWN', received: 'resnet', expected: 'one of gpt, tiny-decoder, vit' });
  });
});
